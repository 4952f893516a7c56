// Entry point: the landing page at "/", a room at "/join".
//
// Invite links carry the token in the URL fragment (#token), which browsers
// never send to a server. We keep it per room (see storage.js), replace the
// fragment by ?room=<id> so the token leaves the address bar and history,
// and a reload rejoins with the stored token.

import { installDebugHooks } from "./debug.js";
import { lang, t } from "./i18n.js";
import { loadSchema } from "./schema.js";
import { dropLink, findRoom, forgetRoom, rememberJoined } from "./rooms-list.js";
import { remembered } from "./storage.js";
import { askName, showInvalidLink } from "./views/joinform.js";
import { mountLanding } from "./views/landing.js";
import { mountRoom } from "./views/room.js";
import { mountTopbar } from "./views/topbar.js";

function tokenIsWellFormed(validator, token) {
  try {
    validator.checkClientFrame({ type: "join", token, name: "x" });
    return true;
  } catch {
    return false;
  }
}

/** The invite token for this page and whether it came from a fresh link. */
function takeToken() {
  const fromLink = decodeURIComponent(location.hash.slice(1));
  if (fromLink) {
    const roomId = fromLink.split(".")[0];
    remembered.setToken(roomId, fromLink);
    history.replaceState(null, "", `/join?room=${encodeURIComponent(roomId)}`);
    return { token: fromLink, roomId, fresh: true };
  }
  const roomId = new URLSearchParams(location.search).get("room") ?? remembered.lastRoom();
  const token = roomId ? remembered.token(roomId) : null;
  return { token, roomId, fresh: false };
}

async function main() {
  document.documentElement.lang = lang();
  const root = document.getElementById("app");
  const topbar = mountTopbar(document.body.insertBefore(document.createElement("div"), root));
  const validator = await loadSchema();
  if (location.pathname !== "/join") {
    mountLanding(root, { validator });
    return;
  }
  const { token, roomId, fresh } = takeToken();
  if (!token || !tokenIsWellFormed(validator, token)) {
    showInvalidLink(root, token ? "invalid.lead" : "invalid.noToken");
    return;
  }
  const name = !fresh && remembered.name() ? remembered.name() : await askName(root);
  const session = mountRoom(root, topbar, {
    validator,
    token,
    name,
    memberKey: roomId ? remembered.memberKey(roomId) : undefined,
    // A refused, revoked or erased link: this device stops offering what no longer opens.
    // A removed member's link would still open the room (as someone new): it goes too,
    // unless this device created the room and keeps every role's link to hand out.
    onInvalid: (ended, role) => {
      remembered.forgetToken(roomId);
      if (!roomId) return;
      if (ended === "erased") forgetRoom(roomId);
      else if (ended === "revoked" && role) dropLink(roomId, role, `${location.origin}/join#${token}`);
      else if (ended === "removed" && role && !findRoom(roomId)?.created) dropLink(roomId, role, `${location.origin}/join#${token}`);
    },
    // This device created the room: it may manage it from inside too.
    creatorToken: () => (roomId ? findRoom(roomId)?.creator_token : undefined),
    // Asked by the user: this device keeps no way back into the room.
    onForget: () => {
      session.connection.drop({ hold: true });
      remembered.forgetToken(roomId);
      if (roomId) forgetRoom(roomId);
      location.assign("/");
    },
  });
  installDebugHooks(session);
  // Once welcomed, the landing page can list this room with the role and link it was joined by.
  const stop = session.subscribe(() => {
    if (!session.you || !session.room || !roomId) return;
    rememberJoined(roomId, { role: session.you.role, title: session.room.title, link: `${location.origin}/join#${token}` });
    stop();
  });
}

main().catch((error) => {
  console.error(error);
  const box = document.getElementById("app");
  if (box) box.textContent = t("app.failed", { detail: error.message });
});
