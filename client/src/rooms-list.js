// The rooms this device created or joined, with their links, kept in
// localStorage so that invite links survive a reload and the landing page
// can list them. Never throws: without storage the list is just empty.
//
// An entry: {room_id, title, created, links: {role: link}, joined: [role],
// at, creator_token?}. `links` holds every invite link of a room created here (the creator
// hands them out and may need them again) and the link of each role joined
// here. Links carry invite tokens: they stay on this device like the tokens
// storage.js already keeps, and are never sent anywhere. `creator_token`
// (rooms created here) manages the room: reissue links, erase it; it is sent
// only to this site's own API, in a header.

const KEY = "valueroom.rooms";
/** Old entries go first when the list is full, so it cannot grow without bound. */
export const MAX_ROOMS = 50;

/**
 * @typedef {{room_id: string, title: string, created: boolean,
 *   links: Record<string, string>, joined: string[], at: number,
 *   creator_token?: string}} RoomEntry
 */

/** @returns {RoomEntry[]} newest first */
export function listRooms() {
  try {
    const parsed = JSON.parse(localStorage.getItem(KEY) ?? "[]");
    if (!Array.isArray(parsed)) return [];
    return parsed.filter((entry) => entry && typeof entry.room_id === "string" && typeof entry.links === "object");
  } catch {
    return [];
  }
}

/** @param {RoomEntry[]} entries */
function save(entries) {
  try {
    localStorage.setItem(KEY, JSON.stringify(entries.slice(0, MAX_ROOMS)));
  } catch {
    /* storage unavailable or full: the list just isn't remembered */
  }
}

/**
 * Merge `change` into the entry of `roomId` (creating it) and move it to the top.
 * @param {string} roomId
 * @param {(entry: RoomEntry) => void} change
 */
function upsert(roomId, change) {
  const entries = listRooms();
  const index = entries.findIndex((entry) => entry.room_id === roomId);
  /** @type {RoomEntry} */
  const entry = index >= 0 ? entries.splice(index, 1)[0] : { room_id: roomId, title: "", created: false, links: {}, joined: [], at: 0 };
  change(entry);
  entry.at = Date.now();
  save([entry, ...entries]);
}

/**
 * A room this device just created: its title and every invite link.
 * @param {{room_id: string, links: Record<string, string>, creator_token?: string}} result the create-room response
 * @param {string} title
 */
export function rememberCreated(result, title) {
  upsert(result.room_id, (entry) => {
    entry.title = title;
    entry.created = true;
    entry.links = { ...entry.links, ...result.links };
    if (result.creator_token) entry.creator_token = result.creator_token;
  });
}

/** The room's entry on this device, or null. @param {string} roomId @returns {RoomEntry | null} */
export function findRoom(roomId) {
  return listRooms().find((entry) => entry.room_id === roomId) ?? null;
}

/**
 * A role's link was reissued: keep the new one (a room this device does not list stays unlisted).
 * @param {string} roomId
 * @param {string} role
 * @param {string} link
 */
export function rememberLink(roomId, role, link) {
  if (findRoom(roomId)) upsert(roomId, (entry) => void (entry.links = { ...entry.links, [role]: link }));
}

/**
 * This device's link for `role` stopped working (revoked): drop it, and the
 * room with it when nothing of it is left to open or manage here.
 * @param {string} roomId
 * @param {string} role
 * @param {string} link the link that stopped working (a newer one is kept)
 */
export function dropLink(roomId, role, link) {
  const entry = findRoom(roomId);
  if (!entry || entry.links[role] !== link) return;
  const links = { ...entry.links };
  delete links[role];
  const joined = entry.joined.filter((r) => r !== role);
  if (!entry.created && joined.length === 0) {
    forgetRoom(roomId);
    return;
  }
  save(listRooms().map((e) => (e.room_id === roomId ? { ...e, links, joined } : e)));
}

/**
 * A room this device joined through `link` (role and title known once welcomed).
 * @param {string} roomId
 * @param {{role?: string, title?: string, link?: string}} what
 */
export function rememberJoined(roomId, { role, title, link }) {
  upsert(roomId, (entry) => {
    if (title) entry.title = title;
    if (role && !entry.joined.includes(role)) entry.joined.push(role);
    if (role && link) entry.links = { ...entry.links, [role]: link };
  });
}

/** @param {string} roomId */
export function forgetRoom(roomId) {
  save(listRooms().filter((entry) => entry.room_id !== roomId));
}
