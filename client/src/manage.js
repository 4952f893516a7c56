// Managing a room over HTTP: reissue a role's invite link, list who is in the
// room and remove one member, erase the room.
// Who may: the room's creator (its creator token, kept by the device that
// created the room) and the neutral (its invite token). The token goes in an
// Authorization header, never in a URL. Every answer becomes either
// {ok: true, ...} or {ok: false, code, retryAfter}; `code` is one of
// MANAGE_ERRORS, which the page shows as `manage.error.<code>`.

/** @typedef {{ok: false, code: string, retryAfter: number | null, status: number}} Refusal */

/** Refusals the server types (edge/http.py), plus "network" when no answer came. */
export const MANAGE_ERRORS = Object.freeze([
  "foreign_origin",
  "rate_limited",
  "unknown_room",
  "not_permitted",
  "not_found",
  "member.unknown",
  "member.too_many",
  "unavailable",
  "network",
  "server",
]);

/** The token inside an invite link (its fragment), or "". @param {string | null | undefined} link */
export function tokenOfLink(link) {
  if (!link) return "";
  const at = link.indexOf("#");
  return at < 0 ? "" : decodeURIComponent(link.slice(at + 1));
}

/** The room id an invite or creator token belongs to. @param {string} token */
export function roomOfToken(token) {
  return token.split(".")[0];
}

/**
 * The token this device may manage a remembered room with: the creator's, else the neutral's link.
 * @param {import("./rooms-list.js").RoomEntry} entry
 * @returns {string}
 */
export function managerToken(entry) {
  if (typeof entry.creator_token === "string" && entry.creator_token) return entry.creator_token;
  if (entry.joined.includes("neutral")) return tokenOfLink(entry.links.neutral);
  return "";
}

/**
 * Whether what was typed confirms erasing the room titled `title`: the same
 * text, ignoring case, surrounding spaces, runs of spaces and Unicode form.
 * @param {string} typed
 * @param {string} title
 */
export function confirmsErase(typed, title) {
  const norm = (text) => text.normalize("NFC").trim().replace(/\s+/g, " ").toLocaleLowerCase();
  return norm(title) !== "" && norm(typed) === norm(title);
}

/**
 * An HTTP answer as {ok: false, code, retryAfter}.
 * @param {number} status
 * @param {any} body the parsed JSON body, or null
 * @param {string | null} retryAfter the Retry-After header
 * @returns {Refusal}
 */
export function refusal(status, body, retryAfter) {
  const given = body?.error?.code;
  let code = MANAGE_ERRORS.includes(given) ? given : "server";
  if (code === "server" && status === 429) code = "rate_limited";
  if (code === "server" && status === 503) code = "unavailable";
  const seconds = Number.parseInt(retryAfter ?? "", 10);
  return { ok: false, code, retryAfter: Number.isFinite(seconds) ? seconds : null, status };
}

/**
 * @param {string} url
 * @param {string} method
 * @param {string} token
 * @param {typeof fetch} fetcher
 * @returns {Promise<{response: Response, failed: null} | {response: null, failed: Refusal} | {response: Response, failed: Refusal}>}
 */
async function call(url, method, token, fetcher) {
  let response;
  try {
    response = await fetcher(url, { method, headers: { Authorization: `Bearer ${token}` }, cache: "no-store" });
  } catch {
    return { response: null, failed: { ok: /** @type {const} */ (false), code: "network", retryAfter: null, status: 0 } };
  }
  if (response.ok) return { response, failed: null };
  const body = await response.json().catch(() => null);
  return { response, failed: refusal(response.status, body, response.headers.get("Retry-After")) };
}

/**
 * Revoke `role`'s link and get the new one (made absolute against `base`).
 * @param {{roomId: string, role: string, token: string, base?: string, fetcher?: typeof fetch}} what
 * @returns {Promise<{ok: true, link: string} | Refusal>}
 */
export async function reissueLink({ roomId, role, token, base = location.href, fetcher = fetch }) {
  const url = `/api/rooms/${encodeURIComponent(roomId)}/links/${encodeURIComponent(role)}`;
  const { response, failed } = await call(url, "POST", token, fetcher);
  if (failed) return failed;
  if (response === null) return { ok: false, code: "network", retryAfter: null, status: 0 };
  const body = await response.json().catch(() => null);
  if (typeof body?.link !== "string") return { ok: false, code: "server", retryAfter: null, status: response.status };
  return { ok: true, link: new URL(body.link, base).href };
}

/**
 * Erase the room for good.
 * @param {{roomId: string, token: string, fetcher?: typeof fetch}} what
 * @returns {Promise<{ok: true} | Refusal>}
 */
export async function eraseRoom({ roomId, token, fetcher = fetch }) {
  const { failed } = await call(`/api/rooms/${encodeURIComponent(roomId)}`, "DELETE", token, fetcher);
  return failed ?? { ok: true };
}

/** @typedef {{id: string, role: string, name: string}} Member */

/**
 * Who is in the room (id, role, name), as the server's presence list has them.
 * Entries that are not well formed are left out rather than shown half.
 * @param {{roomId: string, token: string, fetcher?: typeof fetch}} what
 * @returns {Promise<{ok: true, members: Member[]} | Refusal>}
 */
export async function listMembers({ roomId, token, fetcher = fetch }) {
  const { response, failed } = await call(`/api/rooms/${encodeURIComponent(roomId)}/members`, "GET", token, fetcher);
  if (failed) return failed;
  if (response === null) return { ok: false, code: "network", retryAfter: null, status: 0 };
  const body = await response.json().catch(() => null);
  if (!Array.isArray(body?.members)) return { ok: false, code: "server", retryAfter: null, status: response.status };
  const text = (value) => typeof value === "string" && value !== "";
  const members = body.members
    .filter((m) => text(m?.id) && text(m?.role) && typeof m?.name === "string")
    .map((m) => ({ id: m.id, role: m.role, name: m.name }));
  return { ok: true, members };
}

/**
 * Members in the order the dialog lists them: by role (the roles' order), then
 * by name; `ownId` (the manager's own seat, when it is in the room) marked.
 * @param {Member[]} members
 * @param {string[]} roles
 * @param {string | null} ownId
 * @returns {(Member & {own: boolean})[]}
 */
export function membersToList(members, roles, ownId) {
  const rank = (role) => {
    const at = roles.indexOf(role);
    return at < 0 ? roles.length : at;
  };
  return [...members]
    .sort((a, b) => rank(a.role) - rank(b.role) || a.name.localeCompare(b.name) || a.id.localeCompare(b.id))
    .map((m) => ({ ...m, own: ownId !== null && m.id === ownId }));
}

/**
 * Remove one member: its page is closed and told so; its role's link keeps working.
 * @param {{roomId: string, memberId: string, token: string, fetcher?: typeof fetch}} what
 * @returns {Promise<{ok: true} | Refusal>}
 */
export async function removeMember({ roomId, memberId, token, fetcher = fetch }) {
  const url = `/api/rooms/${encodeURIComponent(roomId)}/members/${encodeURIComponent(memberId)}`;
  const { failed } = await call(url, "DELETE", token, fetcher);
  return failed ?? { ok: true };
}
