// The confirmed room state: what the server said, folded from welcome views
// and event frames in sequence order. Pure: no DOM, no sockets.
//
// This is the client's one fold and mirrors the server's (domain/state.py):
// stateFromView(view) of a welcome equals the fold of the events that led to
// it. Items are replaced (never mutated) when they change, so a view can tell
// "this item changed" by identity.
//
// State: room, items (on the agenda) and removed (deleted or withdrawn, so
// they can be restored), private (this party's own figures), phase and the
// parties' phase proposals, the agenda lock, the round timer, the neutral's
// process notes, the caucus threads this role may see, the figures under seal
// this role may see (a party: its own; the neutral: both) and their access log,
// and the method's guidance (guide-model.js).

import { applyGuideEvent, emptyGuide, GUIDE_EVENTS, guideFromWire } from "./guide-model.js";

/**
 * @typedef {"buyer" | "seller"} Party
 * @typedef {{id: string, title: string, buyer_org: string, seller_org: string,
 *   currency: string, neutral: boolean, created_at: number}} Room
 * @typedef {{id: string, label: string}} Option
 * @typedef {{value_low: number, value_high: number, cost_low: number, cost_high: number}} Range
 * @typedef {{value: number, cost: number, range?: Range}} Figures
 * @typedef {{value: number, cost: number, note: string, range?: Range}} PrivateRecord
 * @typedef {{party: string, before: Figures, after: Figures, seq: number}} Revision
 * @typedef {{net: number, fair: {buyer: number, seller: number},
 *   transfer: {buyer: number, seller: number}}} SealedLine the split line of an item under seal
 * @typedef {{id: string, kind: string, title: string, description: string, options: Option[],
 *   position: string, parked: boolean, removed: "deleted" | "withdrawn" | null,
 *   agreed: Record<string, boolean>, consent: Record<string, boolean>,
 *   withdrawal: Record<string, boolean>, revealed: boolean, figures: Record<string, Figures>,
 *   revisions: Revision[], sealed: SealedLine | null,
 *   chosen: Record<string, string | null>, voided: Voided | null}} Item
 * @typedef {{field: string, old: string, new: string}} Change
 * @typedef {{by: string, changes: Change[]}} Voided what voided an item's agreement
 * @typedef {{id: string, who: string, what: string, due: string | null, item_id: string | null,
 *   by: string, at: number, status: string, comment: string}} Commitment
 * @typedef {{hash: string, name: string, at: number}} Signature
 * @typedef {{hash: string, sheet: any, at: number}} Agreement
 * @typedef {{seconds: number, label: string, started_at: number}} Timer
 * @typedef {{id: string, text: string, by: string, at: number}} Note
 * @typedef {{role: string, name: string, text: string, at: number}} Message
 * @typedef {{open: boolean, messages: Message[], note: string}} Caucus
 * @typedef {{version: number, value: number, cost: number, status: string,
 *   outdated: boolean, comment: string}} Seal
 * @typedef {{party: string, version: number, member: string, how: string, at: number}} Access
 * @typedef {{buyer: string | null, seller: string | null}} Proposals
 * @typedef {{room: Room | null, items: Map<string, Item>, removed: Map<string, Item>,
 *   private: Map<string, PrivateRecord>, phase: string, proposals: Proposals, locked: boolean,
 *   timer: Timer | null, notes: Map<string, Note>, caucus: {buyer: Caucus, seller: Caucus},
 *   seals: Map<string, Record<string, Seal>>, access: Map<string, Access[]>,
 *   guide: import("./guide-model.js").Guide,
 *   commitments: Map<string, Commitment>, signatures: Record<string, Signature>,
 *   unsigned: {by: string, hash: string} | null, agreement: Agreement | null}} State
 * @typedef {{room: Room | null, items: Item[], removed: Item[],
 *   private: Record<string, PrivateRecord>, phase: string, proposals: Proposals, locked: boolean,
 *   timer: Timer | null, notes: Note[], caucus: {buyer: Caucus, seller: Caucus},
 *   seals: Record<string, Record<string, Seal>>, access: Record<string, Access[]>,
 *   guide: import("./guide-model.js").Guide,
 *   commitments: Commitment[], signatures: Record<string, Signature>,
 *   unsigned: {by: string, hash: string} | null, agreement: Agreement | null}} WireView
 *   the `view` of a welcome frame
 * @typedef {{type: "event", seq: number, at: number, actor: {role: string, name: string} | null,
 *   op: string | null, vis: number, name: string, data: Record<string, any>}} EventFrame
 */

