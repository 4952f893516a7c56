// The agenda: the add form, the active items in agenda order, the parked ones.
// Item cards are kept per item id and moved, not rebuilt, so focus and caret
// survive other people's edits.

import { h, placeChildren, setData, setText } from "../dom.js";
import { t, tr, trAttr } from "../i18n.js";
import { randomId } from "../ids.js";
import { agendaOrder, keyAtEnd, keyForMove } from "../order.js";
import { toast } from "./toast.js";
import { orgOf } from "./header.js";
import { ItemView, KINDS } from "./item.js";

export class AgendaView {
  /** @param {import("../session.js").Session} session */
  constructor(session) {
    this.session = session;
    this.views = new Map();
    this.active = [];
    this.count = h("span", { class: "count", testid: "agenda-count" });
    this.list = h("ol", { class: "item-list", testid: "agenda-list" });
    this.empty = tr(h("p", { class: "empty muted", testid: "agenda-empty" }), "agenda.empty");
    this.parkedList = h("ol", { class: "item-list parked-list", testid: "parked-list" });
    this.parkedHeading = h("h3", { class: "parked-heading" });
    this.parkedSection = h("section", { class: "parked", testid: "parked", hidden: true }, this.parkedHeading, tr(h("p", { class: "muted small" }), "agenda.parked.lead"), this.parkedList);
    this.removedList = h("ul", { class: "removed-list", testid: "removed-list" });
    this.removedHeading = h("h3", { class: "parked-heading" });
    this.removedSection = h("section", { class: "removed", testid: "removed", hidden: true }, this.removedHeading, tr(h("p", { class: "muted small" }), "removed.lead"), this.removedList);
    this.lockedNote = tr(h("p", { class: "locked-note", testid: "agenda-locked-note", hidden: true }), "agenda.lockedForm");
    this.form = this.addForm();
    this.el = h(
      "section",
      { class: "agenda", testid: "agenda", attrs: { "aria-labelledby": "agenda-heading" } },
      h("div", { class: "section-head" }, tr(h("h2", { id: "agenda-heading" }), "agenda.heading"), this.count),
      this.form,
      this.lockedNote,
      this.list,
      this.empty,
      this.parkedSection,
      this.removedSection,
    );
    this.removedKey = null;
    this.trackEditing();
  }

