// The confirmed room state: what the server said, folded from welcome views
// and event frames in sequence order. Pure: no DOM, no sockets.
//
// Items are replaced (never mutated) when they change, so a view can tell
// "this item changed" by identity.

export const PARTIES = ["buyer", "seller"];

export function emptyState() {
  return { room: null, items: new Map(), private: new Map() };
}

/** The state a welcome's `view` describes. */
export function stateFromView(view) {
  const state = emptyState();
  state.room = view.room;
  for (const item of view.items) state.items.set(item.id, item);
  for (const [id, record] of Object.entries(view.private)) state.private.set(id, record);
  return state;
}

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

function patch(state, id, change) {
  const item = state.items.get(id);
  if (item) state.items.set(id, { ...item, ...change(item) });
}

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

/** Fold one (schema-valid) event frame into `state`, in place. */
export function applyEvent(state, event) {
  APPLY[event.name]?.(state, event.data, event);
}