/** @type {Party[]} */
export const PARTIES = ["buyer", "seller"];

/**
 * The histories a view keeps (newest last), as the server's fold keeps them
 * (domain/state.py, the schema's `kept_*` limits): older entries stay in the
 * log only.
 */
export const KEPT = { revisions: 100, messages: 500, access: 100 };

/**
 * `list` with `entry` appended, and only its last `most` entries.
 * @template T
 * @param {T[]} list
 * @param {T} entry
 * @param {number} most
 * @returns {T[]}
 */
const appendKept = (list, entry, most) => [...list, entry].slice(-most);

const keys = () => ({ buyer: false, seller: false });
const choices = () => ({ buyer: null, seller: null });

/** @returns {State} */
export function emptyState() {
  return {
    room: null,
    items: new Map(),
    removed: new Map(),
    private: new Map(),
    phase: "preparation",
    proposals: { buyer: null, seller: null },
    locked: false,
    timer: null,
    notes: new Map(),
    caucus: { buyer: { open: false, messages: [], note: "" }, seller: { open: false, messages: [], note: "" } },
    seals: new Map(),
    access: new Map(),
    guide: emptyGuide(),
    commitments: new Map(),
    signatures: {},
    unsigned: null,
    agreement: null,
  };
}

/**
 * The state a welcome's `view` describes.
 * @param {WireView} view
 * @returns {State}
 */
export function stateFromView(view) {
  const state = emptyState();
  state.room = view.room;
  for (const item of view.items) state.items.set(item.id, item);
  for (const item of view.removed) state.removed.set(item.id, item);
  for (const [id, record] of Object.entries(view.private)) state.private.set(id, record);
  state.phase = view.phase;
  state.proposals = { ...view.proposals };
  state.locked = view.locked;
  state.timer = view.timer;
  for (const note of view.notes) state.notes.set(note.id, note);
  state.caucus = {
    buyer: { open: view.caucus.buyer.open, messages: [...view.caucus.buyer.messages], note: view.caucus.buyer.note },
    seller: { open: view.caucus.seller.open, messages: [...view.caucus.seller.messages], note: view.caucus.seller.note },
  };
  for (const [id, byParty] of Object.entries(view.seals)) state.seals.set(id, { ...byParty });
  for (const [id, entries] of Object.entries(view.access)) state.access.set(id, [...entries]);
  state.guide = guideFromWire(view.guide);
  for (const commitment of view.commitments) state.commitments.set(commitment.id, commitment);
  state.signatures = { ...view.signatures };
  state.unsigned = view.unsigned;
  state.agreement = view.agreement;
  return state;
}

/**
 * A fresh item from the data of an `item.added` event (or an `item.add` command).
 * @param {{item_id: string, kind: string, title: string, description?: string,
 *   options?: Option[], position: string}} data
 * @returns {Item}
 */
export function newItem(data) {
  return {
    id: data.item_id,
    kind: data.kind,
    title: data.title,
    description: data.description ?? "",
    options: data.options ?? [],
    position: data.position,
    parked: false,
    removed: null,
    agreed: keys(),
    consent: keys(),
    withdrawal: keys(),
    revealed: false,
    figures: {},
    revisions: [],
    sealed: null,
    chosen: choices(),
    voided: null,
  };
}

/**
 * Replace item `id` (on the agenda or removed) by a copy with `change(item)` merged in.
 * @param {State} state
 * @param {string} id
 * @param {(item: Item) => Partial<Item>} change
 */
function patch(state, id, change) {
  for (const map of [state.items, state.removed]) {
    const item = map.get(id);
    if (item) map.set(id, { ...item, ...change(item) });
  }
}

