// "Links and room": the creator's device and the neutral hand out each role's
// invite link again, reissue a link (the old one stops working, whoever joined
// through it is disconnected), remove one person in the room (the rest of the
// team stays) and erase the room for good. A native modal
// <dialog>: the browser keeps focus inside it and Escape closes it; focus goes
// back to the button that opened it.

import { h } from "../dom.js";
import { t, tr, trAttr } from "../i18n.js";
import { confirmsErase, eraseRoom, listMembers, membersToList, reissueLink, removeMember } from "../manage.js";
import { forgetRoom, rememberLink } from "../rooms-list.js";
import { remembered } from "../storage.js";
import { askConfirm } from "./confirm.js";
import { copyLink } from "./myrooms.js";

/**
 * @typedef {object} ManageOptions
 * @property {string} roomId
 * @property {string} title what the user types to confirm erasing (the room's title, else its id)
 * @property {string} token the creator's or the neutral's token
 * @property {string[]} roles the room's roles (a room without a neutral has two)
 * @property {Record<string, string | null>} links the links this device knows, by role
 * @property {string | null} [ownRole] the role this page is joined as (reissuing it reopens the page)
 * @property {(role: string) => string[]} [membersOf] names of who is here through a role's link
 * @property {string | null} [ownMemberId] this page's own member id, when it is in the room (it cannot remove itself)
 * @property {(() => void) | null} [showExports] in a room: close the dialog and go to the exports
 * @property {string | null} [roomLink] outside a room: a link that opens it, to take exports first
 * @property {() => void} [onChanged] after a link was reissued
 * @property {() => void} [onErased] after the room was erased
 * @property {() => HTMLElement | null} [refocus] where focus goes on closing when the opener was re-rendered away
 */

export class ManageDialog {
  /** @param {ManageOptions} options */
  constructor(options) {
    this.options = options;
    /** @type {Record<string, string | null>} */
    this.links = { ...options.links };
    /** @type {HTMLElement | null} */
    this.opener = null;
    this.status = h("p", { class: "manage-status", testid: "manage-status", attrs: { role: "status", "aria-live": "polite" } });
    this.error = h("p", { class: "form-error", testid: "manage-error", attrs: { role: "alert" }, hidden: true });
    this.rows = h("ul", { class: "manage-links" });
    const close = h("button", { type: "button", class: "btn btn-ghost btn-small manage-close", testid: "manage-close", text: "×", on: { click: () => this.close() } });
    trAttr(close, "aria-label", "manage.close");
    this.el = h(
      "dialog",
      { class: "manage", testid: "manage-dialog", attrs: { "aria-labelledby": "manage-heading" } },
      h("div", { class: "manage-head" }, h("h2", { id: "manage-heading", text: t("manage.heading", { title: options.title }) }), close),
      this.status,
      this.error,
      h("section", { class: "manage-section", attrs: { "aria-labelledby": "manage-links-heading" } }, tr(h("h3", { id: "manage-links-heading" }), "manage.links.heading"), tr(h("p", { class: "muted small" }), "manage.links.lead"), this.rows),
      this.membersSection(),
      this.eraseSection(),
    );
    this.returnFocus = true;
    this.el.addEventListener("close", () => {
      this.el.remove();
      if (!this.returnFocus) return;
      const target = this.opener?.isConnected ? this.opener : this.options.refocus?.();
      target?.focus();
    });
    this.renderRows();
  }

  /** Show the dialog over the page; focus returns to `opener` when it closes. @param {HTMLElement | null} opener */
  open(opener) {
    this.opener = opener;
    document.body.append(this.el);
    this.el.showModal();
    void this.loadMembers();
  }

  /** @param {{returnFocus?: boolean}} [how] returnFocus false: the caller moves focus elsewhere */
  close({ returnFocus = true } = {}) {
    this.returnFocus = returnFocus;
    if (this.el.open) this.el.close();
  }

  renderRows() {
    this.rows.replaceChildren(...this.options.roles.map((role) => this.row(role)));
  }

  /** @param {string} role */
  row(role) {
    const link = this.links[role];
    const input = link ? h("input", { readOnly: true, value: link, class: "invite-link", testid: `manage-link-${role}` }) : null;
    if (input) trAttr(input, "aria-label", `invites.link.${role}`);
    const reissue = tr(
      h("button", { type: "button", class: "btn btn-small", testid: `manage-reissue-${role}`, on: { click: () => this.askReissue(role, li, reissue) } }),
      "manage.reissue",
    );
    const li = h(
      "li",
      { class: `manage-link role-${role}`, data: { role } },
      h("div", { class: "manage-link-head" }, tr(h("span", { class: `role-badge role-${role}` }), `role.${role}`), role === this.options.ownRole ? tr(h("span", { class: "muted small" }), "manage.yours") : null),
      input ?? tr(h("p", { class: "muted small", testid: `manage-unknown-${role}` }), "manage.links.unknown"),
      h(
        "div",
        { class: "manage-actions" },
        input ? tr(h("button", { type: "button", class: "btn btn-small", testid: `manage-copy-${role}`, on: { click: () => copyLink(input) } }), "invites.copy") : null,
        reissue,
      ),
    );
    return li;
  }

