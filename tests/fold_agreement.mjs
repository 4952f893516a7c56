// The browser's fold (client/src/model.js) over event frames, for
// tests/test_fold_agreement.py. Reads JSON from the file named in argv[2]:
// a list of cases {frames, snapshot: {at, view}}, the event frames one role
// received (numbered 1, 2, ... for that role) and the welcome view that role
// got after `at` of them. Prints, per case, the state two ways, each as a
// welcome view (items in agenda order): folded from an empty state over every
// frame, and started from the snapshot with the later frames applied.
// Run with --import client/test/support/register.js (for /vendor/ imports).
import { readFileSync } from "node:fs";

import { applyEvent, emptyState, stateFromView } from "../client/src/model.js";
import { agendaOrder } from "../client/src/order.js";

/** @param {import("../client/src/model.js").State} state */
function asView(state) {
  return {
    room: state.room,
    items: agendaOrder(state.items.values()),
    removed: agendaOrder(state.removed.values()),
    private: Object.fromEntries(state.private),
    phase: state.phase,
    proposals: state.proposals,
    locked: state.locked,
    timer: state.timer,
    notes: [...state.notes.values()],
    caucus: state.caucus,
    seals: Object.fromEntries([...state.seals].filter(([, byParty]) => Object.keys(byParty).length > 0)),
    access: Object.fromEntries(state.access),
    guide: state.guide,
    commitments: [...state.commitments.values()],
    signatures: state.signatures,
    unsigned: state.unsigned,
    agreement: state.agreement,
  };
}

const cases = JSON.parse(readFileSync(process.argv[2], "utf8"));
const results = cases.map(({ frames, snapshot }) => {
  const folded = emptyState();
  for (const frame of frames) applyEvent(folded, frame);
  const resumed = stateFromView(structuredClone(snapshot.view));
  for (const frame of frames.slice(snapshot.at)) applyEvent(resumed, frame);
  return { folded: asView(folded), resumed: asView(resumed) };
});
process.stdout.write(JSON.stringify(results));
