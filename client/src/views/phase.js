// The room's phase: where the negotiation stands in the method and what the
// phase is for, for everyone. The neutral moves the room from phase to phase;
// without a neutral, both parties propose the same phase (two-key). Closing
// is final, so it asks for confirmation.

import { h, setData, setText } from "../dom.js";
import { t, tr } from "../i18n.js";
import { PARTIES } from "../model.js";

const CLOSED = "closed";
const otherParty = (party) => (party === "buyer" ? "seller" : "buyer");

export class PhaseView {
  constructor(session) {
    this.session = session;
    this.steps = h("ol", { class: "phase-steps", testid: "phase-steps" });
    this.name = h("h2", { class: "phase-name", testid: "phase-name" });
    this.purpose = h("p", { class: "phase-purpose", testid: "phase-purpose" });
    this.how = h("p", { class: "phase-how muted small", testid: "phase-how" });
    this.proposals = h("div", { class: "phase-proposals", testid: "phase-proposals" });
    this.pendingClose = false;
    this.confirm = h(
      "div",
      { class: "phase-confirm", testid: "phase-close-confirm", hidden: true },
      tr(h("span", {}), "phase.closeConfirm"),
      tr(h("button", { type: "button", class: "btn btn-danger btn-small", testid: "phase-close-yes", on: { click: () => this.choose(CLOSED, true) } }), "phase.closeYes"),
      tr(h("button", { type: "button", class: "btn btn-small", testid: "phase-close-no", on: { click: () => this.askClose(false) } }), "phase.closeNo"),
    );
    this.el = h(
      "section",
      { class: "phase-bar card", testid: "phase", attrs: { "aria-labelledby": "phase-heading" } },
      h("div", { class: "phase-head" }, tr(h("span", { id: "phase-heading", class: "phase-label" }), "phase.heading"), this.name),
      this.steps,
      this.purpose,
      this.how,
      this.proposals,
      this.confirm,
    );
    this.key = null;
  }

  /** The command this seat moves the phase with, or null if it cannot. */
  mover() {
    const { session } = this;
    if (session.isNeutral) return session.may("phase.set") ? "phase.set" : null;
    if (session.room?.neutral) return null;
    return session.may("phase.propose") ? "phase.propose" : null;
  }

  askClose(asking) {
    this.pendingClose = asking;
    this.key = null;
    this.render();
  }

  choose(phase, confirmed = false) {
    if (phase === CLOSED && !confirmed) {
      this.askClose(true);
      return;
    }
    this.pendingClose = false;
    if (this.mover() === "phase.set") this.session.setPhase(phase);
    else this.session.proposePhase(phase);
    this.key = null;
  }

  render() {
    const { session } = this;
    const state = session.view();
    const phases = session.method.phases.map((p) => p.id);
    const key = JSON.stringify([document.documentElement.lang, state.phase, state.proposals, session.role, this.pendingClose, this.mover(), phases]);
    if (key === this.key) return;
    this.key = key;
    const current = state.phase;
    const mover = this.mover();
    // The tooltip of a step: moving the phase (the neutral) or proposing it (a party).
    const moveKey = mover === "phase.set" ? "phase.move" : "phase.propose";
    setData(this.el, "phase", current);
    setText(this.name, t(`phase.${current}.name`));
    setText(this.purpose, t(`phase.${current}.purpose`));
    this.steps.replaceChildren(
      ...phases.map((id, index) => {
        const proposedBy = PARTIES.filter((party) => state.proposals[party] === id);
        const label = t("phase.step", { n: index + 1, name: t(`phase.${id}.name`) });
        const button = h("button", {
          type: "button",
          class: `phase-step${id === current ? " is-current" : ""}${proposedBy.length ? " is-proposed" : ""}`,
          testid: "phase-step",
          data: { phase: id, current: id === current, proposedBy: proposedBy.join(" ") },
          text: label,
          disabled: !mover || id === current,
          title: mover ? t(moveKey, { name: t(`phase.${id}.name`) }) : label,
          on: { click: () => this.choose(id) },
        });
        if (id === current) button.setAttribute("aria-current", "step");
        return h("li", {}, button);
      }),
    );
    let how = "phase.byBoth";
    if (session.room?.neutral) how = session.isNeutral ? "phase.byNeutral.you" : "phase.byNeutral";
    setText(this.how, current === CLOSED ? "" : t(how));
    this.how.hidden = current === CLOSED;
    this.confirm.hidden = !this.pendingClose || !mover;
    this.renderProposals(state, mover);
  }

  renderProposals(state, mover) {
    const { session } = this;
    const rows = [];
    for (const party of PARTIES) {
      const phase = state.proposals[party];
      if (!phase) continue;
      const name = t(`phase.${phase}.name`);
      if (party === session.role) {
        rows.push(
          h(
            "p",
            { class: "phase-proposal", testid: "phase-proposal", data: { party, phase } },
            h("span", { text: t("phase.yourProposal", { name, other: t(`role.${otherParty(party)}`) }) }),
            mover ? h("button", { type: "button", class: "btn btn-small", testid: "phase-withdraw", text: t("phase.withdraw"), on: { click: () => session.proposePhase(null) } }) : null,
          ),
        );
      } else {
        rows.push(
          h(
            "p",
            { class: "phase-proposal", testid: "phase-proposal", data: { party, phase } },
            h("span", { text: t("phase.proposal", { party: t(`role.${party}`), name }) }),
            mover ? h("button", { type: "button", class: "btn btn-primary btn-small", testid: "phase-accept", text: t("phase.accept", { name }), on: { click: () => this.choose(phase) } }) : null,
          ),
        );
      }
    }
    this.proposals.replaceChildren(...rows);
    this.proposals.hidden = rows.length === 0;
  }
}
