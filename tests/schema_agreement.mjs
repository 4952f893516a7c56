// Reads msgpack-encoded cases from the file named in argv[2]: a list of
// [side, frame] where side is "client", "server" or "message" (a whole server
// message: one frame or a batch). Prints one JSON verdict per
// case: {"ok": true, "type": ...} or {"ok": false, "path": ...}.
import { readFileSync } from "node:fs";
import { decode } from "../client/node_modules/@msgpack/msgpack/dist.esm/index.mjs";
import { createValidator, SchemaViolation } from "../client/src/schema.js";

const schema = JSON.parse(readFileSync(new URL("../shared_schema/schema.json", import.meta.url)));
const validator = createValidator(schema);
const cases = decode(readFileSync(process.argv[2]));
const verdicts = cases.map(([side, frame]) => {
  try {
    if (side === "message") {
      return { ok: true, type: validator.checkServerMessage(frame).map((f) => f.type).join(",") };
    }
    const type = side === "client" ? validator.checkClientFrame(frame) : validator.checkServerFrame(frame);
    return { ok: true, type };
  } catch (error) {
    if (!(error instanceof SchemaViolation)) throw error;
    return { ok: false, path: error.path };
  }
});
process.stdout.write(JSON.stringify(verdicts));
