// Per item: the party's private figures (value, cost, note: only its own team
// ever receives them; optionally a low/high range around value and cost), the
// two-key consent, and after the reveal both sides' figures (with their
// ranges) with every public change marked.

import { h, setData, setText, setValue, toggle } from "../dom.js";
import { errorText } from "../errors.js";
import { lang, t, tr, trAttr } from "../i18n.js";
import { PARTIES } from "../model.js";
import { readAmount } from "../amounts.js";
import { formatMoney, unitsToInput } from "../money.js";

const otherParty = (party) => (party === "buyer" ? "seller" : "buyer");

/** The ends of a range, as the command and the events name them. */
export const RANGE_ENDS = /** @type {const} */ (["value_low", "value_high", "cost_low", "cost_high"]);

/** "€100,000 – €130,000" for one figure of a range, or "" when the figure has no range. */
function rangeText(range, figure, money) {
  if (!range) return "";
  return t("range.between", { low: money(range[`${figure}_low`]), high: money(range[`${figure}_high`]) });
}

/** Consent switch and state for both sides; after the reveal, the revealed figures. */
export class TransparencyRow {
  constructor(itemId, session) {
    this.itemId = itemId;
    this.session = session;
    this.item = null;
    this.switch = h("input", {
      type: "checkbox",
      class: "switch-input",
      testid: "consent",
      attrs: { role: "switch" },
      on: { change: () => session.setConsent(itemId, this.switch.checked) },
    });
    this.switchLabel = tr(h("span", { class: "switch-text" }), "consent.label");
    this.switchBox = h("label", { class: "switch" }, this.switch, h("span", { class: "switch-track", attrs: { "aria-hidden": "true" } }), this.switchLabel);
    this.state = h("span", { class: "consent-state", testid: "consent-state" });
    this.hint = h("span", { class: "consent-hint muted small", testid: "consent-hint" });
    this.error = h("p", { class: "field-error", testid: "consent-error", attrs: { role: "alert" }, hidden: true });
    this.revealed = h("div", { class: "revealed", testid: "revealed", hidden: true });
    this.el = h(
      "div",
      { class: "item-transparency" },
      h("div", { class: "consent-row" }, tr(h("span", { class: "consent-title" }), "consent.title"), this.switchBox, this.state, this.hint),
      this.error,
      this.revealed,
    );
    this.revealedKey = null;
  }

  update(item, info) {
    this.item = item;
    const role = info.role;
    const isParty = PARTIES.includes(role);
    const consentState = (party) => t(item.consent[party] ? "consent.yes" : "consent.notYet");
    if (item.revealed) {
      this.switchBox.hidden = true;
      setText(this.state, t("consent.revealed"));
      setData(this.state, "revealed", true);
      this.hint.hidden = true;
    } else {
      setData(this.state, "revealed", false);
      this.switchBox.hidden = !isParty;
      if (isParty) {
        const other = otherParty(role);
        setText(this.state, t("consent.stateParty", { you: consentState(role), other: t(`role.${other}`), otherState: consentState(other) }));
        if (document.activeElement !== this.switch) this.switch.checked = item.consent[role];
        const now = this.session.may("consent.set");
        this.switch.disabled = !info.registered || !now;
        this.hint.hidden = info.registered && now;
        setText(this.hint, t(info.registered ? "consent.notThisPhase" : "consent.registerFirst"));
      } else {
        setText(this.state, t("consent.stateNeutral", { buyer: consentState("buyer"), seller: consentState("seller") }));
        this.hint.hidden = true;
      }
    }
    const error = info.fieldError?.name === "consent.set" ? info.fieldError : null;
    this.error.hidden = !error;
    setText(this.error, error ? errorText(error) : "");
    this.renderRevealed(item, info);
  }

