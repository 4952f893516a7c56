// The Dutch and English texts (src/lang/*.js) say the same things: same keys,
// the same {placeholders} per key, and a function (plural, capitals) in both
// languages or in neither, reading the same variables.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";

import { en } from "../src/lang/en.js";
import { nl } from "../src/lang/nl.js";

/** @typedef {import("../src/i18n.js").Dictionary} Dictionary */

const LANGS = { en, nl };

/** The {placeholders} of a string entry. @param {string} text */
const placeholders = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

/**
 * The variables a function entry reads, found by calling it with a recording proxy.
 * @param {(vars: Record<string, any>) => string} fn
 */
function variablesRead(fn) {
  const read = new Set();
  const vars = new Proxy({}, { get: (_, name) => (read.add(String(name)), "x") });
  assert.equal(typeof fn(vars), "string");
  return [...read].sort();
}

/** @param {Dictionary} dict @param {string} key */
function shape(dict, key) {
  const entry = dict[key];
  return typeof entry === "function" ? { fn: variablesRead(entry) } : { text: placeholders(entry) };
}

test("both languages have exactly the same keys", () => {
  const missingInNl = Object.keys(en).filter((key) => !(key in nl));
  const missingInEn = Object.keys(nl).filter((key) => !(key in en));
  assert.deepEqual({ missingInNl, missingInEn }, { missingInNl: [], missingInEn: [] });
});

test("every key has the same placeholders, or is a function reading the same variables, in both", () => {
  const differ = [];
  for (const key of Object.keys(en)) {
    if (!(key in nl)) continue;
    const [a, b] = [shape(en, key), shape(nl, key)];
    if (JSON.stringify(a) !== JSON.stringify(b)) differ.push({ key, en: a, nl: b });
  }
  assert.deepEqual(differ, []);
});

test("no text is empty", () => {
  for (const [lang, dict] of Object.entries(LANGS)) {
    for (const [key, entry] of Object.entries(dict)) {
      if (typeof entry === "string") assert.notEqual(entry.trim(), "", `${lang}: ${key}`);
    }
  }
});

test("every literal key the client looks up exists", () => {
  const src = new URL("../src/", import.meta.url);
  const files = readdirSync(src, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".js"));
  const used = new Set();
  // t("key"), tr(el, "key"), trAttr(el, "attr", "key"), showError(el, "key")
  const call = /\b(?:t|tr|trAttr|showError|showInvalidLink)\(([^()]*?)"([a-zA-Z]+(?:\.[a-zA-Z0-9]+)+)"/g;
  for (const file of files) {
    if (file.startsWith("lang")) continue;
    for (const match of readFileSync(new URL(file, src), "utf8").matchAll(call)) used.add(match[2]);
  }
  assert.ok(used.size > 50, `found only ${used.size} keys: the pattern no longer matches the code`);
  const unknown = [...used].filter((key) => !(key in en));
  assert.deepEqual(unknown, []);
});
