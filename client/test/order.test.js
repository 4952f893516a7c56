// Agenda order and fractional-index keys (src/order.js), sorted like the server sorts.
import assert from "node:assert/strict";
import { test } from "node:test";

import { readFileSync } from "node:fs";

import { agendaOrder, keyAtEnd, keyForMove, MAX_KEY } from "../src/order.js";

/** @param {string} id @param {string} position */
const item = (id, position) => ({ id, position });
const ids = (/** @type {{id: string}[]} */ list) => list.map((i) => i.id);

test("agenda order is by position, then by id for equal positions", () => {
  const items = [item("b", "a1"), item("c", "a0"), item("a", "a1"), item("d", "Zz")];
  assert.deepEqual(ids(agendaOrder(items)), ["d", "c", "a", "b"]);
});

test("order is plain code-unit order, as in Python (upper case before lower case)", () => {
  assert.deepEqual(ids(agendaOrder([item("x", "a0"), item("y", "a0V"), item("z", "a0"), item("w", "Zz")])), [
    "w", "x", "z", "y",
  ]);
});

test("agendaOrder takes any iterable and does not sort its input in place", () => {
  const items = [item("b", "a1"), item("a", "a0")];
  assert.deepEqual(ids(agendaOrder(new Map(items.map((i) => [i.id, i])).values())), ["a", "b"]);
  assert.deepEqual(ids(items), ["b", "a"]);
});

test("a key at the end sorts after every item", () => {
  assert.equal(keyAtEnd([]), "a0");
  const items = [item("a", "a0"), item("b", "a5"), item("c", "a2")];
  const key = keyAtEnd(items);
  assert.ok(key > "a5", key);
  assert.deepEqual(ids(agendaOrder([...items, item("new", key)])).at(-1), "new");
});

test("moving up or down lands the item exactly one place further", () => {
  const list = agendaOrder([item("a", "a0"), item("b", "a1"), item("c", "a2"), item("d", "a3")]);
  const down = keyForMove(list, 1, 1);
  assert.ok(down !== null);
  assert.deepEqual(ids(agendaOrder(list.map((i) => (i.id === "b" ? item("b", down) : i)))), ["a", "c", "b", "d"]);
  const up = keyForMove(list, 2, -1);
  assert.ok(up !== null);
  assert.deepEqual(ids(agendaOrder(list.map((i) => (i.id === "c" ? item("c", up) : i)))), ["a", "c", "b", "d"]);
  const top = keyForMove(list, 1, -1);
  assert.ok(top !== null && top < "a0");
  const bottom = keyForMove(list, 2, 1);
  assert.ok(bottom !== null && bottom > "a3");
});

test("no move past either end", () => {
  const list = [item("a", "a0"), item("b", "a1")];
  assert.equal(keyForMove(list, 0, -1), null);
  assert.equal(keyForMove(list, 1, 1), null);
});

test("no key between neighbours with equal positions", () => {
  const list = [item("a", "a0"), item("b", "a1"), item("c", "a1")];
  assert.equal(keyForMove(list, 0, 1), null);
});

test("the key limit is the schema's, and a move between long keys asks for the place after its neighbour", () => {
  const schema = JSON.parse(readFileSync(new URL("../../shared_schema/schema.json", import.meta.url), "utf8"));
  assert.equal(MAX_KEY, schema.types.Position.max);
  const a = `a0${"V".repeat(MAX_KEY - 3)}`;
  const b = `a0${"V".repeat(MAX_KEY - 3)}1`;
  assert.equal(b.length, MAX_KEY);
  const list = agendaOrder([item("x", "Zz"), item("a", a), item("b", b), item("c", "a1")]);
  // Moving c up one place puts it between a and b: no key of 64 characters or less fits.
  const key = keyForMove(list, 3, -1);
  assert.equal(key, a, "the key of the item c is to follow");
  // Room to spare: the key between the neighbours, as before.
  const short = agendaOrder([item("a", "a0"), item("b", "a1"), item("c", "a2")]);
  const between = keyForMove(short, 2, -1);
  assert.ok(between !== null && between > "a0" && between < "a1", String(between));
});
