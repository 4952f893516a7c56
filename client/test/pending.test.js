// Optimistic edits: the queue of unconfirmed ops and their projection (src/pending.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { applyEvent, emptyState } from "../src/model.js";
import { PendingOps, project } from "../src/pending.js";

const MAX = 999_999_999_999;
const MODELS = [{ id: "transactional", label: "Transactional" }];

function confirmed() {
  const state = emptyState();
  let seq = 0;
  /** @param {string} name @param {Record<string, any>} data */
  const apply = (name, data) =>
    applyEvent(state, { type: "event", seq: (seq += 1), at: 0, actor: null, op: null, vis: 7, name, data });
  apply("item.added", { item_id: "x", kind: "term", title: "X", description: "", options: [], position: "a0" });
  apply("item.added", { item_id: "y", kind: "term", title: "Y", description: "", options: [], position: "a1" });
  return state;
}

let n = 0;
/** @param {string} name @param {Record<string, any>} args */
const op = (name, args) => ({ op: `p:${(n += 1)}`, name, args });

/**
 * @param {import("../src/pending.js").Op[]} ops
 * @param {string | null} [role]
 */
const view = (ops, role = "buyer", state = confirmed()) => project(state, ops, role, 2, MODELS, MAX);

test("the queue keeps ops in order and gives each back once", () => {
  const queue = new PendingOps();
  const [a, b] = [op("item.park", { item_id: "x", parked: true }), op("item.delete", { item_id: "y" })];
  queue.add(a);
  queue.add(b);
  assert.equal(queue.size, 2);
  assert.deepEqual(queue.list(), [a, b]);
  assert.equal(queue.has(a.op), true);
  assert.equal(queue.take(a.op), a);
  assert.equal(queue.take(a.op), undefined);
  assert.equal(queue.has(a.op), false);
  assert.deepEqual(queue.list(), [b]);
});

test("list() is a copy: changing it does not change the queue", () => {
  const queue = new PendingOps();
  queue.add(op("item.delete", { item_id: "x" }));
  queue.list().pop();
  assert.equal(queue.size, 1);
});

test("without pending ops the projection is the confirmed state itself", () => {
  const state = confirmed();
  const shown = project(state, [], "buyer", 2, MODELS, MAX);
  assert.equal(shown.items, state.items);
  assert.equal(shown.pendingFigures.size, 0);
});

test("ops apply on top of the confirmed state, which is never changed", () => {
  const state = confirmed();
  const before = structuredClone([...state.items]);
  const shown = view(
    [
      op("item.edit", { item_id: "x", title: "Renamed" }),
      op("item.move", { item_id: "y", position: "Zz" }),
      op("item.park", { item_id: "x", parked: true }),
      op("item.agree", { item_id: "y", agreed: true }),
    ],
    "seller",
    state,
  );
  assert.equal(shown.items.get("x")?.title, "Renamed");
  assert.equal(shown.items.get("x")?.parked, true);
  assert.equal(shown.items.get("y")?.position, "Zz");
  assert.deepEqual(shown.items.get("y")?.agreed, { buyer: false, seller: true });
  assert.deepEqual([...state.items], before);
});

test("an item no op touches keeps its identity (views can skip it)", () => {
  const state = confirmed();
  const shown = view([op("item.edit", { item_id: "x", title: "Renamed" })], "buyer", state);
  assert.equal(shown.items.get("y"), state.items.get("y"));
  assert.notEqual(shown.items.get("x"), state.items.get("x"));
});

test("a pending add shows at the end until the server places it; a relationship item gets the models", () => {
  const shown = view([
    op("item.add", { item_id: "n", kind: "term", title: "New" }),
    op("item.add", { item_id: "r", kind: "relationship", title: "Form" }),
  ]);
  assert.equal(shown.items.get("n")?.position, "zz");
  assert.deepEqual(shown.items.get("n")?.options, []);
  assert.deepEqual(shown.items.get("r")?.options, MODELS);
  assert.equal(shown.items.get("n")?.title, "New");
});

