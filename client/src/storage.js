// localStorage / sessionStorage wrappers that never throw (private mode, quotas).

const PREFIX = "valueroom.";

function read(store, key) {
  try {
    return store.getItem(PREFIX + key);
  } catch {
    return null;
  }
}

function write(store, key, value) {
  try {
    if (value === null) store.removeItem(PREFIX + key);
    else store.setItem(PREFIX + key, value);
  } catch {
    /* storage unavailable: the value just isn't remembered */
  }
}

export const remembered = {
  name: () => read(localStorage, "name") ?? "",
  setName: (name) => write(localStorage, "name", name),
  lang: () => read(localStorage, "lang"),
  setLang: (lang) => write(localStorage, "lang", lang),
  /** The token for a room: this tab's first (two tabs may hold different roles), else the last one used. */
  token: (roomId) => read(sessionStorage, `token.${roomId}`) ?? read(localStorage, `token.${roomId}`),
  setToken(roomId, token) {
    write(sessionStorage, `token.${roomId}`, token);
    write(localStorage, `token.${roomId}`, token);
    write(localStorage, "lastRoom", roomId);
  },
  forgetToken(roomId) {
    write(sessionStorage, `token.${roomId}`, null);
    write(localStorage, `token.${roomId}`, null);
  },
  lastRoom: () => read(localStorage, "lastRoom"),
};
