// Guidance by the method (the article, in our own words): the opening with the
// two core questions (each side answers privately, both are shown at once),
// the four relationship models explained, the trust pulse, and per item the
// transparency plan. The texts are in src/lang; the state in guide-model.js.

import { h, setText } from "../dom.js";
import { t, tr } from "../i18n.js";
import { CORE_QUESTIONS, KINDS_WITHOUT_FIGURES, TRUST_BEHAVIOURS } from "../guide-model.js";
import { PARTIES } from "../model.js";

/** A role's name to start a sentence with: "Buyer", "Inkoper". */
const roleName = (party) => {
  const name = t(`role.${party}`);
  return `${name.charAt(0).toUpperCase()}${name.slice(1)}`;
};

export const RELATIONSHIP_MODELS = ["transactional", "preferred", "performance", "outcome"];

/** The method panel of the room: opening, relationship models, trust pulses. */
export class GuideView {
  /** @param {import("../session.js").Session} session */
  constructor(session) {
    this.session = session;
    this.inputs = Object.fromEntries(
      CORE_QUESTIONS.map((question) => {
        const input = h("textarea", {
          class: "opening-answer",
          testid: `opening-answer-${question}`,
          maxLength: 4000,
          rows: 2,
          attrs: { "aria-describedby": `opening-q-${question}` },
        });
        input.addEventListener("input", () => {
          input.dataset.dirty = "true";
        });
        input.addEventListener("change", () => {
          input.dataset.dirty = "false";
          session.command("opening.answer", { question, answer: input.value });
        });
        return [question, input];
      }),
    );
    this.share = h("button", { type: "button", class: "btn btn-small btn-primary", testid: "opening-share", on: { click: () => session.command("opening.share", {}) } });
    this.opening = h("div", { class: "opening", testid: "opening" });
    this.pulseSelect = h(
      "select",
      { class: "pulse-select", testid: "pulse-behaviour", attrs: { "aria-labelledby": "pulse-label" } },
      TRUST_BEHAVIOURS.map((id) => h("option", { value: id })),
    );
    this.pulseButton = h("button", { type: "button", class: "btn btn-small", testid: "pulse-give", on: { click: () => session.command("trust.pulse", { behaviour: this.pulseSelect.value }) } });
    this.pulseList = h("ul", { class: "pulse-list", testid: "pulse-list", attrs: { "aria-live": "polite" } });
    this.pulseForm = h("div", { class: "pulse-form" }, h("span", { id: "pulse-label", class: "small" }), this.pulseSelect, this.pulseButton);
    this.models = h("div", { class: "models", testid: "models" });
    this.el = h(
      "section",
      { class: "guide card", testid: "guide", attrs: { "aria-labelledby": "guide-heading" } },
      h("div", { class: "section-head" }, tr(h("h2", { id: "guide-heading" }), "guide.heading")),
      this.opening,
      h("details", { class: "guide-models", testid: "models-help" }, tr(h("summary"), "models.heading"), this.models),
      h("div", { class: "pulse", testid: "pulse" }, tr(h("h3"), "pulse.heading"), tr(h("p", { class: "muted small" }), "pulse.lead"), this.pulseForm, this.pulseList),
    );
    this.key = null;
  }

  render() {
    const { session } = this;
    const state = session.view();
    const guide = state.guide;
    const key = JSON.stringify([t("guide.heading"), guide, session.role, session.phase, session.may("opening.answer")]);
    if (key === this.key) return;
    this.key = key;
    this.renderOpening(guide);
    this.models.replaceChildren(...RELATIONSHIP_MODELS.map((id) => modelCard(id)));
    setText(this.pulseForm.querySelector("#pulse-label") ?? this.pulseForm, t("pulse.label"));
    for (const option of this.pulseSelect.options) option.textContent = t(`trust.${option.value}`);
    setText(this.pulseButton, t("pulse.give"));
    this.pulseForm.hidden = !session.may("trust.pulse");
    const pulses = guide.pulses.slice(-12).reverse();
    this.pulseList.replaceChildren(
      ...pulses.map((pulse) =>
        h(
          "li",
          { class: `pulse-entry role-${pulse.party}`, testid: "pulse-entry", data: { party: pulse.party, behaviour: pulse.behaviour } },
          t("pulse.entry", { party: roleName(pulse.party), behaviour: t(`trust.${pulse.behaviour}`) }),
        ),
      ),
    );
  }