  renderRevealed(item, info) {
    this.revealed.hidden = !item.revealed;
    if (!item.revealed) return;
    const key = JSON.stringify([lang(), item.figures, item.revisions, info.currency]);
    if (key === this.revealedKey) return;
    this.revealedKey = key;
    const money = (units) => formatMoney(units, info.currency, info.decimals);
    const changedParties = new Set(item.revisions.map((r) => r.party));
    const rows = PARTIES.map((party) => {
      const f = item.figures[party];
      return h(
        "tr",
        { class: `role-${party}`, testid: "revealed-row", data: { party, changed: changedParties.has(party) } },
        h("th", { scope: "row" }, t(`role.${party}`), changedParties.has(party) ? h("span", { class: "changed-flag", text: t("reveal.changedFlag") }) : null),
        h("td", { class: "num", testid: "revealed-value" }, money(f.value), f.range ? h("span", { class: "figure-range-text", testid: "revealed-value-range", text: rangeText(f.range, "value", money) }) : null),
        h("td", { class: "num", testid: "revealed-cost" }, money(f.cost), f.range ? h("span", { class: "figure-range-text", testid: "revealed-cost-range", text: rangeText(f.range, "cost", money) }) : null),
        h("td", { class: "num", text: money(f.value - f.cost) }),
      );
    });
    const revisions = item.revisions.map((revision) =>
      h(
        "li",
        { class: `revision role-${revision.party}`, testid: "revision", data: { party: revision.party } },
        h("strong", { text: t("reveal.changedAfter", { party: t(`role.${revision.party}`) }) }),
        " ",
        revisionText(revision, money),
      ),
    );
    const net = PARTIES.reduce((sum, party) => sum + item.figures[party].value - item.figures[party].cost, 0);
    this.revealed.replaceChildren(
      h("div", { class: "revealed-head" }, h("span", { class: "icon icon-eye", attrs: { "aria-hidden": "true" } }), h("span", { text: t("reveal.heading") })),
      h(
        "table",
        { class: "figures-table" },
        h("thead", {}, h("tr", {}, h("th", { text: "" }), h("th", { class: "num", text: t("figures.value") }), h("th", { class: "num", text: t("figures.cost") }), h("th", { class: "num", text: t("figures.own") }))),
        h("tbody", {}, rows),
      ),
      ...(net < 0 ? [h("p", { class: "destroys-note", testid: "item-destroys-value", text: t("reveal.destroys", { loss: money(-net) }) })] : []),
      ...(revisions.length ? [h("ul", { class: "revisions" }, revisions)] : []),
    );
  }
}

function revisionText(revision, money) {
  const parts = [];
  for (const field of ["value", "cost"]) {
    const before = revision.before[field];
    const after = revision.after[field];
    if (before !== after) parts.push(`${t(`figures.${field}`)}: ${money(before)} → ${money(after)}`);
  }
  if (JSON.stringify(revision.before.range ?? null) !== JSON.stringify(revision.after.range ?? null)) {
    const describe = (range) => (range ? `${rangeText(range, "value", money)} / ${rangeText(range, "cost", money)}` : t("range.none"));
    parts.push(`${t("range.title")}: ${describe(revision.before.range)} → ${describe(revision.after.range)}`);
  }
  return parts.join("; ") || t("reveal.noChange");
}

