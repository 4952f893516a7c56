// The wire codec: msgpack binary frames, one encode/decode pair for the client.

import { Decoder, Encoder } from "/vendor/@msgpack/msgpack/dist.esm/index.mjs";

// Absent optional fields must be left out, not sent as nil.
const encoder = new Encoder({ ignoreUndefined: true });
const decoder = new Decoder();

export function encode(frame) {
  return encoder.encode(frame);
}

export function decode(data) {
  return decoder.decode(data instanceof ArrayBuffer ? new Uint8Array(data) : data);
}
