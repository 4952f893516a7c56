// The browser's chain check (client/src/replay/history.js) over a role's
// history, for tests/test_history_chain.py. Reads JSON from argv[2]: a list of
// cases {log_id, role, events, proofs}; prints the verdict of each.
// Run with --import client/test/support/register.js (for /vendor/ imports).
import { readFileSync } from "node:fs";

import { verifyChain } from "../client/src/replay/history.js";

const cases = JSON.parse(readFileSync(process.argv[2], "utf8"));
const results = [];
for (const { log_id: logId, role, events, proofs } of cases) {
  results.push(await verifyChain(logId, role, events, proofs));
}
process.stdout.write(JSON.stringify(results));