test("a pending add of an id already confirmed does not replace the confirmed item", () => {
  const state = confirmed();
  const shown = view([op("item.add", { item_id: "x", kind: "question", title: "Dup" })], "buyer", state);
  assert.equal(shown.items.get("x"), state.items.get("x"));
});

test("a pending delete hides the item", () => {
  assert.equal(view([op("item.delete", { item_id: "x" })]).items.has("x"), false);
});

test("consent shows at once, but never un-reveals a revealed item", () => {
  assert.deepEqual(view([op("consent.set", { item_id: "x", consent: true })]).items.get("x")?.consent, {
    buyer: true,
    seller: false,
  });
  const state = confirmed();
  applyEvent(state, {
    type: "event", seq: 9, at: 0, actor: null, op: null, vis: 7, name: "item.revealed",
    data: { item_id: "x", buyer: { value: 1, cost: 0 }, seller: { value: 2, cost: 0 } },
  });
  const shown = view([op("consent.set", { item_id: "x", consent: false })], "buyer", state);
  assert.deepEqual(shown.items.get("x"), state.items.get("x"));
});

test("the neutral's agree or consent ops change nobody's marks", () => {
  const shown = view(
    [op("item.agree", { item_id: "x", agreed: true }), op("consent.set", { item_id: "x", consent: true })],
    null,
  );
  assert.deepEqual(shown.items.get("x")?.agreed, { buyer: false, seller: false });
  assert.deepEqual(shown.items.get("x")?.consent, { buyer: false, seller: false });
});

test("pending figures show as exact units and mark the item as saving", () => {
  const shown = view([op("figures.set", { item_id: "x", value: "1234.5", cost: "0.01", note: "n" })]);
  assert.deepEqual(shown.private.get("x"), { value: 123_450, cost: 1, note: "n" });
  assert.deepEqual([...shown.pendingFigures], ["x"]);
});

test("figures the server would refuse are not shown, but the item still says saving", () => {
  for (const [value, cost] of [["12.345", "0"], ["5", "-1"], ["abc", "0"], ["10000000000.00", "0"]]) {
    const shown = view([op("figures.set", { item_id: "x", value, cost })]);
    assert.equal(shown.private.has("x"), false, `${value} / ${cost}`);
    assert.equal(shown.pendingFigures.has("x"), true);
  }
});

test("a figures op without a note keeps the note already registered", () => {
  const state = confirmed();
  applyEvent(state, {
    type: "event", seq: 9, at: 0, actor: null, op: null, vis: 1, name: "figures.registered",
    data: { item_id: "x", party: "buyer", value: 1, cost: 0, note: "kept" },
  });
  const shown = view([op("figures.set", { item_id: "x", value: "2", cost: "0" })], "buyer", state);
  assert.deepEqual(shown.private.get("x"), { value: 200, cost: 0, note: "kept" });
  assert.deepEqual(state.private.get("x"), { value: 1, cost: 0, note: "kept" });
});

test("later ops win over earlier ones on the same property", () => {
  const shown = view([
    op("item.edit", { item_id: "x", title: "One" }),
    op("item.edit", { item_id: "x", title: "Two" }),
  ]);
  assert.equal(shown.items.get("x")?.title, "Two");
});

test("a pending opening answer shows as the party's own until it is confirmed", () => {
  const state = confirmed();
  const shown = view([op("opening.answer", { question: "valuable", answer: "yes, clearly" })], "buyer", state);
  assert.deepEqual(shown.guide.own, { valuable: "yes, clearly", cooperation: "" });
  assert.equal(state.guide.own, null, "the confirmed state is not changed");
  // The neutral answers nothing; a party that already shared its answers cannot change them.
  assert.equal(view([op("opening.answer", { question: "valuable", answer: "x" })], null, state).guide.own, null);
  state.guide.ready.buyer = true;
  assert.equal(view([op("opening.answer", { question: "valuable", answer: "x" })], "buyer", state).guide.own, null);
});
