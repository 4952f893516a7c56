// Exact money: integer minor units to text and back, never through a float.

import { locale } from "./i18n.js";

/**
 * Minor units as a plain decimal string: (12345, 2) → "123.45", (-5, 2) → "-0.05".
 * @param {number} units
 * @param {number} decimals
 */
export function unitsToDecimal(units, decimals) {
  const negative = units < 0;
  const digits = String(negative ? -units : units).padStart(decimals + 1, "0");
  const whole = decimals ? digits.slice(0, -decimals) : digits;
  const fraction = decimals ? `.${digits.slice(-decimals)}` : "";
  return `${negative ? "-" : ""}${whole}${fraction}`;
}

/** @type {Map<string, Intl.NumberFormat>} */
const formatters = new Map();

/**
 * Units formatted as money in the current UI language, e.g. "€ 1.234,50" or "€1,234.50".
 * @param {number} units
 * @param {string} currency
 * @param {number} decimals
 */
export function formatMoney(units, currency, decimals) {
  const key = `${locale()}|${currency}|${decimals}`;
  let nf = formatters.get(key);
  if (!nf) {
    nf = new Intl.NumberFormat(locale(), {
      style: "currency",
      currency,
      minimumFractionDigits: decimals,
      maximumFractionDigits: decimals,
    });
    formatters.set(key, nf);
  }
  // Intl formats a decimal string exactly; a Number could lose cents on huge totals.
  return nf.format(/** @type {any} */ (unitsToDecimal(units, decimals)));
}

/**
 * Units as the text to put back in an amount input ("1234,50" in Dutch).
 * @param {number} units
 * @param {number} decimals
 * @param {string} lang
 */
export function unitsToInput(units, decimals, lang) {
  const text = unitsToDecimal(units, decimals);
  return lang === "nl" ? text.replace(".", ",") : text;
}

const AMOUNT = /^(-?)([0-9]+)(?:\.([0-9]+))?$/;

/**
 * The server's canonical amount grammar (digits, one optional '.', optional '-'),
 * for optimistic display only: the server decides. Returns units, or null for
 * text the server would refuse (including amounts beyond `maxUnits`, the
 * schema's `limits.max_amount_units`).
 * @param {string} text
 * @param {number} decimals
 * @param {{allowNegative: boolean, maxUnits: number}} options
 * @returns {number | null}
 */
export function parseAmount(text, decimals, { allowNegative, maxUnits }) {
  const match = AMOUNT.exec(text.trim());
  if (!match) return null;
  const [, sign, whole, fraction = ""] = match;
  if (sign && !allowNegative) return null;
  if (fraction.length > decimals) return null;
  const units = Number(`${whole}${fraction.padEnd(decimals, "0")}`);
  if (!Number.isSafeInteger(units) || units > maxUnits) return null;
  return sign ? -units : units;
}

/** @type {Map<string, Intl.NumberFormat>} */
const compactFormatters = new Map();

/**
 * A short money label for a chart axis ("€120K", "€ 120 k"): display only,
 * rounded; never for a figure anyone reads as exact.
 * @param {number} units
 * @param {string} currency
 * @param {number} decimals
 */
export function compactMoney(units, currency, decimals) {
  const key = `${locale()}|${currency}`;
  let nf = compactFormatters.get(key);
  if (!nf) {
    nf = new Intl.NumberFormat(locale(), { style: "currency", currency, notation: "compact", maximumFractionDigits: 1 });
    compactFormatters.set(key, nf);
  }
  return nf.format(units / 10 ** decimals);
}
