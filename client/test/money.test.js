// Exact money (src/money.js): units ↔ text, never through a float.
import assert from "node:assert/strict";
import { test } from "node:test";

import { formatMoney, parseAmount, unitsToDecimal, unitsToInput } from "../src/money.js";

const MAX = 999_999_999_999;
const money = { allowNegative: true, maxUnits: MAX };
const cost = { allowNegative: false, maxUnits: MAX };

test("units to a plain decimal string", () => {
  assert.equal(unitsToDecimal(12345, 2), "123.45");
  assert.equal(unitsToDecimal(-5, 2), "-0.05");
  assert.equal(unitsToDecimal(0, 2), "0.00");
  assert.equal(unitsToDecimal(7, 0), "7");
  assert.equal(unitsToDecimal(MAX, 2), "9999999999.99");
});

test("units back into an input use the page's decimal separator", () => {
  assert.equal(unitsToInput(123450, 2, "nl"), "1234,50");
  assert.equal(unitsToInput(123450, 2, "en"), "1234.50");
  assert.equal(unitsToInput(-1, 2, "nl"), "-0,01");
});

test("the server's amount grammar parses into exact units", () => {
  assert.equal(parseAmount("120000", 2, money), 12_000_000);
  assert.equal(parseAmount("0.1", 2, money), 10);
  assert.equal(parseAmount(" 12.5 ", 2, money), 1250);
  assert.equal(parseAmount("12,5", 2, money), null, "the canonical form has no decimal comma");
  assert.equal(parseAmount("-0.01", 2, money), -1);
  assert.equal(parseAmount("500", 0, money), 500);
  // 0.1 + 0.2 in floats is 0.30000000000000004; parsing never goes through a float.
  assert.equal(parseAmount("1234567.89", 2, money), 123_456_789);
});

test("text the server refuses parses to null", () => {
  for (const text of ["", "-", "1e6", "NaN", "Infinity", "1.2.3", "1,2,3", "+5", "1 000", "€5", "0x10", ".5", "5."]) {
    assert.equal(parseAmount(text, 2, money), null, text);
  }
  assert.equal(parseAmount("1.234", 2, money), null, "too many decimals");
  assert.equal(parseAmount("1.5", 0, money), null, "no decimals in yen");
  assert.equal(parseAmount("-1", 2, cost), null, "a cost is not negative");
});

test("the largest amount is the schema's bound, inclusive", () => {
  assert.equal(parseAmount("9999999999.99", 2, money), MAX);
  assert.equal(parseAmount("-9999999999.99", 2, money), -MAX);
  assert.equal(parseAmount("10000000000.00", 2, money), null);
  assert.equal(parseAmount("5.00", 2, { allowNegative: true, maxUnits: 499 }), null);
  assert.equal(parseAmount("9".repeat(40), 2, money), null, "beyond a safe integer");
});

test("formatting as money is exact even for the largest amounts", () => {
  assert.equal(formatMoney(123456, "EUR", 2), "€1,234.56");
  assert.equal(formatMoney(-5, "EUR", 2), "-€0.05");
  assert.equal(formatMoney(MAX, "EUR", 2), "€9,999,999,999.99");
  assert.equal(formatMoney(1500, "JPY", 0), "JP¥1,500");
});
