// A role's session as a seekable timeline: its events, folded with the
// client's own fold (model.js), with a model copy every CHECKPOINT events (or
// further apart past MAX_CHECKPOINTS of them) so that seeking anywhere applies
// only a few events.
//
// Position n (0..length) means "after the role's event n": 0 is before the
// room existed. Pure: no DOM, no sockets.

import { applyEvent, emptyState } from "../model.js";

export const CHECKPOINT = 32;
// At most this many checkpoints: a longer session spaces them further apart
// (100,000 events: one per 100), so building stays linear and a seek applies
// at most `every - 1` events.
export const MAX_CHECKPOINTS = 1000;

/** The filter group of an event name; unknown names are "other" (and still folded). */
export function kindOf(name) {
  if (name.startsWith("item.") && !["item.revealed"].includes(name)) return "agenda";
  if (name === "withdrawal.changed" || name === "room.created") return "agenda";
  if (name.startsWith("figures.") || name.startsWith("consent.") || name === "item.revealed") return "transparency";
  if (name.startsWith("seal.")) return "transparency";
  if (name.startsWith("split.")) return "split";
  if (name.startsWith("deal.") || name.startsWith("commitment.")) return "agenda";
  if (
    name.startsWith("phase.") ||
    name.startsWith("agenda.") ||
    name.startsWith("timer.") ||
    name.startsWith("note.") ||
    name.startsWith("caucus.")
  ) {
    return "moderation";
  }
  return "other";
}

export const KINDS = ["agenda", "transparency", "split", "moderation", "other"];

/**
 * Is event `event` a landmark, and which: phase changes, reveals, agreements
 * and voided agreements, sealed splits, sign-off. Matched by name fragments, so
 * event kinds added later (an agreement's sign-off, a voided deal) are caught.
 * @returns {string | null}
 */
export function landmarkOf(event) {
  const { name, data } = event;
  if (name === "phase.changed") return data?.phase === "closed" ? "closed" : "phase";
  if (name === "item.revealed") return "reveal";
  if (name === "item.agreed") return data?.agreed === false ? "unagreed" : "agreed";
  if (name === "split.sealed") return "sealed";
  if (name === "deal.unsigned" || /void|revok|cancel/.test(name)) return "voided";
  if (/sign/.test(name)) return "signed";
  if (/^(agreement|deal)\./.test(name)) return "agreement";
  return null;
}

export class Timeline {
  /** @param {import("../model.js").EventFrame[]} events the role's events, numbered 1.. */
  constructor(events) {
    this.events = events;
    this.every = Math.max(CHECKPOINT, Math.ceil(events.length / MAX_CHECKPOINTS));
    /** @type {import("../model.js").State[]} */
    this.checkpoints = [];
    const state = emptyState();
    this.checkpoints.push(structuredClone(state));
    events.forEach((event, index) => {
      applyEvent(state, event);
      if ((index + 1) % this.every === 0) this.checkpoints.push(structuredClone(state));
    });
  }

  get length() {
    return this.events.length;
  }

  /**
   * The role's state after its event n (a fresh copy: callers may keep it).
   * @param {number} n
   */
  stateAt(n) {
    const position = Math.max(0, Math.min(n, this.length));
    const base = Math.floor(position / this.every);
    const state = structuredClone(this.checkpoints[base]);
    for (let i = base * this.every; i < position; i += 1) applyEvent(state, this.events[i]);
    return state;
  }

  /** The last position whose event happened at or before `time` (ms), at least 1 when any. */
  positionAt(time) {
    let low = 0;
    let high = this.length;
    while (low < high) {
      const mid = Math.ceil((low + high) / 2);
      if (this.events[mid - 1].at <= time) low = mid;
      else high = mid - 1;
    }
    return Math.max(low, Math.min(1, this.length));
  }

  /** [{position, kind, event}] of every landmark, in order. */
  landmarks() {
    const found = [];
    this.events.forEach((event, index) => {
      const kind = landmarkOf(event);
      if (kind) found.push({ position: index + 1, kind, event });
    });
    return found;
  }

  /** Who did what up to position n: per actor (role + name), its last event. */
  actorsAt(n) {
    /** @type {Map<string, {role: string, name: string, last: import("../model.js").EventFrame, position: number}>} */
    const actors = new Map();
    for (let i = 0; i < Math.min(n, this.length); i += 1) {
      const event = this.events[i];
      if (!event.actor) continue;
      const key = `${event.actor.role}:${event.actor.name}`;
      actors.set(key, { role: event.actor.role, name: event.actor.name, last: event, position: i + 1 });
    }
    return [...actors.values()];
  }
}

/**
 * The split this role could work out at a moment: the revealed items and the
 * items under seal (what the shared split shows), by the brief's rule
 * (buyer's half rounded down). Private figures are not in it.
 * @param {import("../model.js").State} state
 */
export function splitOf(state) {
  const lines = [];
  for (const item of state.items.values()) {
    if (item.parked) continue;
    if (item.sealed) {
      lines.push({ id: item.id, title: item.title, net: item.sealed.net, transfer: item.sealed.transfer.buyer, sealed: true });
      continue;
    }
    const { buyer, seller } = item.figures;
    if (!item.revealed || !buyer || !seller) continue;
    const ownBuyer = buyer.value - buyer.cost;
    const net = ownBuyer + (seller.value - seller.cost);
    const fairBuyer = Math.floor(net / 2);
    lines.push({ id: item.id, title: item.title, net, transfer: fairBuyer - ownBuyer, sealed: false });
  }
  const total = lines.reduce((sum, line) => ({ net: sum.net + line.net, transfer: sum.transfer + line.transfer }), { net: 0, transfer: 0 });
  return { lines, total };
}
