// The replay timeline (src/replay/timeline.js) and the export (src/replay/history.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { applyEvent, emptyState } from "../src/model.js";
import { canonicalJson, exportText } from "../src/replay/history.js";
import { CHECKPOINT, MAX_CHECKPOINTS, Timeline, kindOf, landmarkOf, splitOf } from "../src/replay/timeline.js";

/** @returns {import("../src/model.js").EventFrame[]} */
function session(count) {
  const events = [];
  const push = (name, data, at) =>
    events.push({ type: "event", seq: events.length + 1, at, actor: { role: "buyer", name: "Bea" }, op: null, vis: 7, name, data });
  push("room.created", { id: "r1", title: "Deal", buyer_org: "B", seller_org: "S", currency: "EUR", neutral: false }, 1000);
  push("item.added", { item_id: "i1", kind: "term", title: "Price", description: "", options: [], position: "a0" }, 2000);
  for (let n = 0; events.length < count; n += 1) {
    push(n % 7 === 3 ? "deal.signed.someday" : "item.edited", { item_id: "i1", title: `Price ${n}` }, 3000 + n * 10);
  }
  return events;
}

function fold(events) {
  const state = emptyState();
  for (const event of events) applyEvent(state, event);
  return state;
}

test("every position's state equals the fold of the events up to it", () => {
  const events = session(CHECKPOINT * 3 + 5);
  const timeline = new Timeline(events);
  assert.equal(timeline.checkpoints.length, 4);
  for (const n of [0, 1, 2, CHECKPOINT - 1, CHECKPOINT, CHECKPOINT + 1, 2 * CHECKPOINT + 7, events.length]) {
    assert.deepEqual(timeline.stateAt(n), fold(events.slice(0, n)), `position ${n}`);
  }
});

test("a state handed out is a copy: changing it does not change the timeline", () => {
  const timeline = new Timeline(session(CHECKPOINT + 2));
  const state = timeline.stateAt(CHECKPOINT);
  state.items.clear();
  assert.equal(timeline.stateAt(CHECKPOINT).items.size, 1);
});

test("positions clamp and times map to the last event at or before them", () => {
  const timeline = new Timeline(session(10));
  assert.deepEqual(timeline.stateAt(-5), emptyState());
  assert.deepEqual(timeline.stateAt(999), timeline.stateAt(10));
  assert.equal(timeline.positionAt(0), 1);
  assert.equal(timeline.positionAt(2000), 2);
  assert.equal(timeline.positionAt(2500), 2);
  assert.equal(timeline.positionAt(3010), 4);
  assert.equal(timeline.positionAt(10 ** 13), 10);
});

test("unknown event kinds are folded as no-ops, grouped as other, and caught as landmarks by name", () => {
  const timeline = new Timeline(session(12));
  assert.equal(kindOf("contract.filed.someday"), "other");
  assert.equal(kindOf("deal.signed"), "agenda");
  assert.equal(landmarkOf({ name: "deal.unsigned", data: {} }), "voided");
  assert.equal(kindOf("item.added"), "agenda");
  assert.equal(kindOf("consent.changed"), "transparency");
  assert.equal(kindOf("split.sealed"), "split");
  assert.equal(kindOf("phase.changed"), "moderation");
  assert.deepEqual(
    timeline.landmarks().map((l) => l.kind),
    ["signed"],
  );
  assert.equal(landmarkOf({ name: "agreement.voided", data: {} }), "voided");
  assert.equal(landmarkOf({ name: "item.agreed", data: { agreed: false } }), "unagreed");
  assert.equal(landmarkOf({ name: "phase.changed", data: { phase: "closed" } }), "closed");
});

test("the split of a moment follows the brief: the buyer's half rounds down", () => {
  const state = emptyState();
  state.items.set("i1", {
    id: "i1", kind: "term", title: "Stock", description: "", options: [], position: "a0", parked: false, removed: null,
    agreed: { buyer: false, seller: false }, consent: { buyer: true, seller: true }, withdrawal: { buyer: false, seller: false },
    revealed: true, figures: { buyer: { value: 120_000, cost: 10_000 }, seller: { value: 20_000, cost: 50_001 } },
    revisions: [], sealed: null, chosen: { buyer: null, seller: null }, voided: null,
  });
  const { lines, total } = splitOf(state);
  // own: buyer 110,000, seller -30,001; net 79,999; buyer's half 39,999; transfer to buyer -70,001.
  assert.deepEqual(lines.map((l) => [l.net, l.transfer]), [[79_999, -70_001]]);
  assert.deepEqual(total, { net: 79_999, transfer: -70_001 });
});

test("canonical JSON sorts keys at every depth and adds no spaces", () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [1, { f: null, e: "é" }], c: true } }), '{"a":{"c":true,"d":[1,{"e":"é","f":null}]},"b":1}');
});

test("the export is a header and one line per event, without the frame type", () => {
  const events = session(3);
  const proofs = events.map((_, i) => ({ salt: null, chain: String(i).repeat(64) }));
  const lines = exportText({ roomId: "r1", logId: "L", role: "buyer", events, proofs }).trimEnd().split("\n");
  assert.equal(lines.length, 4);
  assert.deepEqual(JSON.parse(lines[0]), { format: "valueroom-history/1", room: "r1", log_id: "L", role: "buyer", events: 3, chain: "2".repeat(64) });
  const first = JSON.parse(lines[1]);
  assert.equal(first.event.type, undefined);
  assert.equal(first.event.seq, 1);
});

test("a long session keeps at most MAX_CHECKPOINTS copies, and seeks stay exact", () => {
  const events = session(40_000);
  const timeline = new Timeline(events);
  assert.equal(timeline.every, 40);
  assert.ok(timeline.checkpoints.length <= MAX_CHECKPOINTS + 1);
  for (const n of [39_999, 20_001, 40]) {
    assert.deepEqual(timeline.stateAt(n), fold(events.slice(0, n)), `position ${n}`);
  }
});
