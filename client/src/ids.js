// Random identifiers for items, options and client operations.

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** A random id of `length` characters from [A-Za-z0-9] (matches the schema's Id). */
export function randomId(length = 16) {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let out = "";
  for (const byte of bytes) out += ALPHABET[byte % ALPHABET.length];
  return out;
}

/**
 * Operation ids: unique per page load (a random client id plus a counter), so
 * teammates on the same link never collide, and a re-sent op keeps its id.
 */
export function opIdFactory() {
  const client = randomId(12);
  let counter = 0;
  return () => `${client}:${(counter += 1)}`;
}
