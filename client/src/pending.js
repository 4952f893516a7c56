// Optimistic local edits: a queue of sent-but-unconfirmed operations, and the
// projection of the confirmed state with those operations applied on top.
//
// An op leaves the queue when its ack, its error, or an event carrying its op
// id arrives. Ops survive a reconnect and are re-sent with the same op id;
// the server applies an op id once. An op refused for a passing reason (the
// store unavailable, the room busy, too many edits at once) is *held*: it
// stays in the queue, still shown, and is re-sent later until it lands or the
// user discards it.

import { newItem } from "./model.js";
import { parseAmount } from "./money.js";

/**
 * @typedef {import("./model.js").State} State
 * @typedef {import("./model.js").Option} Option
 * @typedef {{op: string, name: string, args: Record<string, any>}} Op a command sent but not confirmed
 * @typedef {State & {pendingFigures: ReadonlySet<string>}} Projected
 */

/** @type {ReadonlySet<string>} */
const NONE = new Set();

export class PendingOps {
  constructor() {
    /** @type {Op[]} */
    this.ops = [];
    /** @type {Set<string>} ids of ops refused for a passing reason, waiting to be re-sent */
    this.held = new Set();
  }

  /**
   * Keep a refused op for a later retry; false if it is not pending.
   * @param {string} opId
   */
  hold(opId) {
    if (!this.has(opId)) return false;
    this.held.add(opId);
    return true;
  }

  /** The held ops, in order; they are no longer held (they are about to be re-sent). */
  release() {
    const ops = this.ops.filter((op) => this.held.has(op.op));
    this.held.clear();
    return ops;
  }

  /** Drop every held op (the user gave up on them); returns them. */
  discardHeld() {
    const gone = this.ops.filter((op) => this.held.has(op.op));
    this.ops = this.ops.filter((op) => !this.held.has(op.op));
    this.held.clear();
    return gone;
  }

  get size() {
    return this.ops.length;
  }

  /** @param {Op} op */
  add(op) {
    this.ops.push(op);
  }

  /**
   * Remove and return the op with this id (undefined if not pending).
   * @param {string} opId
   * @returns {Op | undefined}
   */
  take(opId) {
    this.held.delete(opId);
    const index = this.ops.findIndex((op) => op.op === opId);
    return index < 0 ? undefined : this.ops.splice(index, 1)[0];
  }

  /** @param {string} opId */
  has(opId) {
    return this.ops.some((op) => op.op === opId);
  }

  /** @returns {Op[]} */
  list() {
    return [...this.ops];
  }
}

/**
 * What to render: `state` with `ops` applied in order. Copy-on-write: items
 * untouched by a pending op keep their identity. `models` are the default
 * relationship-model options the server announced in its welcome;
 * `maxUnits` is the schema's largest amount (`limits.max_amount_units`).
 * @param {State} state
 * @param {Op[]} ops
 * @param {string | null} role
 * @param {number} decimals
 * @param {Option[]} models
 * @param {number} maxUnits
 * @returns {Projected}
 */
export function project(state, ops, role, decimals, models, maxUnits) {
  if (!ops.length) return { ...state, pendingFigures: NONE };
  const items = new Map(state.items);
  const removed = new Map(state.removed);
  const privates = new Map(state.private);
  const pendingFigures = new Set();
  let guide = state.guide;
  /** @param {string} id @param {(item: import("./model.js").Item) => Partial<import("./model.js").Item>} change */
  const update = (id, change) => {
    const item = items.get(id);
    if (item) items.set(id, { ...item, ...change(item) });
  };
  for (const { name, args } of ops) {
    switch (name) {
      case "item.add":
        if (!items.has(args.item_id)) {
          const options = args.options ?? (args.kind === "relationship" ? models : []);
          const data = { item_id: args.item_id, kind: args.kind, title: args.title, description: args.description };
          items.set(args.item_id, newItem({ ...data, options, position: args.position ?? "zz" }));
        }
        break;
      case "item.edit": {
        const { item_id: id, ...changes } = args;
        update(id, () => changes);
        break;
      }
      case "item.move":
        update(args.item_id, () => ({ position: args.position }));
        break;
      case "item.park":
        update(args.item_id, () => ({ parked: args.parked }));
        break;
      case "item.agree":
        if (role) {
          update(args.item_id, (item) => ({
            agreed: { ...item.agreed, [role]: args.agreed },
            chosen: { ...item.chosen, [role]: args.agreed ? (args.option ?? null) : null },
          }));
        }
        break;
      case "item.delete": {
        const item = items.get(args.item_id);
        if (item) {
          items.delete(args.item_id);
          removed.set(args.item_id, { ...item, removed: "deleted" });
        }
        break;
      }
      case "consent.set":
        if (role) {
          update(args.item_id, (item) =>
            item.revealed ? {} : { consent: { ...item.consent, [role]: args.consent } },
          );
        }
        break;
      case "figures.set": {
        pendingFigures.add(args.item_id);
        const value = parseAmount(args.value, decimals, { allowNegative: true, maxUnits });
        const cost = parseAmount(args.cost, decimals, { allowNegative: false, maxUnits });
        if (value !== null && cost !== null) {
          const note = args.note ?? privates.get(args.item_id)?.note ?? "";
          privates.set(args.item_id, { value, cost, note });
        }
        break;
      }
      case "opening.answer":
        // The party's own answer shows as sent until the server confirms it,
        // so a render in between never puts the old answer back in the field.
        if (role && !guide.ready[role]) {
          guide = { ...guide, own: { ...(guide.own ?? { valuable: "", cooperation: "" }), [args.question]: args.answer } };
        }
        break;
      default:
        break;
    }
  }
  return { ...state, items, removed, private: privates, guide, pendingFigures };
}