/** A party's private registration for one item: only its own team sees this. */
export class FiguresPanel {
  constructor(itemId, session) {
    this.itemId = itemId;
    this.session = session;
    const input = (testid, labelKey, props = {}, amount = false) => {
      const el = h("input", { class: `figure-input figure-${testid}`, testid, autocomplete: "off", ...props });
      // What the page read from the typed text, before anything is registered.
      const parsed = amount ? h("span", { class: "figure-parsed muted small", testid: `${testid}-parsed`, attrs: { "aria-live": "polite" } }) : null;
      el.addEventListener("input", () => {
        el.dataset.dirty = "true";
        if (parsed) this.showParsed(el, parsed, testid.startsWith("figure-cost"));
      });
      el.addEventListener("keydown", (event) => {
        if (event.key === "Enter") {
          event.preventDefault();
          this.save();
        }
      });
      return { el, parsed, label: h("label", { class: "field" }, tr(h("span", { class: "field-label" }), labelKey), el, parsed) };
    };
    this.value = input("figure-value", "figures.value.label", { inputMode: "decimal", maxLength: 32 }, true);
    this.cost = input("figure-cost", "figures.cost.label", { inputMode: "decimal", maxLength: 32 }, true);
    this.note = input("figure-note", "figures.note.label", { maxLength: 4000 });
    trAttr(this.value.el, "placeholder", "figures.value.placeholder");
    trAttr(this.cost.el, "placeholder", "figures.cost.placeholder");
    // Uncertain figures: an optional low and high around value and cost. An empty end is the figure itself.
    this.ends = Object.fromEntries(
      RANGE_ENDS.map((end) => {
        const field = input(`figure-${end.replace("_", "-")}`, `range.${end}`, { inputMode: "decimal", maxLength: 32 }, true);
        trAttr(field.el, "placeholder", "range.placeholder");
        return [end, field];
      }),
    );
    this.rangeSummary = tr(h("summary", { testid: "figure-range-toggle" }), "range.toggle");
    this.range = h(
      "details",
      { class: "figure-range", testid: "figure-range" },
      this.rangeSummary,
      tr(h("p", { class: "muted small" }), "range.lead"),
      h("div", { class: "figure-range-fields" }, ...RANGE_ENDS.map((end) => this.ends[end].label)),
    );
    this.saveButton = tr(h("button", { type: "button", class: "btn btn-small btn-private", testid: "figure-save", on: { click: () => this.save() } }), "figures.save");
    this.owner = h("span", { class: "private-owner" });
    this.status = h("span", { class: "figure-status", testid: "figure-status" });
    this.error = h("p", { class: "field-error", testid: "figure-error", attrs: { role: "alert" }, hidden: true });
    this.el = h(
      "div",
      { class: "private-panel", testid: "private-panel" },
      h("div", { class: "private-head" }, h("span", { class: "icon icon-lock", attrs: { "aria-hidden": "true" } }), this.owner, this.status),
      h("div", { class: "figure-fields" }, this.value.label, this.cost.label, this.note.label, this.saveButton),
      this.range,
      this.error,
    );
    // Leaving the panel with unsent figures sends them.
    this.localError = null;
    this.localField = null;
    this.el.addEventListener("focusout", (event) => {
      if (!this.el.contains(event.relatedTarget)) this.save({ quiet: true });
    });
  }

  /** Every input of the panel: value, cost, note and the four range ends. */
  fields() {
    return [this.value, this.cost, this.note, ...RANGE_ENDS.map((end) => this.ends[end])];
  }

  dirty() {
    return this.fields().some(({ el }) => el.dataset.dirty === "true");
  }

  /** Read an amount field as typed on this page (see amounts.js). */
  read(el, isCost) {
    const limits = { allowNegative: !isCost, maxUnits: this.session.validator.limits.max_amount_units };
    return readAmount(el.value, lang(), this.session.decimals, limits);
  }

  showParsed(el, parsed, isCost) {
    const result = el.value.trim() ? this.read(el, isCost) : null;
    const currency = this.session.room?.currency ?? "EUR";
    setText(parsed, result?.ok ? t("figures.parsed", { amount: formatMoney(result.units, currency, this.session.decimals) }) : "");
    setData(parsed, "units", result?.ok ? result.units : "");
  }

