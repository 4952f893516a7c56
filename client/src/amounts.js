// Amounts as people type them. A Dutch page reads "120.000" and "1.234,56"
// ('.' groups thousands, ',' is the decimal comma); an English page reads
// "120,000" and "1,234.56"; both read plain "120000" and "-250". Spaces
// (also non-breaking ones) may group thousands in either language. What is
// sent to the server is always its one canonical form ("1234.56"): the
// server cannot know which language the typist meant, and "120.000" means
// different amounts in the two.

import { unitsToDecimal } from "./money.js";

const SPACES = " \u00a0\u202f";
const SEPARATORS = {
  nl: { group: ".", decimal: "," },
  en: { group: ",", decimal: "." },
};

/** @param {string} text */
const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** @type {Map<string, RegExp>} */
const grammars = new Map();

/** @param {string} lang */
function grammar(lang) {
  let re = grammars.get(lang);
  if (!re) {
    const { group, decimal } = SEPARATORS[lang] ?? SEPARATORS.en;
    const g = `[${escape(group)}${SPACES}]`;
    // Grouped: 1 to 3 digits, then groups of exactly three. Or plain digits.
    re = new RegExp(`^([-\u2212]?)([0-9]{1,3}(?:${g}[0-9]{3})+|[0-9]+)(?:${escape(decimal)}([0-9]+))?$`);
    grammars.set(lang, re);
  }
  return re;
}

/**
 * @typedef {{ok: true, units: number, canonical: string}} AmountOk
 * @typedef {{ok: false, reason: string, params: Record<string, string | number>}} AmountRefused
 */

/**
 * Read `text` as typed on a page in `lang` ("en" or "nl").
 *
 * Returns `{ok: true, units, canonical}` (exact minor units and the server's
 * canonical text) or `{ok: false, reason, params}` where `reason` is a
 * `reason.<reason>` text key of both languages: `figure.empty`,
 * `amount.format` (params `big`, `exact`: two examples), `figure.negative`,
 * `figure.whole_number`, `figure.too_many_decimals` (`decimals`) or
 * `figure.too_large` (`max`, in the page's notation).
 * @param {string} text
 * @param {string} lang
 * @param {number} decimals
 * @param {{allowNegative: boolean, maxUnits: number}} options
 * @returns {AmountOk | AmountRefused}
 */
export function readAmount(text, lang, decimals, { allowNegative, maxUnits }) {
  const trimmed = text.trim();
  if (!trimmed) return { ok: false, reason: "figure.empty", params: {} };
  const match = grammar(lang).exec(trimmed);
  if (!match) return { ok: false, reason: "amount.format", params: examples(lang, decimals) };
  const [, sign, grouped, fraction = ""] = match;
  if (sign && !allowNegative) return { ok: false, reason: "figure.negative", params: {} };
  if (fraction.length > decimals) {
    if (decimals === 0) return { ok: false, reason: "figure.whole_number", params: {} };
    return { ok: false, reason: "figure.too_many_decimals", params: { decimals } };
  }
  const whole = grouped.replace(/[^0-9]/g, "");
  const digits = `${whole}${fraction.padEnd(decimals, "0")}`.replace(/^0+(?=[0-9])/, "");
  const units = Number(digits);
  if (!Number.isSafeInteger(units) || units > maxUnits) {
    return { ok: false, reason: "figure.too_large", params: { max: plainNumber(maxUnits, decimals, lang) } };
  }
  const signed = sign && units !== 0 ? -units : units;
  return { ok: true, units: signed, canonical: unitsToDecimal(signed, decimals) };
}

/**
 * "1.234,56" (nl) or "1,234.56" (en): minor units in the page's notation, grouped, exact.
 * @param {number} units
 * @param {number} decimals
 * @param {string} lang
 */
export function plainNumber(units, decimals, lang) {
  const { group, decimal } = SEPARATORS[lang] ?? SEPARATORS.en;
  const [whole, fraction] = unitsToDecimal(units, decimals).split(".");
  const negative = whole.startsWith("-");
  const digits = negative ? whole.slice(1) : whole;
  const grouped = digits.replace(/\B(?=([0-9]{3})+$)/g, group);
  return `${negative ? "-" : ""}${grouped}${fraction === undefined ? "" : `${decimal}${fraction}`}`;
}

/** Two amounts as the page reads them: {big: "120.000", exact: "1.234,56"} in Dutch. */
/**
 * @param {string} lang
 * @param {number} decimals
 */
function examples(lang, decimals) {
  return { big: plainNumber(120_000, 0, lang), exact: plainNumber(123_456, decimals, lang) };
}
