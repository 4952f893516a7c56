// "Your rooms on this device" on the landing page: every room this device
// created (with all its invite links, to copy again) or joined (to open
// again), from rooms-list.js. Nothing here talks to the server.

import { h } from "../dom.js";
import { t, tr, trAttr } from "../i18n.js";
import { managerToken, tokenOfLink } from "../manage.js";
import { forgetRoom, listRooms } from "../rooms-list.js";
import { askForgetCreated } from "./confirm.js";
import { ManageDialog } from "./manage.js";
import { toast } from "./toast.js";

const ROLES = ["buyer", "seller", "neutral"];

export class MyRooms {
  constructor() {
    this.el = h("section", { class: "my-rooms card", testid: "my-rooms", attrs: { "aria-labelledby": "my-rooms-heading" } });
    this.render();
  }

  render() {
    const rooms = listRooms();
    this.el.hidden = rooms.length === 0;
    this.el.replaceChildren(
      tr(h("h2", { id: "my-rooms-heading" }), "myRooms.heading"),
      tr(h("p", { class: "muted small" }), "myRooms.lead"),
      h("ul", { class: "my-rooms-list" }, rooms.map((room) => this.entry(room))),
    );
  }

  entry(room) {
    const roles = ROLES.filter((role) => room.links[role]);
    const row = (role) => {
      const link = room.links[role];
      const input = h("input", { readOnly: true, value: link, class: "invite-link", testid: `my-room-link-${role}` });
      trAttr(input, "aria-label", `invites.link.${role}`);
      return h(
        "li",
        { class: `my-room-link role-${role}`, data: { role } },
        tr(h("span", { class: `role-badge role-${role}` }), `role.${role}`),
        room.joined.includes(role) ? tr(h("span", { class: "muted small" }), "myRooms.joinedAs") : null,
        input,
        room.created
          ? tr(h("button", { type: "button", class: "btn btn-small", testid: `my-room-copy-${role}`, on: { click: () => copyLink(input) } }), "invites.copy")
          : null,
        h("a", { class: "btn btn-small btn-ghost", href: link, testid: `my-room-open-${role}`, text: t(`invites.enter.${role}`) }),
      );
    };
    const forgetNow = () => {
      forgetRoom(room.room_id);
      this.render();
      /** @type {HTMLElement | null} */ (this.el.hidden ? null : this.el.querySelector("h2"))?.focus();
    };
    const forget = tr(
      h("button", {
        type: "button",
        class: "btn btn-small btn-ghost",
        testid: "my-room-forget",
        // A room created here carries the creator key: losing it is asked about first.
        on: { click: () => (room.creator_token ? this.askForget(li, room, forget, forgetNow) : forgetNow()) },
      }),
      "myRooms.forget",
    );
    const token = managerToken(room);
    const manage = token
      ? tr(h("button", { type: "button", class: "btn btn-small", testid: "my-room-manage", on: { click: () => this.manage(room, token, manage) } }), "manage.open")
      : null;
    const li = h(
      "li",
      { class: "my-room", testid: "my-room", data: { roomId: room.room_id, created: room.created } },
      h("div", { class: "my-room-head" }, h("strong", { class: "my-room-title", text: room.title || room.room_id }), room.created ? tr(h("span", { class: "muted small" }), "myRooms.created") : null, h("span", { class: "my-room-actions" }, manage, forget)),
      h("ul", { class: "my-room-links" }, roles.map(row)),
    );
    return li;
  }

  /** Ask before forgetting a room whose creator key only this device holds. */
  askForget(li, room, forget, forgetNow) {
    askForgetCreated(li, { roomId: room.room_id, title: room.title || room.room_id, onYes: forgetNow, returnTo: forget, testid: "my-room-forget" });
  }

  /** "Links and room" for a room this device created, or joined as the neutral. */
  manage(room, token, opener) {
    const joinedLink = room.joined.map((role) => room.links[role]).find((link) => tokenOfLink(link));
    const dialog = new ManageDialog({
      roomId: room.room_id,
      title: room.title || room.room_id,
      token,
      // A room created here lists every role it has; one joined as the neutral has all three.
      roles: room.created ? ROLES.filter((role) => room.links[role]) : ROLES,
      links: room.links,
      roomLink: joinedLink ?? null,
      onChanged: () => this.render(),
      refocus: () => this.el.querySelector(`[data-room-id="${CSS.escape(room.room_id)}"] [data-testid="my-room-manage"]`),
      onErased: () => {
        this.render();
        toast(t("manage.erased"));
        // The button that opened the dialog is gone with the room: focus the list, or the page.
        const heading = this.el.hidden ? document.querySelector("h1") : this.el.querySelector("h2");
        heading?.setAttribute("tabindex", "-1");
        /** @type {HTMLElement | null} */ (heading)?.focus();
      },
    });
    dialog.open(opener);
  }
}

/** Copy an invite link from its read-only input; without clipboard access, select it for Ctrl+C. */
export async function copyLink(input) {
  try {
    await navigator.clipboard.writeText(input.value);
    toast(t("invites.copied"));
  } catch {
    // No clipboard permission (or an insecure origin): select the text so Ctrl+C works.
    input.focus();
    input.select();
    toast(t("invites.selected"));
  }
}