  save({ quiet = false } = {}) {
    if (!this.dirty()) return;
    if (!this.value.el.value.trim() || !this.cost.el.value.trim()) {
      if (!quiet) this.setLocalError(() => t("figures.bothNeeded"), null);
      this.showError(this.localError?.(), this.localField);
      return;
    }
    const value = this.read(this.value.el, false);
    const cost = this.read(this.cost.el, true);
    /** @type {Array<[string, any]>} */
    const read = [["value", value], ["cost", cost]];
    for (const end of RANGE_ENDS) {
      const el = this.ends[end].el;
      if (el.value.trim()) read.push([end, this.read(el, end.startsWith("cost"))]);
    }
    for (const [field, result] of read) {
      if (!result.ok) {
        const refusal = { code: "invalid_figure", reason: result.reason, field, params: result.params };
        // A function, so that the text follows a language switch.
        this.setLocalError(() => errorText(refusal), field);
        this.showError(this.localError?.(), this.localField);
        this.showStatus("error");
        return;
      }
    }
    if (!value.ok || !cost.ok) return;
    this.setLocalError(null, null);
    for (const { el } of this.fields()) el.dataset.dirty = "false";
    const range = Object.fromEntries(read.slice(2).map(([end, result]) => [end, result.canonical]));
    this.session.setFigures(this.itemId, { value: value.canonical, cost: cost.canonical, note: this.note.el.value, range });
  }

  setLocalError(message, field) {
    this.localError = message;
    this.localField = field;
  }

  showStatus(status) {
    setData(this.status, "status", status);
    setText(this.status, t(`figures.status.${status}`));
    toggle(this.el, "is-registered", status === "registered");
  }

  /** Show `message` under the fields and mark `field` ("value", "cost" or a range end, as the server names it). */
  showError(message, field = null) {
    this.error.hidden = !message;
    setText(this.error, message ?? "");
    /** @type {Array<[string, {el: HTMLInputElement}]>} */
    const named = [["value", this.value], ["cost", this.cost], ...RANGE_ENDS.map((end) => /** @type {[string, any]} */ ([end, this.ends[end]]))];
    for (const [name, { el }] of named) {
      if (message && field === name) el.setAttribute("aria-invalid", "true");
      else el.removeAttribute("aria-invalid");
    }
    // A refused range end must be seen: open the range.
    if (message && RANGE_ENDS.some((end) => end === field)) this.range.open = true;
  }

  update(item, info) {
    const isParty = PARTIES.includes(info.role);
    this.el.hidden = !isParty;
    if (!isParty) return;
    const role = info.role;
    const now = this.session.may("figures.set");
    for (const { el } of this.fields()) el.readOnly = !now;
    this.saveButton.hidden = !now;
    const org = info.org ? ` · ${info.org}` : "";
    setText(this.owner, t("figures.privateTo", { party: `${t(`role.${role}`)}${org}` }));
    this.el.className = `private-panel role-${role}`;
    const record = info.privateRecord;
    if (record) {
      setValue(this.value.el, unitsToInput(record.value, info.decimals, lang()));
      setValue(this.cost.el, unitsToInput(record.cost, info.decimals, lang()));
      setValue(this.note.el, record.note);
      for (const end of RANGE_ENDS) {
        setValue(this.ends[end].el, record.range ? unitsToInput(record.range[end], info.decimals, lang()) : "");
      }
      if (record.range && !this.rangeShown) this.range.open = true;
      this.rangeShown = Boolean(record.range);
    }
    const error = info.fieldError?.name === "figures.set" ? info.fieldError : null;
    // An error, from this page or the server, says "not saved": never "registered ✓" beside it.
    let status = "none";
    if (info.pendingFigures) status = "saving";
    else if (error || this.localError) status = "error";
    else if (info.registered) status = "registered";
    this.showStatus(status);
    if (error && error !== this.lastError) {
      // Refused: keep what the user typed so it can be corrected.
      for (const { el } of this.fields()) if (el !== this.note.el) el.dataset.dirty = "true";
    }
    this.lastError = error;
    if (error) this.showError(errorText(error), error.field);
    else this.showError(this.localError?.() ?? null, this.localField);
  }
}