function remove(state, id, how) {
  const item = state.items.get(id);
  if (!item) return;
  state.items.delete(id);
  const removed = { ...item, removed: how };
  if (how === "withdrawn") removed.withdrawal = keys();
  state.removed.set(id, removed);
}

function patchSeal(state, d, change) {
  const byParty = state.seals.get(d.item_id);
  const seal = byParty?.[d.party];
  if (seal) state.seals.set(d.item_id, { ...byParty, [d.party]: { ...seal, ...change } });
}

function setCaucus(state, party, change) {
  state.caucus = { ...state.caucus, [party]: { ...state.caucus[party], ...change(state.caucus[party]) } };
}

// Event data arrives checked against the shared schema (`events` in schema.json).
/** @type {Record<string, (state: State, d: any, event: EventFrame) => void>} */
const APPLY = {
  "room.created": (state, d, event) => {
    state.room = {
      id: d.id,
      title: d.title,
      buyer_org: d.buyer_org,
      seller_org: d.seller_org,
      currency: d.currency,
      neutral: d.neutral,
      created_at: event.at,
    };
  },
  "item.added": (state, d) => state.items.set(d.item_id, newItem(d)),
  "item.edited": (state, d) => {
    const { item_id: id, ...changes } = d;
    patch(state, id, () => changes);
  },
  "item.moved": (state, d) => patch(state, d.item_id, () => ({ position: d.position })),
  "item.parked": (state, d) => patch(state, d.item_id, () => ({ parked: d.parked })),
  "item.agreed": (state, d) =>
    patch(state, d.item_id, (item) => ({
      agreed: { ...item.agreed, [d.party]: d.agreed },
      chosen: { ...item.chosen, [d.party]: d.agreed ? (d.option ?? null) : null },
    })),
  "item.agreement_voided": (state, d) =>
    patch(state, d.item_id, () => ({
      agreed: keys(),
      chosen: choices(),
      voided: { by: d.by, changes: d.changes.map((/** @type {Change} */ c) => ({ ...c })) },
    })),
  "item.deleted": (state, d) => remove(state, d.item_id, "deleted"),
  "withdrawal.changed": (state, d) =>
    patch(state, d.item_id, (item) => ({ withdrawal: { ...item.withdrawal, [d.party]: d.withdraw } })),
  "item.withdrawn": (state, d) => remove(state, d.item_id, "withdrawn"),
  "item.restored": (state, d) => {
    const item = state.removed.get(d.item_id);
    if (!item) return;
    state.removed.delete(d.item_id);
    state.items.set(d.item_id, { ...item, removed: null, position: d.position });
  },
  "figures.registered": (state, d) =>
    state.private.set(d.item_id, {
      value: d.value,
      cost: d.cost,
      note: d.note,
      ...(d.range ? { range: { ...d.range } } : {}),
    }),
  "consent.changed": (state, d) =>
    patch(state, d.item_id, (item) => ({ consent: { ...item.consent, [d.party]: d.consent } })),
  "item.revealed": (state, d) =>
    patch(state, d.item_id, () => ({ revealed: true, figures: { buyer: d.buyer, seller: d.seller } })),
  "figures.revised": (state, d, event) =>
    patch(state, d.item_id, (item) => ({
      figures: { ...item.figures, [d.party]: d.after },
      revisions: appendKept(item.revisions, { party: d.party, before: d.before, after: d.after, seq: event.seq }, KEPT.revisions),
    })),
  "phase.proposed": (state, d) => {
    state.proposals = { ...state.proposals, [d.party]: d.phase };
  },
  "phase.changed": (state, d) => {
    state.phase = d.phase;
    state.proposals = { buyer: null, seller: null };
  },
  "agenda.locked": (state, d) => {
    state.locked = d.locked;
  },
  "timer.started": (state, d, event) => {
    state.timer = { seconds: d.seconds, label: d.label, started_at: event.at };
  },
  "timer.cleared": (state) => {
    state.timer = null;
  },
  "note.added": (state, d, event) =>
    state.notes.set(d.note_id, { id: d.note_id, text: d.text, by: event.actor?.name ?? "", at: event.at }),
  "note.edited": (state, d) => {
    const note = state.notes.get(d.note_id);
    if (note) state.notes.set(d.note_id, { ...note, text: d.text });
  },
  "note.removed": (state, d) => state.notes.delete(d.note_id),
  "caucus.opened": (state, d) => setCaucus(state, d.party, () => ({ open: true })),
  "caucus.noted": (state, d) => setCaucus(state, d.party, () => ({ note: d.text })),
  "caucus.closed": (state, d) => setCaucus(state, d.party, () => ({ open: false })),
  "caucus.posted": (state, d, event) =>
    setCaucus(state, d.party, (thread) => ({
      messages: appendKept(
        thread.messages,
        { role: event.actor?.role ?? "", name: event.actor?.name ?? "", text: d.text, at: event.at },
        KEPT.messages,
      ),
    })),
  "seal.shared": (state, d) => {
    const seal = { version: d.version, value: d.value, cost: d.cost, status: "shared", outdated: false, comment: "" };
    state.seals.set(d.item_id, { ...(state.seals.get(d.item_id) ?? {}), [d.party]: seal });
  },
  "seal.withdrawn": (state, d) => {
    const { [d.party]: _gone, ...rest } = state.seals.get(d.item_id) ?? {};
    if (Object.keys(rest).length) state.seals.set(d.item_id, rest);
    else state.seals.delete(d.item_id);
  },
  "seal.verified": (state, d) => patchSeal(state, d, { status: "verified", comment: d.comment }),
  "seal.disputed": (state, d) => patchSeal(state, d, { status: "disputed", comment: d.comment }),
  "seal.outdated": (state, d) => patchSeal(state, d, { outdated: true }),
  "seal.accessed": (state, d, event) => {
    const entry = { party: d.party, version: d.version, member: d.member, how: d.how, at: event.at };
    state.access.set(d.item_id, appendKept(state.access.get(d.item_id) ?? [], entry, KEPT.access));
  },
  "split.sealed": (state, d) =>
    patch(state, d.item_id, () => ({ sealed: { net: d.net, fair: d.fair, transfer: d.transfer } })),
  "split.unsealed": (state, d) => patch(state, d.item_id, () => ({ sealed: null })),
  "commitment.added": (state, d, event) =>
    state.commitments.set(d.commitment_id, {
      id: d.commitment_id,
      who: d.who,
      what: d.what,
      due: d.due,
      item_id: d.item_id,
      by: event.actor?.name ?? "",
      at: event.at,
      status: "open",
      comment: "",
    }),
  "commitment.updated": (state, d) => {
    const commitment = state.commitments.get(d.commitment_id);
    if (commitment) state.commitments.set(d.commitment_id, { ...commitment, status: d.status, comment: d.comment });
  },
  "deal.signed": (state, d, event) => {
    state.signatures = { ...state.signatures, [d.role]: { hash: d.hash, name: event.actor?.name ?? "", at: event.at } };
  },
  "deal.unsigned": (state, d) => {
    state.signatures = {};
    state.unsigned = { by: d.by, hash: d.hash };
  },
  "deal.agreed": (state, d, event) => {
    state.agreement = { hash: d.hash, sheet: d.sheet, at: event.at };
  },
};

/** Both parties agreed on the item, on the same option when it has options. Mirrors Item.agreed_by_both. */
export function agreedByBoth(item) {
  return item.agreed.buyer && item.agreed.seller && item.chosen.buyer === item.chosen.seller;
}

/**
 * Fold one (schema-valid) event frame into `state`, in place.
 * @param {State} state
 * @param {EventFrame} event
 */
export function applyEvent(state, event) {
  if (GUIDE_EVENTS.has(event.name)) applyGuideEvent(state.guide, event.name, event.data, event);
  else APPLY[event.name]?.(state, event.data, event);
}

/** Why nobody may delete this item (it can only be withdrawn by both), or null. Mirrors Item.protected. */
export function protectedBecause(item) {
  if (item.agreed.buyer || item.agreed.seller) return "agreed";
  if (item.revealed) return "revealed";
  if (item.sealed) return "sealed";
  return null;
}
