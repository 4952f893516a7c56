// The confirmed state: a pure fold of welcome views and event frames (src/model.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { applyEvent, emptyState, newItem, stateFromView } from "../src/model.js";

let seq = 0;
/**
 * An event frame as the server sends it.
 * @param {string} name
 * @param {Record<string, any>} data
 * @returns {import("../src/model.js").EventFrame}
 */
function ev(name, data, { op = null, at = 1_000 } = {}) {
  seq += 1;
  return { type: "event", seq, at, actor: { role: "buyer", name: "Bea" }, op, vis: 7, name, data };
}

/** @param {import("../src/model.js").EventFrame[]} events */
function fold(events) {
  const state = emptyState();
  for (const event of events) applyEvent(state, event);
  return state;
}

const created = ev(
  "room.created",
  { id: "r1", title: "Deal", buyer_org: "B", seller_org: "S", currency: "EUR", neutral: true },
  { at: 42 },
);
const added = (id, position = "a0", extra = {}) =>
  ev("item.added", { item_id: id, kind: "term", title: id.toUpperCase(), description: "", options: [], position, ...extra });

test("room.created sets the room, its time taken from the event", () => {
  const state = fold([created]);
  assert.deepEqual(state.room, {
    id: "r1", title: "Deal", buyer_org: "B", seller_org: "S", currency: "EUR", neutral: true, created_at: 42,
  });
});

test("item.added creates an item with nobody agreed, nothing consented, nothing revealed", () => {
  const state = fold([created, added("x", "a1")]);
  assert.deepEqual(state.items.get("x"), {
    id: "x", kind: "term", title: "X", description: "", options: [], position: "a1", parked: false,
    removed: null, agreed: { buyer: false, seller: false }, consent: { buyer: false, seller: false },
    withdrawal: { buyer: false, seller: false }, revealed: false, figures: {}, revisions: [], sealed: null,
    chosen: { buyer: null, seller: null }, voided: null,
  });
});

test("item.edited changes only the fields it names (last writer wins per property)", () => {
  const state = fold([created, added("x"), ev("item.edited", { item_id: "x", title: "New" })]);
  const item = state.items.get("x");
  assert.equal(item?.title, "New");
  assert.equal(item?.kind, "term");
  const again = fold([created, added("x"), ev("item.edited", { item_id: "x", description: "D", options: [{ id: "o", label: "O" }] })]);
  assert.equal(again.items.get("x")?.title, "X");
  assert.deepEqual(again.items.get("x")?.options, [{ id: "o", label: "O" }]);
});

test("a changed item is replaced, an untouched one keeps its identity", () => {
  const state = fold([created, added("x"), added("y", "a1")]);
  const [x, y] = [state.items.get("x"), state.items.get("y")];
  applyEvent(state, ev("item.moved", { item_id: "x", position: "a2" }));
  assert.notEqual(state.items.get("x"), x);
  assert.equal(x?.position, "a0", "the old object is not mutated");
  assert.equal(state.items.get("x")?.position, "a2");
  assert.equal(state.items.get("y"), y);
});

test("park, agree and consent are per item and per party", () => {
  const state = fold([
    created,
    added("x"),
    ev("item.parked", { item_id: "x", parked: true }),
    ev("item.agreed", { item_id: "x", party: "seller", agreed: true }),
    ev("consent.changed", { item_id: "x", party: "buyer", consent: true }),
  ]);
  const item = state.items.get("x");
  assert.equal(item?.parked, true);
  assert.deepEqual(item?.agreed, { buyer: false, seller: true });
  assert.deepEqual(item?.consent, { buyer: true, seller: false });
});

test("item.deleted moves the item off the agenda, keeping it and its figures for a restore", () => {
  const state = fold([
    created,
    added("x"),
    ev("figures.registered", { item_id: "x", party: "buyer", value: 5, cost: 1, note: "n" }),
    ev("item.deleted", { item_id: "x" }),
  ]);
  assert.equal(state.items.has("x"), false);
  assert.equal(state.removed.get("x")?.removed, "deleted");
  assert.equal(state.private.has("x"), true);
});

