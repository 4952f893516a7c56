// The confirmed room state: what the server said, folded from welcome views
// and event frames in sequence order. Pure: no DOM, no sockets.
//
// Items are replaced (never mutated) when they change, so a view can tell
// "this item changed" by identity.

/**
 * @typedef {"buyer" | "seller"} Party
 * @typedef {{id: string, title: string, buyer_org: string, seller_org: string,
 *   currency: string, neutral: boolean, created_at: number}} Room
 * @typedef {{id: string, label: string}} Option
 * @typedef {{value: number, cost: number}} Figures
 * @typedef {{value: number, cost: number, note: string}} PrivateRecord
 * @typedef {{party: string, before: Figures, after: Figures, seq: number}} Revision
 * @typedef {{id: string, kind: string, title: string, description: string, options: Option[],
 *   position: string, parked: boolean, agreed: Record<string, boolean>,
 *   consent: Record<string, boolean>, revealed: boolean, figures: Record<string, Figures>,
 *   revisions: Revision[]}} Item
 * @typedef {{room: Room | null, items: Map<string, Item>, private: Map<string, PrivateRecord>}} State
 * @typedef {{room: Room | null, items: Item[], private: Record<string, PrivateRecord>}} WireView
 *   the `view` of a welcome frame
 * @typedef {{type: "event", seq: number, at: number, actor: {role: string, name: string} | null,
 *   op: string | null, vis: number, name: string, data: Record<string, any>}} EventFrame
 */

/** @type {Party[]} */
export const PARTIES = ["buyer", "seller"];

/** @returns {State} */
export function emptyState() {
  return { room: null, items: new Map(), private: new Map() };
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
  for (const [id, record] of Object.entries(view.private)) state.private.set(id, record);
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
    agreed: { buyer: false, seller: false },
    consent: { buyer: false, seller: false },
    revealed: false,
    figures: {},
    revisions: [],
  };
}

/**
 * Replace item `id` (if present) by a copy with `change(item)` merged in.
 * @param {State} state
 * @param {string} id
 * @param {(item: Item) => Partial<Item>} change
 */
function patch(state, id, change) {
  const item = state.items.get(id);
  if (item) state.items.set(id, { ...item, ...change(item) });
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
    patch(state, d.item_id, (item) => ({ agreed: { ...item.agreed, [d.party]: d.agreed } })),
  "item.deleted": (state, d) => {
    state.items.delete(d.item_id);
    state.private.delete(d.item_id);
  },
  "figures.registered": (state, d) =>
    state.private.set(d.item_id, { value: d.value, cost: d.cost, note: d.note }),
  "consent.changed": (state, d) =>
    patch(state, d.item_id, (item) => ({ consent: { ...item.consent, [d.party]: d.consent } })),
  "item.revealed": (state, d) =>
    patch(state, d.item_id, () => ({ revealed: true, figures: { buyer: d.buyer, seller: d.seller } })),
  "figures.revised": (state, d, event) =>
    patch(state, d.item_id, (item) => ({
      figures: { ...item.figures, [d.party]: d.after },
      revisions: [...item.revisions, { party: d.party, before: d.before, after: d.after, seq: event.seq }],
    })),
};

/**
 * Fold one (schema-valid) event frame into `state`, in place.
 * @param {State} state
 * @param {EventFrame} event
 */
export function applyEvent(state, event) {
  APPLY[event.name]?.(state, event.data, event);
}
