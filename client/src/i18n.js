// Every UI text, in Dutch and English, and the current language.
//
// t(key, vars) looks a text up in the current language; a value is either a
// string with {placeholders} or a function of vars (for plurals). Elements
// labelled with tr()/trAttr() carry their key, so switching language
// re-translates them in place (translateTree) without rebuilding the page.

import { remembered } from "./storage.js";
import { en } from "./lang/en.js";
import { nl } from "./lang/nl.js";

/**
 * @typedef {string | ((vars: Record<string, any>) => string)} Text
 * @typedef {Record<string, Text>} Dictionary
 */

/** @type {Record<string, Dictionary>} */
const DICTIONARIES = { en, nl };

let current = initialLanguage();
const listeners = new Set();

function initialLanguage() {
  const saved = remembered.lang();
  if (saved && saved in DICTIONARIES) return saved;
  return (navigator.language || "").toLowerCase().startsWith("nl") ? "nl" : "en";
}

export function lang() {
  return current;
}

/** The BCP 47 locale used for numbers and money. */
export function locale() {
  return current === "nl" ? "nl-NL" : "en-GB";
}

/** @param {string} next */
export function setLang(next) {
  if (!(next in DICTIONARIES) || next === current) return;
  current = next;
  remembered.setLang(next);
  document.documentElement.lang = next;
  translateTree(document.body);
  for (const listener of listeners) listener(next);
}

export function onLangChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * The text of `key` in the current language (English when missing), with {placeholders} filled.
 * @param {string} key
 * @param {Record<string, any>} [vars]
 * @returns {string}
 */
export function t(key, vars = {}) {
  const entry = DICTIONARIES[current][key] ?? DICTIONARIES.en[key];
  if (entry === undefined) {
    console.warn(`valueroom: no text for ${key}`);
    return key;
  }
  if (typeof entry === "function") return entry(vars);
  return entry.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

/** @param {string} key */
export function has(key) {
  return key in DICTIONARIES[current] || key in DICTIONARIES.en;
}

/** Set el's text to t(key, vars) and remember the key for language switches. */
export function tr(el, key, vars) {
  el.dataset.i18n = key;
  if (vars) el.dataset.i18nVars = JSON.stringify(vars);
  else delete el.dataset.i18nVars;
  el.textContent = t(key, vars);
  return el;
}

/** Set attribute attr (placeholder, aria-label, title) to t(key) and remember it. */
export function trAttr(el, attr, key) {
  el.dataset[`i18nAttr${attr.replace(/(^|-)(\w)/g, (_, __, c) => c.toUpperCase())}`] = key;
  el.setAttribute(attr, t(key));
  return el;
}

const ATTRS = ["placeholder", "aria-label", "title"];

export function translateTree(root) {
  for (const el of root.querySelectorAll("[data-i18n]")) {
    const vars = el.dataset.i18nVars ? JSON.parse(el.dataset.i18nVars) : undefined;
    el.textContent = t(el.dataset.i18n, vars);
  }
  for (const attr of ATTRS) {
    const prop = `i18nAttr${attr.replace(/(^|-)(\w)/g, (_, __, c) => c.toUpperCase())}`;
    const selector = `[data-i18n-attr-${attr}]`;
    for (const el of root.querySelectorAll(selector)) el.setAttribute(attr, t(el.dataset[prop]));
  }
}