test("figures.registered replaces the private record; the reveal and revisions are public", () => {
  const state = fold([
    created,
    added("x"),
    ev("figures.registered", { item_id: "x", party: "buyer", value: 5, cost: 1, note: "first" }),
    ev("figures.registered", { item_id: "x", party: "buyer", value: 7, cost: 2, note: "second" }),
  ]);
  assert.deepEqual(state.private.get("x"), { value: 7, cost: 2, note: "second" });
  applyEvent(state, ev("item.revealed", { item_id: "x", buyer: { value: 7, cost: 2 }, seller: { value: 3, cost: 9 } }));
  const revise = ev("figures.revised", {
    item_id: "x", party: "seller", before: { value: 3, cost: 9 }, after: { value: 4, cost: 9 },
  });
  applyEvent(state, revise);
  const item = state.items.get("x");
  assert.equal(item?.revealed, true);
  assert.deepEqual(item?.figures, { buyer: { value: 7, cost: 2 }, seller: { value: 4, cost: 9 } });
  assert.deepEqual(item?.revisions, [
    { party: "seller", before: { value: 3, cost: 9 }, after: { value: 4, cost: 9 }, seq: revise.seq },
  ]);
});

test("events about an unknown item change nothing and do not throw", () => {
  const state = fold([created, added("x")]);
  const before = structuredClone([...state.items]);
  applyEvent(state, ev("item.edited", { item_id: "ghost", title: "Boo" }));
  applyEvent(state, ev("item.moved", { item_id: "ghost", position: "a5" }));
  assert.deepEqual([...state.items], before);
});

test("a welcome view gives the state that folding the same events gives", () => {
  const events = [
    created,
    added("x"),
    added("y", "a1"),
    ev("figures.registered", { item_id: "y", party: "buyer", value: 5, cost: 1, note: "" }),
    ev("opening.answered", { party: "buyer", question: "valuable", answer: "Yes" }),
    ev("plan.changed", { item_id: "y", party: "seller", open: true }),
    ev("trust.pulsed", { party: "seller", behaviour: "listen_first" }),
  ];
  const folded = fold(events);
  assert.deepEqual(folded.guide.own, { valuable: "Yes", cooperation: "" });
  assert.deepEqual(folded.guide.plan, { y: { buyer: null, seller: true } });
  assert.equal(folded.guide.pulses[0].behaviour, "listen_first");
  const view = {
    room: folded.room,
    items: [...folded.items.values()].map((item) => structuredClone(item)),
    removed: [...folded.removed.values()].map((item) => structuredClone(item)),
    private: Object.fromEntries(folded.private),
    phase: folded.phase,
    proposals: { ...folded.proposals },
    locked: folded.locked,
    timer: folded.timer,
    notes: [...folded.notes.values()],
    caucus: structuredClone(folded.caucus),
    seals: Object.fromEntries(folded.seals),
    access: Object.fromEntries(folded.access),
    guide: structuredClone(folded.guide),
    commitments: [...folded.commitments.values()],
    signatures: { ...folded.signatures },
    unsigned: folded.unsigned,
    agreement: folded.agreement,
  };
  assert.deepEqual(stateFromView(view), folded);
});

test("newItem fills defaults for a command's optional fields", () => {
  const item = newItem({ item_id: "z", kind: "question", title: "Why?", position: "a3" });
  assert.equal(item.description, "");
  assert.deepEqual(item.options, []);
});

test("an agreement on an option is voided by a change, and the sign-off closes the deal", () => {
  const hash = "a".repeat(64);
  const sheet = { agreed: [] };
  const state = fold([
    created,
    added("x"),
    ev("item.agreed", { item_id: "x", party: "buyer", agreed: true, option: "o1" }),
    ev("item.agreed", { item_id: "x", party: "seller", agreed: true, option: "o1" }),
  ]);
  assert.deepEqual(state.items.get("x")?.chosen, { buyer: "o1", seller: "o1" });
  const changes = [{ field: "title", old: "45 days", new: "90 days" }];
  applyEvent(state, ev("item.agreement_voided", { item_id: "x", by: "buyer", changes }));
  const item = state.items.get("x");
  assert.deepEqual(item?.agreed, { buyer: false, seller: false });
  assert.deepEqual(item?.chosen, { buyer: null, seller: null });
  assert.deepEqual(item?.voided, { by: "buyer", changes });
  applyEvent(state, ev("deal.signed", { role: "buyer", hash }));
  assert.equal(state.signatures.buyer?.hash, hash);
  applyEvent(state, ev("deal.unsigned", { by: "seller", hash }));
  assert.deepEqual(state.signatures, {});
  assert.deepEqual(state.unsigned, { by: "seller", hash });
  applyEvent(state, ev("deal.agreed", { hash, sheet }));
  assert.equal(state.agreement?.hash, hash);
});
