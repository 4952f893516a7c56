// The rooms this device created or joined, with their links, kept in
// localStorage so that invite links survive a reload and the landing page
// can list them. Never throws: without storage the list is just empty.
//
// An entry: {room_id, title, created, links: {role: link}, joined: [role],
// at}. `links` holds every invite link of a room created here (the creator
// hands them out and may need them again) and the link of each role joined
// here. Links carry invite tokens: they stay on this device like the tokens
// storage.js already keeps, and are never sent anywhere.

const KEY = "valueroom.rooms";
/** Old entries go first when the list is full, so it cannot grow without bound. */
export const MAX_ROOMS = 50;

/**
 * @typedef {{room_id: string, title: string, created: boolean,
 *   links: Record<string, string>, joined: string[], at: number}} RoomEntry
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
 * @param {{room_id: string, links: Record<string, string>}} result the create-room response
 * @param {string} title
 */
export function rememberCreated(result, title) {
  upsert(result.room_id, (entry) => {
    entry.title = title;
    entry.created = true;
    entry.links = { ...entry.links, ...result.links };
  });
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