  addForm() {
    const kind = h("select", { class: "add-kind", testid: "add-kind" }, KINDS.map((k) => tr(h("option", { value: k }), `kind.${k}`)));
    trAttr(kind, "aria-label", "add.kind");
    const title = h("input", { class: "add-title", testid: "add-title", maxLength: 200, autocomplete: "off" });
    trAttr(title, "placeholder", "add.title.placeholder");
    trAttr(title, "aria-label", "add.title");
    const button = tr(h("button", { type: "submit", class: "btn btn-primary", testid: "add-button" }), "add.button");
    const form = h("form", { class: "add-form", testid: "add-form" }, kind, title, button);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = title.value.trim();
      if (!text) {
        title.focus();
        return;
      }
      const items = [...this.session.view().items.values()];
      const ok = this.session.addItem({ item_id: randomId(16), kind: kind.value, title: text, position: keyAtEnd(items) });
      if (ok) title.value = "";
      title.focus();
    });
    return form;
  }

  /**
   * Presence: the item whose shared field has focus is the one this person is
   * editing. Typing in the private panel is never reported: the other side
   * must not learn when a party works on its own figures.
   */
  trackEditing() {
    const report = () => {
      const field = document.activeElement?.closest?.("input, textarea, select");
      /** @type {HTMLElement | null} */
      const card = field && !field.closest(".private-panel") ? field.closest("[data-testid=item]") : null;
      this.session.setEditing(card && this.el.contains(card) ? card.dataset.itemId : null);
    };
    this.el.addEventListener("focusin", report);
    this.el.addEventListener("focusout", () => setTimeout(report));
  }

  move(itemId, delta) {
    const index = this.active.findIndex((item) => item.id === itemId);
    if (index < 0) return;
    let key = null;
    try {
      key = keyForMove(this.active, index, delta);
    } catch (error) {
      console.warn("valueroom: no key between neighbours", error);
    }
    if (key === null) {
      if (index + delta >= 0 && index + delta < this.active.length) toast(t("agenda.moveFailed"), { kind: "error" });
      return;
    }
    this.session.moveItem(itemId, key);
  }

  render() {
    const { session } = this;
    const state = session.view();
    const ordered = agendaOrder(state.items.values());
    this.active = ordered.filter((item) => !item.parked);
    const parked = ordered.filter((item) => item.parked);

    for (const id of [...this.views.keys()]) if (!state.items.has(id)) this.views.delete(id);
    const editorsByItem = new Map();
    for (const member of session.members) {
      if (member.editing && member.id !== session.you?.id) {
        if (!editorsByItem.has(member.editing)) editorsByItem.set(member.editing, []);
        editorsByItem.get(member.editing).push(member);
      }
    }
    const room = session.room;
    const lockedForMe = state.locked && session.isParty;
    this.form.hidden = !session.may("item.add");
    setData(this.form, "locked", lockedForMe);
    for (const control of this.form.elements) control.disabled = lockedForMe;
    this.lockedNote.hidden = !lockedForMe || !session.may("item.add");
    const common = {
      locked: state.locked,
      role: session.role,
      org: room && session.role ? orgOf(room, session.role) : "",
      decimals: session.decimals,
      currency: room?.currency ?? "EUR",
    };
    const cardFor = (item, position, list) => {
      let view = this.views.get(item.id);
      if (!view) {
        view = new ItemView(item.id, { session, onMove: (id, delta) => this.move(id, delta) });
        this.views.set(item.id, view);
      }
      view.update(item, {
        ...common,
        position,
        first: position === 1,
        last: position === list.length,
        editors: editorsByItem.get(item.id) ?? [],
        privateRecord: state.private.get(item.id) ?? null,
        registered: session.confirmed.private.has(item.id),
        pendingFigures: state.pendingFigures.has(item.id),
        fieldError: session.fieldErrors.get(item.id) ?? null,
      });
      return view.el;
    };
    placeChildren(this.list, this.active.map((item, i) => cardFor(item, i + 1, this.active)));
    placeChildren(this.parkedList, parked.map((item, i) => cardFor(item, i + 1, parked)));
    this.empty.hidden = this.active.length > 0;
    this.parkedSection.hidden = parked.length === 0;
    setText(this.parkedHeading, t("agenda.parked", { count: parked.length }));
    setText(this.count, t("agenda.count", { count: this.active.length }));
    this.renderRemoved(state, lockedForMe);
  }

  /** Deleted and withdrawn items: the log keeps them, and they can be restored as they were. */
  renderRemoved(state, lockedForMe) {
    const { session } = this;
    /** @type {import("../model.js").Item[]} */
    const removed = agendaOrder(state.removed.values());
    this.removedSection.hidden = removed.length === 0;
    setText(this.removedHeading, t("removed.heading", { count: removed.length }));
    const canRestore = session.may("item.restore");
    const key = JSON.stringify([document.documentElement.lang, removed.map((i) => [i.id, i.title, i.removed]), canRestore, lockedForMe]);
    if (key === this.removedKey) return;
    this.removedKey = key;
    this.removedList.replaceChildren(
      ...removed.map((item) =>
        h(
          "li",
          { class: "removed-item", testid: "removed-item", data: { itemId: item.id, removed: item.removed } },
          h("span", { class: "removed-title", text: item.title }),
          h("span", { class: "removed-how muted small", text: t(`removed.${item.removed}`) }),
          canRestore
            ? h("button", { type: "button", class: "btn btn-small", testid: "restore", text: t("removed.restore"), disabled: lockedForMe, on: { click: () => session.restoreItem(item.id) } })
            : null,
        ),
      ),
    );
  }
}
