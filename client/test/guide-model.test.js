// The method's vocabulary the browser keeps (guide-model.js) is the shared
// schema's, word for word: one source, checked here so the copy cannot drift.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { CORE_QUESTIONS, KEPT_PULSES, TRUST_BEHAVIOURS } from "../src/guide-model.js";

const schema = JSON.parse(readFileSync(new URL("../../shared_schema/schema.json", import.meta.url), "utf8"));

test("the core questions, the trust behaviours and the pulses kept are the schema's", () => {
  assert.deepEqual(CORE_QUESTIONS, schema.types.CoreQuestion.values);
  assert.deepEqual(TRUST_BEHAVIOURS, schema.types.TrustBehaviour.values);
  assert.equal(KEPT_PULSES, schema.limits.kept_pulses);
});
