// The room page: header, agenda, split; re-rendered (batched) on every change.

import { h } from "../dom.js";
import { onLangChange, tr, trAttr } from "../i18n.js";
import { ConnState, endedReason } from "../connection.js";
import { Session } from "../session.js";
import { AgendaView } from "./agenda.js";
import { CaucusView } from "./caucus.js";
import { DealSheetView } from "./dealsheet.js";
import { RoomHeader } from "./header.js";
import { showInvalidLink } from "./joinform.js";
import { Announcer } from "./announce.js";
import { GuideView } from "./guide.js";
import { ManageDialog } from "./manage.js";
import { roomOfToken } from "../manage.js";
import { findRoom } from "../rooms-list.js";
import { ModerationBar, NotesView } from "./moderation.js";
import { PhaseView } from "./phase.js";
import { ReplayView } from "./replay.js";
import { SealDesk } from "./seal.js";
import { SplitView } from "./split.js";
import { errorToast } from "./toast.js";

export function mountRoom(root, topbar, { validator, token, name, memberKey, onInvalid, onForget, creatorToken }) {
  const session = new Session({ validator, token, name, memberKey });
  const header = new RoomHeader(session, onForget, () => Boolean(creatorToken?.()));
  const agenda = new AgendaView(session);
  const split = new SplitView(session);
  const phase = new PhaseView(session);
  const moderation = new ModerationBar(session);
  const notes = new NotesView(session);
  const caucus = new CaucusView(session);
  const desk = new SealDesk(session);
  const guide = new GuideView(session);
  const announcer = new Announcer(session);
  const deal = new DealSheetView(session);
  const views = [phase, moderation, guide, agenda, notes, caucus, desk, split, deal];
  // Replay (also of a closed room): the live page steps aside while it is open.
  /** @type {ReplayView | null} */
  let replay = null;
  const openReplay = () => {
    if (replay !== null || !session.joinedOnce) return;
    replay = new ReplayView(session, {
      onClose: () => {
        replay = null;
        page.hidden = false;
      },
    });
    page.hidden = true;
    root.append(replay.el);
    replay.open();
  };
  // "Links and room": for the neutral, and on the device that created the room.
  /** @type {ManageDialog | null} */
  let manage = null;
  const manageButton = tr(
    h("button", { type: "button", class: "btn", testid: "manage-open", hidden: true, on: { click: () => openManage() } }),
    "manage.open",
  );
  const openManage = () => {
    const managerToken = session.you?.role === "neutral" ? token : creatorToken?.();
    if (!managerToken || !session.room) return;
    const here = session.you?.role ?? null;
    manage = new ManageDialog({
      roomId: roomOfToken(token),
      title: session.room.title,
      token: managerToken,
      roles: session.room.neutral ? ["buyer", "seller", "neutral"] : ["buyer", "seller"],
      links: { ...(findRoom(roomOfToken(token))?.links ?? {}), ...(here ? { [here]: `${location.origin}/join#${token}` } : {}) },
      ownRole: here,
      ownMemberId: session.you?.id ?? null,
      membersOf: (role) => session.members.filter((m) => m.role === role).map((m) => m.name),
      showExports: () => {
        const target = /** @type {HTMLElement | null} */ (deal.el.querySelector('[data-testid="export-json"]'));
        target?.scrollIntoView({ block: "center" });
        target?.focus();
      },
    });
    manage.open(manageButton);
  };
  const replayButton = tr(
    h("button", { type: "button", class: "btn", testid: "replay-open", on: { click: openReplay } }),
    "replay.open",
  );
  const page = h(
    "main",
    { class: "room", testid: "room" },
    h("div", { class: "room-main" }, h("div", { class: "room-tools" }, replayButton, manageButton), phase.el, moderation.el, guide.el, agenda.el, deal.el),
    // The side panel scrolls on its own when taller than the screen: reachable by keyboard, and named.
    trAttr(h("aside", { class: "room-side", attrs: { tabindex: "0" } }, notes.el, caucus.el, desk.el, split.el), "aria-label", "room.side"),
  );
  topbar.slot.append(header.el);
  topbar.tagline.hidden = true;
  root.append(page, announcer.el);

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
        const ended = endedReason(session.conn.closeCode ?? 0);
        manage?.close();
        onInvalid?.(ended, session.you?.role ?? null);
        showInvalidLink(root, "invalid.lead", ended);
      }
      return;
    }
    header.render();
    if (!session.joinedOnce) return;
    manageButton.hidden = !(session.you?.role === "neutral" || creatorToken?.());
    for (const view of views) view.render();
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
    for (const view of views) /** @type {{key?: unknown}} */ (view).key = null;
    render();
    replay?.relabel();
  });
  window.addEventListener("beforeunload", (event) => {
    if (session.pending.size > 0) event.preventDefault();
  });
  session.start();
  render();
  return session;
}

