// Amounts as people type them (src/amounts.js): each language's notation, the
// canonical form sent to the server, and refusals as reason keys of both languages.
import assert from "node:assert/strict";
import { test } from "node:test";

import { plainNumber, readAmount } from "../src/amounts.js";
import { en } from "../src/lang/en.js";
import { nl } from "../src/lang/nl.js";

const MAX = 999_999_999_999;
const value = { allowNegative: true, maxUnits: MAX };
const cost = { allowNegative: false, maxUnits: MAX };

const ok = (text, lang, decimals = 2, options = value) => {
  const result = readAmount(text, lang, decimals, options);
  assert.equal(result.ok, true, `${lang} ${JSON.stringify(text)}: ${JSON.stringify(result)}`);
  return result.ok ? [result.units, result.canonical] : [];
};
const refused = (text, lang, decimals = 2, options = value) => {
  const result = readAmount(text, lang, decimals, options);
  assert.equal(result.ok, false, `${lang} ${JSON.stringify(text)} should be refused`);
  return result.ok ? null : result;
};

test("Dutch: '.' groups thousands and ',' is the decimal comma", () => {
  assert.deepEqual(ok("120.000", "nl"), [12_000_000, "120000.00"]);
  assert.deepEqual(ok("1.234,56", "nl"), [123_456, "1234.56"]);
  assert.deepEqual(ok("1.234.567,5", "nl"), [123_456_750, "1234567.50"]);
  assert.deepEqual(ok("1234,56", "nl"), [123_456, "1234.56"]);
  assert.deepEqual(ok("0,05", "nl"), [5, "0.05"]);
  assert.deepEqual(ok("-2.500", "nl"), [-250_000, "-2500.00"]);
  assert.deepEqual(ok("120 000", "nl"), [12_000_000, "120000.00"]);
  assert.deepEqual(ok("120\u00a0000", "nl"), [12_000_000, "120000.00"]);
});

test("English: ',' groups thousands and '.' is the decimal point", () => {
  assert.deepEqual(ok("120,000", "en"), [12_000_000, "120000.00"]);
  assert.deepEqual(ok("1,234.56", "en"), [123_456, "1234.56"]);
  assert.deepEqual(ok("1,234,567.5", "en"), [123_456_750, "1234567.50"]);
  assert.deepEqual(ok("1234.56", "en"), [123_456, "1234.56"]);
  assert.deepEqual(ok("-0.01", "en"), [-1, "-0.01"]);
  assert.deepEqual(ok("120 000", "en"), [12_000_000, "120000.00"]);
});

test("plain digits read the same in both languages", () => {
  for (const lang of ["en", "nl"]) {
    assert.deepEqual(ok("120000", lang), [12_000_000, "120000.00"]);
    assert.deepEqual(ok("  7 ", lang), [700, "7.00"]);
    assert.deepEqual(ok("0", lang), [0, "0.00"]);
    assert.deepEqual(ok("-0", lang), [0, "0.00"]);
    assert.deepEqual(ok("500", lang, 0), [500, "500"]);
  }
});

test("the other language's notation is refused, not misread", () => {
  assert.equal(refused("1,234.56", "nl")?.reason, "amount.format");
  assert.equal(refused("120,000", "nl")?.reason, "figure.too_many_decimals");
  assert.equal(refused("1.234,56", "en")?.reason, "amount.format");
  assert.equal(refused("120.000", "en")?.reason, "figure.too_many_decimals");
  // A group must have exactly three digits.
  assert.equal(refused("1.23,5", "nl")?.reason, "amount.format");
  assert.equal(refused("12,34.5", "en")?.reason, "amount.format");
});

test("refusals name a reason both languages have a text for", () => {
  const cases = [
    ["", "en", "figure.empty"],
    ["twelve", "en", "amount.format"],
    ["1e5", "nl", "amount.format"],
    ["NaN", "en", "amount.format"],
    ["+5", "nl", "amount.format"],
    ["5.", "en", "amount.format"],
    [",5", "nl", "amount.format"],
  ];
  for (const [text, lang, reason] of cases) {
    const result = refused(text, lang);
    assert.equal(result?.reason, reason, text);
    assert.ok(`reason.${reason}` in en && `reason.${reason}` in nl, reason);
  }
  assert.equal(refused("-5", "nl", 2, cost)?.reason, "figure.negative");
  assert.equal(refused("1,5", "nl", 0)?.reason, "figure.whole_number");
  assert.deepEqual(refused("1,234", "nl")?.params, { decimals: 2 });
  const large = refused("10.000.000.000,00", "nl");
  assert.equal(large?.reason, "figure.too_large");
  assert.deepEqual(large?.params, { max: "9.999.999.999,99" });
});

test("the format refusal gives examples in the page's notation", () => {
  assert.deepEqual(refused("x", "nl")?.params, { big: "120.000", exact: "1.234,56" });
  assert.deepEqual(refused("x", "en")?.params, { big: "120,000", exact: "1,234.56" });
  assert.deepEqual(refused("x", "en", 0)?.params, { big: "120,000", exact: "123,456" });
});

test("plain numbers print in each language's notation, exactly", () => {
  assert.equal(plainNumber(123_456_789, 2, "nl"), "1.234.567,89");
  assert.equal(plainNumber(123_456_789, 2, "en"), "1,234,567.89");
  assert.equal(plainNumber(-100, 2, "nl"), "-1,00");
  assert.equal(plainNumber(999, 0, "en"), "999");
});

test("what is read round-trips through the page's own notation", () => {
  for (const units of [0, 1, 99, 100, 123_456, 12_000_000, MAX, -5, -123_456_789]) {
    for (const lang of ["en", "nl"]) {
      const result = readAmount(plainNumber(units, 2, lang), lang, 2, value);
      assert.equal(result.ok ? result.units : null, units, `${lang} ${units}`);
    }
  }
});
