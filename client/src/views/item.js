// One agenda item card: kind, title and description edited inline, options,
// reorder / park / delete, agreement, and (below) transparency and figures.
//
// Inline edits are sent on blur or Enter and, while typing, debounced. A field
// the user is typing in is never overwritten by incoming values; they are
// applied when focus leaves (see dom.setValue and the `dirty` flag).

import { h, setData, setText, setValue, toggle } from "../dom.js";
import { randomId } from "../ids.js";
import { t, tr, trAttr } from "../i18n.js";
import { formatMoney } from "../money.js";
import { PARTIES, agreedByBoth, protectedBecause } from "../model.js";
import { FiguresPanel, TransparencyRow } from "./figures.js";
import { SealRow } from "./seal.js";
import { ModelsHelp, PlanRow } from "./guide.js";
import { KINDS_WITHOUT_FIGURES } from "../guide-model.js";

export const KINDS = ["term", "measure", "relationship", "question", "note"];
const TYPING_DEBOUNCE_MS = 400;
/**
 * An option's label to show: a default relationship model (same id and label
 * as the server announced) in the UI language, any other option as typed.
 */
export function optionLabel(option, models = []) {
  const model = models.find((m) => m.id === option.id);
  return model && model.label === option.label ? t(`model.${option.id}`) : option.label;
}

function debounce(fn, ms) {
  let timer = null;
  const run = () => {
    clearTimeout(timer);
    timer = null;
    fn();
  };
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(run, ms);
  };
  schedule.flush = () => timer !== null && run();
  schedule.cancel = () => clearTimeout(timer);
  return schedule;
}

/**
 * Wire a text field for inline editing: `send(value)` on Enter (inputs only),
 * on blur, and after a pause in typing; only when the user changed it.
 */
function inlineEdit(field, send, { allowEmpty, refresh }) {
  const commit = () => {
    if (field.dataset.dirty !== "true") return;
    const value = field.value;
    if (!allowEmpty && value.trim() === "") return;
    field.dataset.dirty = "false";
    send(value);
  };
  const typed = debounce(commit, TYPING_DEBOUNCE_MS);
  field.addEventListener("input", () => {
    field.dataset.dirty = "true";
    typed();
  });
  field.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && field.tagName === "INPUT") {
      event.preventDefault();
      typed.cancel();
      commit();
    } else if (event.key === "Escape") {
      typed.cancel();
      field.dataset.dirty = "false";
      field.blur();
    }
  });
  field.addEventListener("blur", () => {
    typed.cancel();
    commit();
    // An empty title is not sent: drop it and show the current one again.
    field.dataset.dirty = "false";
    refresh();
  });
}