  renderOpening(guide) {
    const { session } = this;
    const party = session.isParty ? session.role : null;
    const mayAnswer = party !== null && session.may("opening.answer") && !guide.ready[party];
    const question = (id) =>
      h(
        "div",
        { class: "opening-question" },
        h("label", { id: `opening-q-${id}`, class: "field-label", attrs: { for: `opening-input-${id}` }, text: t(`opening.${id}`) }),
      );
    const parts = [tr(h("h3"), "opening.heading"), tr(h("p", { class: "muted small" }), "opening.lead")];
    if (guide.shared) {
      parts.push(
        h(
          "div",
          { class: "opening-shared", testid: "opening-shared" },
          CORE_QUESTIONS.map((id) =>
            h(
              "div",
              { class: "opening-pair" },
              h("h4", { text: t(`opening.${id}`) }),
              PARTIES.map((p) => h("p", { class: `opening-said role-${p}`, testid: `opening-said-${p}-${id}` }, h("strong", { text: `${roleName(p)}: ` }), guide.shared[p][id] ?? "")),
            ),
          ),
        ),
      );
    } else if (party) {
      for (const id of CORE_QUESTIONS) {
        const input = this.inputs[id];
        input.id = `opening-input-${id}`;
        // Never overwrite what is being typed (or typed and not yet sent).
        if (document.activeElement !== input && input.dataset.dirty !== "true") input.value = guide.own?.[id] ?? "";
        input.readOnly = !mayAnswer;
        parts.push(h("div", { class: "opening-question private-panel" }, question(id), input));
      }
      setText(this.share, t(guide.ready[party] ? "opening.waiting" : "opening.share"));
      this.share.disabled = guide.ready[party] || !session.may("opening.share");
      parts.push(h("p", { class: "muted small" }, tr(h("span"), "opening.private")), this.share);
    } else {
      parts.push(...CORE_QUESTIONS.map((id) => h("p", { class: "small", text: t(`opening.${id}`) })));
    }
    parts.push(
      h(
        "p",
        { class: "opening-ready small", testid: "opening-ready" },
        PARTIES.map((p) => h("span", { class: `ready-mark role-${p}`, data: { party: p, ready: guide.ready[p] }, text: t(guide.ready[p] ? "opening.isReady" : "opening.notReady", { party: roleName(p) }) })),
      ),
    );
    const focused = document.activeElement;
    this.opening.replaceChildren(...parts);
    if (focused instanceof HTMLElement && focused !== document.activeElement && focused.isConnected) focused.focus();
  }
}

/** On a relationship-model item: the four models explained, folded away until asked for. */
export class ModelsHelp {
  constructor() {
    this.summary = h("summary");
    this.cards = h("div", { class: "models" });
    this.el = h("details", { class: "item-models-help", testid: "item-models-help" }, this.summary, this.cards);
    this.lang = null;
  }

  update(item) {
    this.el.hidden = item.kind !== "relationship";
    const now = t("models.heading");
    if (this.el.hidden || this.lang === now) return;
    this.lang = now;
    setText(this.summary, t("models.itemHelp"));
    this.cards.replaceChildren(...RELATIONSHIP_MODELS.map((id) => modelCard(id)));
  }
}

/** One relationship model, as the article describes it: what it is, when it fits. */
function modelCard(id) {
  return h(
    "div",
    { class: `model-card model-${id}`, testid: "model-card", data: { model: id } },
    h("h4", { text: t(`model.${id}.name`) }),
    h("p", { class: "small" }, h("strong", { text: `${t("model.what")} ` }), t(`model.${id}.what`)),
    h("p", { class: "small" }, h("strong", { text: `${t("model.when")} ` }), t(`model.${id}.when`)),
  );
}

/** Per item: who intends to open it (the transparency plan) and whether that is being honoured. */
export class PlanRow {
  constructor(itemId, session) {
    this.itemId = itemId;
    this.session = session;
    this.toggle = h("input", { type: "checkbox", testid: "plan-toggle", on: { change: () => session.command("plan.set", { item_id: itemId, open: this.toggle.checked }) } });
    this.toggleLabel = h("label", { class: "plan-own small" }, this.toggle, h("span"));
    this.marks = h("span", { class: "plan-marks small" });
    this.el = h("div", { class: "plan", testid: "plan" }, h("span", { class: "plan-label small" }), this.marks, this.toggleLabel);
  }

  update(item, guide) {
    const { session } = this;
    const noFigures = KINDS_WITHOUT_FIGURES.has(item.kind);
    this.el.hidden = noFigures;
    if (noFigures) return;
    const plan = guide.plan[item.id] ?? { buyer: null, seller: null };
    setText(this.el.querySelector(".plan-label") ?? this.el, `${t("plan.label")} `);
    this.marks.replaceChildren(
      ...PARTIES.map((party) => {
        const status = planStatus(plan[party], item.consent[party] || item.revealed);
        return h("span", { class: `plan-mark role-${party} plan-${status}`, testid: "plan-mark", data: { party, status }, text: t(`plan.${status}`, { party: roleName(party) }) });
      }),
    );
    const party = session.isParty ? session.role : null;
    this.toggleLabel.hidden = !party || !session.may("plan.set");
    // While this page's own change is on its way, the box shows what was clicked.
    const sending = session.pending.list().some((op) => op.name === "plan.set" && op.args.item_id === item.id);
    if (party && !sending) this.toggle.checked = plan[party] === true;
    if (party) {
      setText(this.toggleLabel.querySelector("span") ?? this.toggleLabel, t("plan.mine"));
    }
  }
}

/**
 * How a party's plan for an item stands against what it did.
 * @param {boolean | null} intends
 * @param {boolean} opened
 */
export function planStatus(intends, opened) {
  if (intends === null) return opened ? "unplanned" : "none";
  if (intends) return opened ? "kept" : "planned";
  return opened ? "beyond" : "closed";
}
