// Debug hooks for tests and for people poking at a room from the console.
//
//   valueroom.disconnect()            drop the socket as if the network failed; the
//                                     client reconnects by itself (back-off) and resumes
//   valueroom.disconnect({hold:true}) drop it and stay offline until reconnect()
//   valueroom.reconnect()             reconnect now (ends a hold, skips the back-off wait)
//   valueroom.state()                 {conn, attempt, you, logId, lastSeq, order, parked,
//                                      removed, items, private, phase, proposals, locked,
//                                      timer, notes, caucus, seals, access}: the CONFIRMED
//                                      state, agenda order
//   valueroom.view()                  the same for the rendered state (pending ops applied)
//   valueroom.pending()               [{op, name, args}] sent but not yet confirmed
//
// Nothing here bypasses the schema check or the server's rules.

import { agendaOrder } from "./order.js";

/**
 * @param {import("./session.js").Session} session
 * @param {import("./model.js").State} state
 */
function snapshot(session, state) {
  const ordered = agendaOrder(state.items.values());
  return {
    conn: session.conn.state,
    attempt: session.conn.attempt,
    you: session.you,
    logId: session.logId,
    lastSeq: session.lastSeq,
    order: ordered.filter((item) => !item.parked).map((item) => item.id),
    parked: ordered.filter((item) => item.parked).map((item) => item.id),
    removed: agendaOrder(state.removed.values()).map((item) => item.id),
    items: structuredClone(ordered),
    private: Object.fromEntries(state.private),
    phase: state.phase,
    proposals: { ...state.proposals },
    locked: state.locked,
    timer: state.timer,
    notes: [...state.notes.values()],
    caucus: structuredClone(state.caucus),
    seals: Object.fromEntries(state.seals),
    access: Object.fromEntries(state.access),
  };
}

export function installDebugHooks(session) {
  window.valueroom = Object.freeze({
    disconnect: (options) => session.disconnect(options),
    reconnect: () => session.reconnect(),
    state: () => snapshot(session, session.confirmed),
    view: () => snapshot(session, session.view()),
    pending: () => structuredClone(session.pending.list()),
  });
}