export class ItemView {
  constructor(id, { session, onMove }) {
    this.id = id;
    this.session = session;
    this.item = null;
    this.info = null;
    const refresh = () => this.item && this.update(this.item, this.info);

    this.index = h("span", { class: "item-index", attrs: { "aria-hidden": "true" } });
    this.kind = h(
      "select",
      { class: "item-kind", testid: "item-kind", on: { change: () => this.changeKind() } },
      KINDS.map((kind) => tr(h("option", { value: kind }), `kind.${kind}`)),
    );
    trAttr(this.kind, "aria-label", "item.kind");
    this.title = h("input", { class: "item-title", testid: "item-title", maxLength: 200, autocomplete: "off" });
    trAttr(this.title, "aria-label", "item.title");
    inlineEdit(this.title, (title) => session.editItem(id, { title }), { allowEmpty: false, refresh });

    const tool = (testid, key, labelKey, onClick) => {
      const button = tr(h("button", { type: "button", class: `tool tool-${testid}`, testid, on: { click: onClick } }), key);
      trAttr(button, "aria-label", labelKey);
      trAttr(button, "title", labelKey);
      return button;
    };
    this.up = tool("move-up", "item.up.icon", "item.up", () => onMove(id, -1));
    this.down = tool("move-down", "item.down.icon", "item.down", () => onMove(id, +1));
    this.park = h("button", { type: "button", class: "tool tool-park", testid: "park", on: { click: () => session.parkItem(id, !this.item.parked) } });
    this.del = tool("delete", "item.delete.icon", "item.delete", () => this.askDelete(true));
    this.confirmBox = h(
      "span",
      { class: "confirm-delete", hidden: true },
      tr(h("span", { class: "confirm-text" }), "item.delete.confirm"),
      tr(h("button", { type: "button", class: "btn btn-danger btn-small", testid: "delete-confirm", on: { click: () => session.deleteItem(id) } }), "item.delete.yes"),
      tr(h("button", { type: "button", class: "btn btn-small", testid: "delete-cancel", on: { click: () => this.askDelete(false) } }), "item.delete.no"),
    );

    this.editors = h("div", { class: "item-editors", testid: "item-editors" });
    this.description = h("textarea", { class: "item-description", testid: "item-description", rows: 2, maxLength: 4000 });
    trAttr(this.description, "placeholder", "item.description.placeholder");
    trAttr(this.description, "aria-label", "item.description");
    inlineEdit(this.description, (description) => session.editItem(id, { description }), { allowEmpty: true, refresh });

    this.options = new OptionsEditor(id, session);

    this.agreeState = h("span", { class: "agree-state" });
    this.agreeMarks = Object.fromEntries(
      PARTIES.map((party) => [party, h("span", { class: `agree-mark role-${party}`, testid: `agreed-${party}` })]),
    );
    this.agree = h("button", { type: "button", class: "btn btn-small btn-agree", testid: "agree", on: { click: () => this.toggleAgreement() } });
    // On an item with options, a party agrees on one of them: the chosen option is part of the agreement.
    this.agreeOption = h("select", { class: "agree-option", testid: "agree-option", hidden: true });
    trAttr(this.agreeOption, "aria-label", "item.agree.option");
    this.agreedBadge = h("span", { class: "agreed-badge", testid: "agreed-badge", hidden: true });
    this.voidedNote = h("p", { class: "voided-note small", testid: "agreement-voided", hidden: true, attrs: { role: "status" } });

    this.plan = new PlanRow(id, session);
    this.modelsHelp = new ModelsHelp();
    this.transparency = new TransparencyRow(id, session);
    this.figures = new FiguresPanel(id, session);
    this.seal = new SealRow(id, session);
    this.noFigures = tr(h("p", { class: "no-figures muted small", testid: "item-no-figures", hidden: true }), "item.noFigures");

    // A protected item is not deleted: it is withdrawn when both parties turn their key.
    this.protectedNote = h("span", { class: "protected-note small", testid: "item-protected" });
    this.withdrawState = h("span", { class: "withdraw-state small", testid: "withdrawal-state" });
    this.withdraw = h("button", { type: "button", class: "btn btn-small", testid: "withdraw", on: { click: () => session.withdrawItem(id, !this.item.withdrawal[session.role]) } });
    this.withdrawal = h("div", { class: "item-withdrawal", testid: "withdrawal", hidden: true }, this.protectedNote, this.withdrawState, this.withdraw);

    this.el = h(
      "li",
      { class: "item", testid: "item", data: { itemId: id } },
      h(
        "div",
        { class: "item-head" },
        this.index,
        this.kind,
        this.editors,
        h("div", { class: "item-tools" }, this.up, this.down, this.park, this.del, this.confirmBox),
      ),
      this.title,
      this.description,
      this.options.el,
      this.modelsHelp.el,
      h(
        "div",
        { class: "item-agree" },
        tr(h("span", { class: "agree-label" }), "item.agreement"),
        this.agreeMarks.buyer,
        this.agreeMarks.seller,
        this.agreeOption,
        this.agree,
        this.agreedBadge,
      ),
      this.voidedNote,
      this.withdrawal,
      this.plan.el,
      this.transparency.el,
      this.figures.el,
      this.seal.el,
      this.noFigures,
    );
  }

  toggleAgreement() {
    const { item, session } = this;
    const role = session.role;
    const options = item.options;
    if (options.length === 0) {
      session.agreeItem(this.id, !item.agreed[role]);
      return;
    }
    const option = this.agreeOption.value || options[0].id;
    const again = item.agreed[role] && item.chosen[role] === option;
    session.agreeItem(this.id, !again, again ? null : option);
  }

  askDelete(asking) {
    this.confirmBox.hidden = !asking;
    this.del.hidden = asking;
    if (asking) this.confirmBox.querySelector("[data-testid=delete-confirm]").focus();
  }

  changeKind() {
    const kind = this.kind.value;
    const changes = { kind };
    if (kind === "relationship" && this.item.options.length === 0) {
      changes.options = this.session.method.relationship_models.map((m) => ({ ...m }));
    }
    this.session.editItem(this.id, changes);
  }

