// Edits refused for a passing reason are kept and re-sent until they land or
// the user discards them (src/session.js, src/pending.js).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mock, test } from "node:test";

import { createValidator } from "../src/schema.js";
import { Session } from "../src/session.js";

const schema = JSON.parse(readFileSync(new URL("../../shared_schema/schema.json", import.meta.url), "utf8"));

// The connection listens for the browser's online/offline events on `window`.
if (globalThis.window === undefined) {
  Object.defineProperty(globalThis, "window", { value: new EventTarget(), configurable: true });
}

function session() {
  const s = new Session({ validator: createValidator(schema), token: "t.t", name: "Bea", url: "ws://127.0.0.1:9/ws" });
  /** @type {any[]} */
  const sent = [];
  // @ts-ignore: a stand-in for the websocket connection
  s.connection = { ready: true, send: (frame) => (sent.push(frame), true), markJoined() {} };
  return { s, sent };
}

const ADD = { item_id: "i1", kind: "term", title: "Price" };

test("an edit refused as unavailable is kept, shown, and re-sent until its ack", () => {
  mock.timers.enable({ apis: ["setTimeout"] });
  try {
    const { s, sent } = session();
    s.addItem(ADD);
    const op = sent[0].op;
    s.receive({ type: "error", op, code: "unavailable", message: "down", reason: null, field: null, params: {} });
    assert.equal(s.pending.size, 1);
    assert.equal(s.unsaved, 1);
    assert.equal(s.view().items.has("i1"), true, "still shown");
    mock.timers.tick(1000);
    assert.equal(sent.length, 2);
    assert.equal(sent[1].op, op, "the same op id, so the server applies it once");
    s.receive({ type: "error", op, code: "busy", message: "busy", reason: null, field: null, params: {} });
    mock.timers.tick(1999);
    assert.equal(sent.length, 2, "the pause grows");
    mock.timers.tick(1);
    assert.equal(sent.length, 3);
    s.receive({ type: "ack", op, seq: 2 });
    assert.equal(s.pending.size, 0);
    assert.equal(s.unsaved, 0);
  } finally {
    mock.timers.reset();
  }
});

test("the user can discard edits that wait for a retry; other refusals drop the edit at once", () => {
  mock.timers.enable({ apis: ["setTimeout"] });
  try {
    const { s, sent } = session();
    s.addItem(ADD);
    s.receive({ type: "error", op: sent[0].op, code: "rate_limited", message: "slow", reason: "rate.limited", field: null, params: {} });
    assert.equal(s.discardUnsaved(), 1);
    assert.equal(s.pending.size, 0);
    assert.equal(s.view().items.has("i1"), false);
    mock.timers.tick(60_000);
    assert.equal(sent.length, 1, "nothing is re-sent after a discard");
    s.addItem({ ...ADD, item_id: "i2" });
    s.receive({ type: "error", op: sent[1].op, code: "not_permitted", message: "no", reason: null, field: null, params: {} });
    assert.equal(s.pending.size, 0);
  } finally {
    mock.timers.reset();
  }
});

test("a teammate's event with the same op id does not confirm this page's edit", () => {
  const { s, sent } = session();
  s.you = { id: "m1", role: "buyer", name: "Bea", editing: null };
  s.addItem(ADD);
  const other = { role: "buyer", name: "Bob" };
  s.receive({ type: "event", seq: 1, at: 0, actor: other, op: sent[0].op, vis: 7, name: "item.added",
    data: { item_id: "x", kind: "term", title: "X", description: "", options: [], position: "a0" } });
  assert.equal(s.pending.size, 1);
});
