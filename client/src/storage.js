// localStorage / sessionStorage wrappers that never throw (private mode, quotas,
// storage blocked: then even reading the `localStorage` global throws).

import { randomId } from "./ids.js";

const PREFIX = "valueroom.";

/** @typedef {() => Storage} StorageRef the storage, looked up only inside the try */

/** @param {StorageRef} store @param {string} key @returns {string | null} */
function read(store, key) {
  try {
    return store().getItem(PREFIX + key);
  } catch {
    return null;
  }
}

/** @param {StorageRef} store @param {string} key @param {string | null} value */
function write(store, key, value) {
  try {
    if (value === null) store().removeItem(PREFIX + key);
    else store().setItem(PREFIX + key, value);
  } catch {
    /* storage unavailable: the value just isn't remembered */
  }
}

const local = () => localStorage;
const tab = () => sessionStorage;

export const remembered = {
  name: () => read(local, "name") ?? "",
  setName: (name) => write(local, "name", name),
  lang: () => read(local, "lang"),
  setLang: (lang) => write(local, "lang", lang),
  /** The token for a room: this tab's first (two tabs may hold different roles), else the last one used. */
  token: (roomId) => read(tab, `token.${roomId}`) ?? read(local, `token.${roomId}`),
  setToken(roomId, token) {
    write(tab, `token.${roomId}`, token);
    write(local, `token.${roomId}`, token);
    write(local, "lastRoom", roomId);
  },
  /**
   * This device's member key for a room (see "Members of a team" in the README):
   * made once, sent with every join, so a reload or a reconnect is the same member.
   */
  memberKey(roomId) {
    const kept = read(local, `member.${roomId}`);
    if (kept) return kept;
    const key = randomId(32);
    write(local, `member.${roomId}`, key);
    return key;
  },
  forgetToken(roomId) {
    write(tab, `token.${roomId}`, null);
    write(local, `token.${roomId}`, null);
    write(local, `member.${roomId}`, null);
    if (read(local, "lastRoom") === roomId) write(local, "lastRoom", null);
  },
  lastRoom: () => read(local, "lastRoom"),
};