  /**
   * info: {position (1-based), first, last, editors: [member], role, privateRecord,
   *        pendingFigures, fieldError, decimals, currency}
   */
  update(item, info) {
    this.item = item;
    this.info = info;
    const { el } = this;
    el.className = `item kind-${item.kind}${item.parked ? " is-parked" : ""}`;
    setData(el, "kind", item.kind);
    setData(el, "parked", item.parked);
    setData(el, "revealed", item.revealed);
    const bothAgreed = agreedByBoth(item);
    setData(el, "agreed", bothAgreed);
    toggle(el, "is-agreed", bothAgreed);

    setText(this.index, item.parked ? "–" : String(info.position));
    if (document.activeElement !== this.kind) this.kind.value = item.kind;
    setValue(this.title, item.title);
    setValue(this.description, item.description);

    const { session } = this;
    const lockedForMe = info.locked && PARTIES.includes(info.role);
    const canEdit = session.may("item.edit");
    this.kind.disabled = !canEdit;
    this.title.readOnly = !canEdit;
    this.description.readOnly = !canEdit;
    this.up.hidden = !session.may("item.move");
    this.down.hidden = !session.may("item.move");
    this.park.hidden = !session.may("item.park");
    this.up.disabled = item.parked || info.first || lockedForMe;
    this.down.disabled = item.parked || info.last || lockedForMe;
    this.park.disabled = lockedForMe;
    const why = protectedBecause(item);
    this.del.hidden = !session.may("item.delete") || Boolean(why) || !this.confirmBox.hidden;
    this.del.disabled = lockedForMe;
    if (why && !this.confirmBox.hidden) this.askDelete(false);
    this.renderWithdrawal(item, why, lockedForMe);
    const parkKey = item.parked ? "item.unpark" : "item.park";
    setText(this.park, t(`${parkKey}.icon`));
    this.park.setAttribute("aria-label", t(parkKey));
    this.park.title = t(parkKey);
    setData(this.park, "parked", item.parked);

    this.editors.replaceChildren(
      ...info.editors.map((member) =>
        h("span", { class: `editor role-${member.role}`, text: t("item.editing", { name: member.name, role: t(`role.${member.role}`) }) }),
      ),
    );
    this.editors.hidden = info.editors.length === 0;

    this.options.update(item, canEdit);

    const label = (optionId) => item.options.find((o) => o.id === optionId)?.label ?? "";
    for (const party of PARTIES) {
      const mark = this.agreeMarks[party];
      const on = item.agreed[party];
      setData(mark, "agreed", on);
      setData(mark, "option", item.chosen[party] ?? "");
      const key = !on ? "item.notAgreedBy" : item.chosen[party] ? "item.agreedOn" : "item.agreedBy";
      setText(mark, t(key, { party: t(`role.${party}`), option: label(item.chosen[party]) }));
      toggle(mark, "is-on", on);
    }
    const role = info.role;
    const party = PARTIES.includes(role);
    this.agree.hidden = !party || !session.may("item.agree");
    const hasOptions = item.options.length > 0;
    this.agreeOption.hidden = this.agree.hidden || !hasOptions;
    if (hasOptions && document.activeElement !== this.agreeOption) {
      const wanted = (party && item.chosen[role]) || item.chosen.buyer || item.chosen.seller || this.agreeOption.value;
      this.agreeOption.replaceChildren(...item.options.map((o) => h("option", { value: o.id, text: o.label })));
      if (item.options.some((o) => o.id === wanted)) this.agreeOption.value = wanted;
    }
    if (party) {
      const mine = item.agreed[role];
      const sameOption = !hasOptions || item.chosen[role] === this.agreeOption.value;
      setText(this.agree, t(mine && sameOption ? "item.agree.withdraw" : hasOptions ? "item.agree.onOption" : "item.agree.give"));
      this.agree.setAttribute("aria-pressed", String(mine));
      setData(this.agree, "agreed", mine);
    }
    this.agreedBadge.hidden = !bothAgreed;
    setText(this.agreedBadge, hasOptions ? t("item.agreedOnBoth", { option: label(item.chosen.buyer) }) : t("item.agreed"));
    this.voidedNote.hidden = !item.voided || bothAgreed;
    if (item.voided) {
      const changes = item.voided.changes.map((c) => voidedChange(c, info)).join("; ");
      setText(this.voidedNote, t("item.voided", { by: t(`role.${item.voided.by}`), changes }));
    }

    this.plan.update(item, session.view().guide);
    this.modelsHelp.update(item);
    this.transparency.update(item, info);
    this.figures.update(item, info);
    this.seal.update(item, info);
    // Questions and notes are talked about, not valued: no figures, no transparency, no seal.
    const noFigures = KINDS_WITHOUT_FIGURES.has(item.kind);
    if (noFigures) for (const part of [this.transparency.el, this.figures.el, this.seal.el]) part.hidden = true;
    this.noFigures.hidden = !noFigures;
  }

