// The room header: title, who you are, who else is here (and what they edit),
// and the connection state badge.

import { h, setData, setText } from "../dom.js";
import { t, tr } from "../i18n.js";
import { askForgetCreated } from "./confirm.js";

export class RoomHeader {
  /**
   * @param {import("../session.js").Session} session
   * @param {() => void} [onForget] forget this room's invite on this device and leave
   * @param {() => boolean} [forgetAsks] true when forgetting loses this device's creator key: ask first
   */
  constructor(session, onForget, forgetAsks) {
    this.session = session;
    this.title = h("h1", { class: "room-title", testid: "room-title" });
    this.me = h("span", { class: "me", testid: "me" });
    this.role = h("span", { class: "role-badge", testid: "my-role" });
    this.presence = h("ul", { class: "presence", testid: "presence" });
    this.badge = h("span", { class: "conn", testid: "conn-state", attrs: { role: "status" } });
    // Edits the server refused for a passing reason wait here for a retry; the user may give them up.
    this.discard = tr(
      h("button", { type: "button", class: "btn btn-ghost btn-small", testid: "discard-unsaved", on: { click: () => session.discardUnsaved() } }),
      "conn.discard",
    );
    this.discard.hidden = true;
    this.forget = tr(
      h("button", { type: "button", class: "btn btn-ghost btn-small", testid: "forget-room", on: { click: () => this.askForget(onForget, forgetAsks) } }),
      "room.forget",
    );
    this.forget.hidden = !onForget;
    this.el = h(
      "div",
      { class: "room-header" },
      h("div", { class: "room-heading" }, this.title, h("div", { class: "room-me" }, this.role, this.me)),
      h("div", { class: "room-presence" }, tr(h("span", { class: "presence-label" }), "presence.label"), this.presence),
      this.badge,
      this.discard,
      this.forget,
    );
    this.membersKey = null;
    // The member whose removal waits for a confirmation (the neutral's presence list).
    /** @type {string | null} */
    this.confirming = null;
  }

  render() {
    const { session } = this;
    const room = session.room;
    setText(this.title, room ? room.title : "…");
    document.title = room ? `${room.title} · valueroom` : "valueroom";
    const you = session.you;
    if (you) {
      const org = room ? orgOf(room, you.role) : "";
      setText(this.role, t(`role.${you.role}`));
      this.role.className = `role-badge role-${you.role}`;
      setData(this.role, "role", you.role);
      setText(this.me, org ? t("header.meWithOrg", { name: you.name, org }) : t("header.me", { name: you.name }));
    }
    this.renderPresence();
    this.renderBadge();
  }

  renderPresence() {
    const { session } = this;
    const items = session.view().items;
    const key = JSON.stringify([session.members, [...items.values()].map((i) => [i.id, i.title]), this.confirming, session.mayRemoveMembers]);
    if (key === this.membersKey) return;
    this.membersKey = key;
    const myId = session.you?.id;
    this.presence.replaceChildren(
      ...session.members.map((member) => {
        const editing = member.editing ? items.get(member.editing) : null;
        return h(
          "li",
          {
            class: `member role-${member.role}${member.id === myId ? " member-me" : ""}`,
            testid: "presence-member",
            data: { role: member.role, memberId: member.id, editing: member.editing ?? "" },
            title: t(`role.${member.role}`),
          },
          h("span", { class: "member-dot", attrs: { "aria-hidden": "true" } }),
          h("span", { class: "member-name", text: member.name }),
          h("span", { class: "member-role", text: t(`role.${member.role}`) }),
          member.id === myId ? h("span", { class: "member-you", text: t("presence.you") }) : null,
          editing ? h("span", { class: "member-editing", text: t("presence.editing", { title: editing.title }) }) : null,
          session.mayRemoveMembers && member.id !== myId ? this.removal(member) : null,
        );
      }),
    );
  }

  /** The remove button of one member, or its confirmation (the neutral's list only). */
  removal(member) {
    const redraw = (confirming) => {
      this.confirming = confirming;
      this.membersKey = null;
      this.renderPresence();
    };
    const button = (text, testid, onClick, kind = "btn-ghost") =>
      h("button", { type: "button", class: `btn ${kind} btn-small`, testid, text, on: { click: onClick } });
    if (this.confirming !== member.id) {
      const remove = button(t("members.remove"), "member-remove", () => redraw(member.id));
      remove.setAttribute("aria-label", t("members.removeLabel", { name: member.name }));
      return remove;
    }
    return h(
      "span",
      { class: "member-confirm", testid: "member-confirm", attrs: { role: "group" } },
      h("span", { text: t("members.confirm", { name: member.name }) }),
      button(t("members.yes"), "member-remove-yes", () => {
        redraw(null);
        this.session.removeMember(member.id);
      }, "btn-danger"),
      button(t("members.no"), "member-remove-no", () => redraw(null)),
    );
  }

  /** Forget at once, unless this device created the room: then ask, as the list of rooms does. */
  askForget(onForget, forgetAsks) {
    if (!onForget) return;
    if (!forgetAsks?.()) {
      onForget();
      return;
    }
    const room = this.session.room;
    const roomId = this.session.token.split(".")[0];
    askForgetCreated(this.el, { roomId, title: room?.title || roomId, onYes: onForget, returnTo: this.forget, testid: "forget-room" });
  }

  renderBadge() {
    const { state, attempt } = this.session.conn;
    const pending = this.session.pending.size;
    let text = t(`conn.${state}`, { attempt });
    const unsaved = this.session.unsaved;
    if (pending > 0) text += ` · ${t("conn.pending", { count: pending })}`;
    if (unsaved > 0) text += ` · ${t("conn.retrying", { count: unsaved })}`;
    this.discard.hidden = unsaved === 0;
    setText(this.badge, text);
    setData(this.badge, "state", state);
    setData(this.badge, "pending", pending);
    setData(this.badge, "attempt", attempt);
    this.badge.className = `conn conn-${state}`;
  }
}

export function orgOf(room, role) {
  if (role === "buyer") return room.buyer_org;
  if (role === "seller") return room.seller_org;
  return "";
}