  /** The confirmation under a role's row: what stops working, who is disconnected. */
  askReissue(role, li, reissue) {
    li.querySelector(".manage-confirm")?.remove();
    const who = this.options.membersOf?.(role) ?? [];
    const roleName = t(`role.${role}`);
    const lines = [
      h("p", { id: `manage-confirm-${role}`, text: t("manage.reissue.question", { role: roleName }) }),
      h("p", { class: "small", text: who.length > 0 ? t("manage.reissue.who", { names: who.join(", "), count: who.length }) : t("manage.reissue.whoUnknown", { role: roleName }) }),
      role === this.options.ownRole ? tr(h("p", { class: "small" }), "manage.reissue.self") : null,
    ];
    const cancel = tr(h("button", { type: "button", class: "btn btn-small", testid: "manage-reissue-cancel", on: { click: () => { box.remove(); reissue.focus(); } } }), "manage.cancel");
    const confirm = tr(h("button", { type: "button", class: "btn btn-small btn-danger", testid: "manage-reissue-confirm", on: { click: () => this.reissue(role, confirm) } }), "manage.reissue.confirm");
    const box = h("div", { class: "manage-confirm", testid: "manage-confirm", attrs: { role: "group", "aria-labelledby": `manage-confirm-${role}` } }, ...lines, h("div", { class: "manage-actions" }, confirm, cancel));
    li.append(box);
    cancel.focus();
  }

  /** @param {string} role @param {HTMLButtonElement} button */
  async reissue(role, button) {
    const { roomId, token } = this.options;
    this.showError(null);
    button.disabled = true;
    const answer = await reissueLink({ roomId, role, token });
    button.disabled = false;
    if (!answer.ok) {
      this.showError(answer);
      return;
    }
    this.links[role] = answer.link;
    rememberLink(roomId, role, answer.link);
    this.options.onChanged?.();
    if (role === this.options.ownRole) {
      // This page's own link was revoked with it: reopen through the new one.
      remembered.forgetToken(roomId);
      location.assign(answer.link);
      return;
    }
    this.renderRows();
    tr(this.status, "manage.reissued", { role: t(`role.${role}`) });
    /** @type {HTMLElement | null} */ (this.rows.querySelector(`[data-testid="manage-copy-${role}"]`))?.focus();
  }

  /** "People in the room": who is here now, each with a Remove button (never this page's own seat). */
  membersSection() {
    this.memberState = h("p", { class: "muted small", testid: "manage-members-state", attrs: { "aria-live": "polite" } });
    this.memberRows = h("ul", { class: "manage-members", testid: "manage-members" });
    this.refreshMembers = tr(
      h("button", { type: "button", class: "btn btn-small", testid: "manage-members-refresh", on: { click: () => this.loadMembers() } }),
      "manage.members.refresh",
    );
    return h(
      "section",
      { class: "manage-section", testid: "manage-members-section", attrs: { "aria-labelledby": "manage-members-heading" } },
      h("div", { class: "manage-link-head" }, tr(h("h3", { id: "manage-members-heading" }), "manage.members.heading"), this.refreshMembers),
      tr(h("p", { class: "muted small" }), "manage.members.lead"),
      this.memberState,
      this.memberRows,
    );
  }

  /** Ask the server who is here and list them; a refusal is said in the section itself. */
  async loadMembers() {
    const { roomId, token, roles } = this.options;
    this.memberState.dataset.state = "loading";
    tr(this.memberState, "manage.members.loading");
    this.refreshMembers.disabled = true;
    const answer = await listMembers({ roomId, token });
    this.refreshMembers.disabled = false;
    if (!answer.ok) {
      this.memberState.dataset.state = "error";
      this.memberState.dataset.code = answer.code;
      delete this.memberState.dataset.i18n;
      const minutes = Math.max(1, Math.ceil((answer.retryAfter ?? 60) / 60));
      this.memberState.textContent = t("manage.members.failed", { why: t(`manage.error.${answer.code}`, { minutes }) });
      return;
    }
    delete this.memberState.dataset.code;
    const listed = membersToList(answer.members, roles, this.options.ownMemberId ?? null);
    this.memberState.dataset.state = listed.length === 0 ? "empty" : "ready";
    if (listed.length === 0) tr(this.memberState, "manage.members.empty");
    else tr(this.memberState, "manage.members.count", { count: listed.length });
    this.memberRows.replaceChildren(...listed.map((member) => this.memberRow(member)));
  }