  renderWithdrawal(item, why, lockedForMe) {
    const { session } = this;
    const requested = PARTIES.filter((party) => item.withdrawal[party]);
    this.withdrawal.hidden = !why && requested.length === 0;
    if (this.withdrawal.hidden) return;
    setText(this.protectedNote, why ? t("item.protected", { why: t(`item.protected.${why}`) }) : "");
    setData(this.withdrawal, "requested", requested.join(" "));
    setText(this.withdrawState, requested.map((party) => t("item.withdraw.requested", { party: t(`role.${party}`) })).join(" "));
    const role = session.role;
    this.withdraw.hidden = !PARTIES.includes(role) || !session.may("item.withdraw");
    if (!this.withdraw.hidden) {
      const mine = item.withdrawal[role];
      const other = item.withdrawal[role === "buyer" ? "seller" : "buyer"];
      setData(this.withdraw, "withdraw", mine);
      setText(this.withdraw, t(mine ? "item.withdraw.cancel" : other ? "item.withdraw.agree" : "item.withdraw.request"));
      this.withdraw.disabled = lockedForMe;
    }
  }
}

/** Options of a term (or relationship models): rename, remove, add. Sends the whole list. */
class OptionsEditor {
  constructor(itemId, session) {
    this.itemId = itemId;
    this.session = session;
    this.item = null;
    this.shown = null;
    this.heading = h("span", { class: "options-label" });
    this.list = h("ul", { class: "options-list", testid: "options" });
    this.input = h("input", { class: "option-new", testid: "option-new", maxLength: 200, autocomplete: "off" });
    trAttr(this.input, "placeholder", "options.new.placeholder");
    trAttr(this.input, "aria-label", "options.new");
    const add = tr(h("button", { type: "button", class: "btn btn-small", testid: "option-add", on: { click: () => this.add() } }), "options.add");
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        this.add();
      }
    });
    this.addRow = h("div", { class: "option-add-row" }, this.input, add);
    this.editable = true;
    this.el = h("div", { class: "item-options" }, this.heading, this.list, this.addRow);
  }

  send(options) {
    this.session.editItem(this.itemId, { options });
  }

  add() {
    const label = this.input.value.trim();
    if (!label) return;
    this.input.value = "";
    this.send([...this.item.options, { id: randomId(10), label }]);
  }

  update(item, editable = true) {
    this.item = item;
    const visible = item.kind === "term" || item.kind === "relationship" || item.options.length > 0;
    this.el.hidden = !visible;
    if (!visible) return;
    this.addRow.hidden = !editable;
    this.list.classList.toggle("is-readonly", !editable);
    if (this.editable !== editable) {
      this.editable = editable;
      this.shown = null;
    }
    setText(this.heading, t(item.kind === "relationship" ? "options.models" : "options.label"));
    const active = document.activeElement;
    const editing = (active?.tagName === "INPUT" && this.list.contains(active)) || this.list.querySelector("[data-dirty=true]");
    const key = `${document.documentElement.lang}|${JSON.stringify(item.options)}`;
    if (editing || key === this.shown) return;
    this.shown = key;
    this.list.replaceChildren(...item.options.map((option) => this.row(option)));
  }

  row(option) {
    const input = h("input", { class: "option-label", testid: "option-label", value: optionLabel(option, this.session.method.relationship_models), maxLength: 200, readOnly: !this.editable, data: { optionId: option.id } });
    trAttr(input, "aria-label", "options.rename");
    const original = input.value;
    const commit = () => {
      const label = input.value.trim();
      input.dataset.dirty = "false";
      if (!label || label === original) {
        // Show the current options again once focus has settled (it may have moved to a sibling).
        this.shown = null;
        setTimeout(() => this.update(this.item));
        return;
      }
      this.send(this.item.options.map((o) => (o.id === option.id ? { ...o, label } : o)));
    };
    input.addEventListener("input", () => {
      input.dataset.dirty = "true";
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        input.blur();
      }
    });
    input.addEventListener("blur", commit);
    const remove = tr(
      h("button", { type: "button", class: "tool tool-remove", testid: "option-remove", on: { click: () => this.send(this.item.options.filter((o) => o.id !== option.id)) } }),
      "options.remove.icon",
    );
    trAttr(remove, "aria-label", "options.remove");
    remove.hidden = !this.editable;
    return h("li", { class: "option", testid: "option", data: { optionId: option.id } }, input, remove);
  }
}

/** One change that voided an agreement, as "title: 45 days → 90 days" in the page's language. */
function voidedChange(change, info) {
  const [fieldName, party] = change.field.split(".");
  const show = (text) => {
    if (fieldName !== "figures" && fieldName !== "split") return text || "—";
    if (!text) return "—";
    const [value, cost] = text.split("/").map(Number);
    const money = (units) => formatMoney(units, info.currency, info.decimals);
    return cost === undefined ? money(value) : t("item.voided.figures", { value: money(value), cost: money(cost) });
  };
  const what = party ? t(`item.voided.field.${fieldName}`, { party: t(`role.${party}`) }) : t(`item.voided.field.${fieldName}`);
  return `${what}: ${show(change.old)} → ${show(change.new)}`;
}
