// The method's guidance in the confirmed state, folded like the server's
// View (domain/state.py): this party's own answers to the two core questions,
// who is ready to share, both sides' answers once both were, the
// transparency plan per item and the trust pulses. Kept in the wire's shape.

/**
 * @typedef {{valuable: string, cooperation: string}} Answers
 * @typedef {{buyer: boolean | null, seller: boolean | null}} PlanEntry
 * @typedef {{party: string, behaviour: string, at: number}} Pulse
 * @typedef {{own: Answers | null, ready: {buyer: boolean, seller: boolean},
 *   shared: {buyer: Answers, seller: Answers} | null,
 *   plan: Record<string, PlanEntry>, pulses: Pulse[]}} Guide
 */

export const CORE_QUESTIONS = ["valuable", "cooperation"];

/** The trust pulses a view keeps, newest last (the schema's `kept_pulses`, as the server's fold). */
export const KEPT_PULSES = 200;

/** The 13 trust-building behaviours (Covey), in the article's order. */
export const TRUST_BEHAVIOURS = [
  "straight_talk",
  "respect",
  "transparency",
  "right_wrongs",
  "loyalty",
  "results",
  "get_better",
  "confront_reality",
  "clarify_expectations",
  "accountability",
  "listen_first",
  "keep_commitments",
  "extend_trust",
];

/** Item kinds that carry no figures (mirrors method.KINDS_WITHOUT_FIGURES). */
export const KINDS_WITHOUT_FIGURES = new Set(["question", "note"]);

/** @returns {Guide} */
export function emptyGuide() {
  return { own: null, ready: { buyer: false, seller: false }, shared: null, plan: {}, pulses: [] };
}

/**
 * A deep copy of a welcome view's `guide`.
 * @param {Guide} wire
 * @returns {Guide}
 */
export function guideFromWire(wire) {
  return structuredClone(wire);
}

/** @type {Record<string, (guide: Guide, d: Record<string, any>, event: {at: number}) => void>} */
const APPLY = {
  "opening.answered": (guide, d) => {
    guide.own = { ...(guide.own ?? { valuable: "", cooperation: "" }), [d.question]: d.answer };
  },
  "opening.ready": (guide, d) => {
    guide.ready = { ...guide.ready, [d.party]: true };
  },
  "opening.shared": (guide, d) => {
    guide.shared = structuredClone(d.answers);
  },
  "plan.changed": (guide, d) => {
    const entry = guide.plan[d.item_id] ?? { buyer: null, seller: null };
    guide.plan = { ...guide.plan, [d.item_id]: { ...entry, [d.party]: d.open } };
  },
  "trust.pulsed": (guide, d, event) => {
    guide.pulses = [...guide.pulses, { party: d.party, behaviour: d.behaviour, at: event.at }].slice(-KEPT_PULSES);
  },
};

/** The event names this module folds. */
export const GUIDE_EVENTS = new Set(Object.keys(APPLY));

/**
 * Fold one guidance event into `guide`, in place.
 * @param {Guide} guide
 * @param {string} name
 * @param {Record<string, any>} data
 * @param {{at: number}} event
 */
export function applyGuideEvent(guide, name, data, event) {
  APPLY[name]?.(guide, data, event);
}
