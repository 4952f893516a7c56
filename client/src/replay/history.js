// Fetch this role's whole history over the room's websocket, page by page
// (one request in flight, as the server allows), and check its hash chain.

/**
 * @param {import("../session.js").Session} session
 * @returns {Promise<{events: import("../model.js").EventFrame[], proofs: {salt: string | null, chain: string}[], head: number}>}
 */
export async function loadHistory(session) {
  const events = [];
  const proofs = [];
  let head = session.lastSeq;
  let from = 1;
  while (from <= head) {
    const page = await session.requestHistory(from, head);
    events.push(...page.events);
    proofs.push(...page.proofs);
    head = Math.max(head, page.head);
    from = page.to + 1;
    if (page.events.length === 0) break;
  }
  return { events, proofs, head };
}

const encoder = new TextEncoder();
const TAG = "valueroom/chain/v1";

/** JSON with sorted keys and no spaces: the server's canonical encoding (store/chain.py). */
export function canonicalJson(value) {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

async function sha256(...parts) {
  const size = parts.reduce((n, p) => n + p.length, 0);
  const joined = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return new Uint8Array(await crypto.subtle.digest("SHA-256", joined));
}

const hex = (bytes) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
const fromHex = (text) => new Uint8Array((text.match(/../g) ?? []).map((pair) => parseInt(pair, 16)));

/**
 * Check the role's own chain: r_0 from the log id and role, then for each event
 * r_k = SHA-256(r_{k-1} || leaf), leaf = SHA-256([salt ||] canonical content).
 * @returns {Promise<{ok: boolean, checked: number, broken: number | null, head: string}>}
 */
export async function verifyChain(logId, role, events, proofs) {
  let head = await sha256(encoder.encode(`${TAG}|${logId}|${role}`));
  for (let i = 0; i < events.length; i += 1) {
    const { at, actor, vis, name, data } = events[i];
    const content = encoder.encode(canonicalJson({ actor, at, data, name, vis }));
    const salt = proofs[i]?.salt;
    const leaf = (vis & 7) === 7 || !salt ? await sha256(content) : await sha256(fromHex(salt), content);
    head = await sha256(head, leaf);
    if (events[i].seq !== i + 1 || hex(head) !== proofs[i]?.chain) {
      return { ok: false, checked: i, broken: i + 1, head: hex(head) };
    }
  }
  return { ok: true, checked: events.length, broken: null, head: hex(head) };
}

/**
 * The export file (JSON Lines), as `python -m valueroom.verify_export` reads it.
 * @returns {string}
 */
export function exportText({ roomId, logId, role, events, proofs }) {
  const header = {
    format: "valueroom-history/1",
    room: roomId,
    log_id: logId,
    role,
    events: events.length,
    chain: proofs.length ? proofs[proofs.length - 1].chain : null,
  };
  const lines = [JSON.stringify(header)];
  events.forEach((event, i) => {
    const { type: _type, ...record } = event;
    lines.push(JSON.stringify({ event: record, salt: proofs[i].salt, chain: proofs[i].chain }));
  });
  return `${lines.join("\n")}\n`;
}
