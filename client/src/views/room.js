// The room page: header, agenda, split; re-rendered (batched) on every change.

import { h } from "../dom.js";
import { onLangChange } from "../i18n.js";
import { ConnState } from "../connection.js";
import { Session } from "../session.js";
import { AgendaView } from "./agenda.js";
import { RoomHeader } from "./header.js";
import { showInvalidLink } from "./joinform.js";
import { SplitView } from "./split.js";
import { errorToast } from "./toast.js";

export function mountRoom(root, topbar, { validator, token, name, onInvalid }) {
  const session = new Session({ validator, token, name });
  const header = new RoomHeader(session);
  const agenda = new AgendaView(session);
  const split = new SplitView(session);
  const page = h("main", { class: "room", testid: "room" }, agenda.el, h("aside", { class: "room-side" }, split.el));
  topbar.slot.append(header.el);
  topbar.tagline.hidden = true;
  root.append(page);

  let scheduled = false;
  let invalid = false;
  const render = () => {
    scheduled = false;
    if (session.conn.state === ConnState.INVALID) {
      if (!invalid) {
        invalid = true;
        page.remove();
        header.el.remove();
        topbar.tagline.hidden = false;
        onInvalid?.();
        showInvalidLink(root);
      }
      return;
    }
    header.render();
    if (!session.joinedOnce) return;
    agenda.render();
    split.render();
  };
  // Batch: many frames in one task render once, after the task.
  const schedule = () => {
    if (!scheduled) {
      scheduled = true;
      queueMicrotask(render);
    }
  };
  session.subscribe(schedule);
  session.onError((error) => {
    if (error.code === "bad_token") return; // the invalid-link page says it
    errorToast(error);
  });
  onLangChange(() => {
    header.membersKey = null;
    split.key = null;
    render();
  });
  window.addEventListener("beforeunload", (event) => {
    if (session.pending.size > 0) event.preventDefault();
  });
  session.start();
  render();
  return session;
}