  /** @param {import("../manage.js").Member & {own: boolean}} member */
  memberRow(member) {
    const name = member.name || t("manage.members.noName");
    const remove = member.own
      ? null
      : h("button", {
          type: "button",
          class: "btn btn-small",
          testid: "manage-member-remove",
          text: t("members.remove"),
          attrs: { "aria-label": t("members.removeLabel", { name }) },
          on: { click: () => this.askRemove(member, li, remove) },
        });
    const li = h(
      "li",
      { class: `manage-member role-${member.role}`, testid: "manage-member", data: { memberId: member.id, role: member.role } },
      h(
        "div",
        { class: "manage-link-head" },
        h("span", { class: "member-name", text: name }),
        h("span", { class: `role-badge role-${member.role}`, text: t(`role.${member.role}`) }),
        member.own ? tr(h("span", { class: "muted small" }), "presence.you") : null,
        remove ? h("span", { class: "manage-actions" }, remove) : null,
      ),
    );
    return li;
  }

  /** The confirmation under a member: they are disconnected; their link still opens the room. */
  askRemove(member, li, remove) {
    const name = member.name || t("manage.members.noName");
    const role = t(`role.${member.role}`);
    askConfirm(li, {
      id: `manage-remove-${member.id}`,
      question: t("manage.members.question", { name, role }),
      details: [t("manage.members.disconnected"), t("manage.members.link", { role })],
      yes: t("manage.members.confirm"),
      testids: { box: "manage-member-confirm", yes: "manage-member-remove-yes", cancel: "manage-member-remove-cancel" },
      onYes: () => this.remove(member, name),
      returnTo: remove,
    });
  }

  /** @param {import("../manage.js").Member} member @param {string} name */
  async remove(member, name) {
    this.showError(null);
    const answer = await removeMember({ roomId: this.options.roomId, memberId: member.id, token: this.options.token });
    if (!answer.ok) {
      this.showError(answer);
      if (answer.code === "member.unknown") await this.loadMembers();
      return;
    }
    tr(this.status, "manage.members.removed", { name });
    await this.loadMembers();
    this.refreshMembers.focus();
  }

  eraseSection() {
    const { title, showExports, roomLink } = this.options;
    const typed = h("input", { name: "confirm", autocomplete: "off", spellcheck: false, testid: "manage-erase-confirm" });
    const erase = tr(h("button", { type: "submit", class: "btn btn-danger", testid: "manage-erase", disabled: true }), "manage.erase.submit");
    typed.addEventListener("input", () => (erase.disabled = !confirmsErase(typed.value, title)));
    let exports = null;
    if (showExports) {
      exports = tr(h("button", { type: "button", class: "btn btn-small", testid: "manage-exports", on: { click: () => { this.close({ returnFocus: false }); showExports(); } } }), "manage.erase.toExports");
    } else if (roomLink) {
      exports = tr(h("a", { class: "btn btn-small", href: roomLink, testid: "manage-exports" }), "manage.erase.openRoom");
    }
    const form = h(
      "form",
      { class: "manage-section manage-erase", attrs: { "aria-labelledby": "manage-erase-heading" }, noValidate: true },
      tr(h("h3", { id: "manage-erase-heading" }), "manage.erase.heading"),
      tr(h("p", { class: "small" }), "manage.erase.what"),
      tr(h("p", { class: "small" }), "manage.erase.exports"),
      exports,
      h("label", { class: "field" }, h("span", { class: "field-label", text: t("manage.erase.type", { title }) }), typed),
      h("div", { class: "form-actions" }, erase),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!confirmsErase(typed.value, title)) return;
      this.showError(null);
      erase.disabled = true;
      const answer = await eraseRoom({ roomId: this.options.roomId, token: this.options.token });
      erase.disabled = false;
      if (!answer.ok) {
        this.showError(answer);
        return;
      }
      this.forgetHere();
      this.close({ returnFocus: false });
      this.options.onErased?.();
    });
    return form;
  }

  forgetHere() {
    forgetRoom(this.options.roomId);
    remembered.forgetToken(this.options.roomId);
  }

  /** The room is gone already: this device may as well stop listing it. */
  offerForget() {
    const forget = tr(
      h("button", { type: "button", class: "btn btn-small", testid: "manage-forget", on: { click: () => { this.forgetHere(); this.close({ returnFocus: false }); this.options.onErased?.(); } } }),
      "myRooms.forget",
    );
    this.error.append(" ", forget);
  }

  /** @param {import("../manage.js").Refusal | null} refusal */
  showError(refusal) {
    this.error.hidden = refusal === null;
    if (refusal === null) return;
    const minutes = Math.max(1, Math.ceil((refusal.retryAfter ?? 60) / 60));
    this.error.dataset.code = refusal.code;
    this.error.replaceChildren(t(`manage.error.${refusal.code}`, { minutes }));
    if (refusal.code === "unknown_room") this.offerForget();
  }
}
