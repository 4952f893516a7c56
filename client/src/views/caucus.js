// The caucus: a private conversation between the neutral and one party's
// team. A party sees its own thread and, of the other party, only that a
// caucus is going on (the server never sends it more). The neutral sees a
// thread per party.

import { h, placeChildren, setData, setText } from "../dom.js";
import { locale, t, tr, trAttr } from "../i18n.js";
import { PARTIES } from "../model.js";

const otherParty = (party) => (party === "buyer" ? "seller" : "buyer");

class Thread {
  constructor(session, party) {
    this.session = session;
    this.party = party;
    this.title = h("h3", { class: "caucus-title" });
    this.state = h("span", { class: "caucus-state", testid: "caucus-state" });
    this.toggle = h("button", { type: "button", class: "btn btn-small", testid: "caucus-toggle", on: { click: () => session.openCaucus(party, !session.view().caucus[party].open) } });
    this.messages = h("ol", { class: "caucus-messages", testid: "caucus-messages" });
    this.empty = tr(h("p", { class: "muted small" }), "caucus.empty");
    this.text = h("textarea", { class: "caucus-text", testid: "caucus-text", rows: 2, maxLength: 4000 });
    trAttr(this.text, "placeholder", "caucus.text.placeholder");
    trAttr(this.text, "aria-label", "caucus.text");
    this.text.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        this.send();
      }
    });
    this.sendButton = tr(h("button", { type: "button", class: "btn btn-primary btn-small", testid: "caucus-send", on: { click: () => this.send() } }), "caucus.send");
    this.form = h("div", { class: "caucus-form" }, this.text, this.sendButton);
    this.hint = tr(h("p", { class: "muted small", testid: "caucus-closed-hint" }), "caucus.closedHint");
    // The shared note: one text the neutral and this party's team keep together.
    this.note = h("textarea", { class: "caucus-note", testid: "caucus-note", rows: 3, maxLength: 4000 });
    trAttr(this.note, "aria-label", "caucus.note");
    trAttr(this.note, "placeholder", "caucus.note.placeholder");
    this.noteSave = tr(h("button", { type: "button", class: "btn btn-small", testid: "caucus-note-save", on: { click: () => session.noteCaucus(party, this.note.value) } }), "caucus.note.save");
    this.noteBox = h("div", { class: "caucus-note-box" }, tr(h("h4", { class: "small" }), "caucus.note"), this.note, this.noteSave);
    this.el = h(
      "div",
      { class: `caucus-thread role-${party}`, testid: "caucus-thread", data: { party } },
      h("div", { class: "caucus-head" }, this.title, this.state, this.toggle),
      this.messages,
      this.empty,
      this.form,
      this.hint,
      this.noteBox,
    );
  }

  send() {
    const text = this.text.value.trim();
    if (!text) return;
    if (this.session.postCaucus(this.party, text)) this.text.value = "";
    this.text.focus();
  }

  render(thread) {
    const { session, party } = this;
    setText(this.title, t("caucus.thread", { party: t(`role.${party}`) }));
    setData(this.el, "open", thread.open);
    this.el.classList.toggle("is-open", thread.open);
    setText(this.state, t(thread.open ? "caucus.state.open" : "caucus.state.closed"));
    setText(this.toggle, t(thread.open ? "caucus.close" : "caucus.open"));
    this.toggle.hidden = !session.may(thread.open ? "caucus.close" : "caucus.open");
    const time = new Intl.DateTimeFormat(locale(), { hour: "2-digit", minute: "2-digit" });
    placeChildren(
      this.messages,
      thread.messages.map((m) =>
        h(
          "li",
          { class: `caucus-message role-${m.role}`, testid: "caucus-message", data: { role: m.role } },
          h("span", { class: "caucus-author", text: `${m.name} (${t(`role.${m.role}`)})` }),
          h("span", { class: "caucus-time muted small", text: time.format(m.at) }),
          h("p", { class: "caucus-body", text: m.text }),
        ),
      ),
    );
    this.empty.hidden = thread.messages.length > 0;
    const canWrite = thread.open && session.may("caucus.post");
    this.form.hidden = !canWrite;
    this.hint.hidden = thread.open || !session.may("caucus.open");
    const canNote = session.may("caucus.note");
    if (document.activeElement !== this.note) this.note.value = thread.note;
    this.note.readOnly = !canNote;
    this.noteSave.hidden = !canNote;
    setData(this.noteBox, "note", thread.note);
  }
}

export class CaucusView {
  constructor(session) {
    this.session = session;
    this.lead = h("p", { class: "muted small" });
    this.indicator = h("p", { class: "caucus-indicator", testid: "caucus-indicator", hidden: true });
    this.threads = new Map();
    this.list = h("div", { class: "caucus-threads" });
    this.el = h(
      "section",
      { class: "caucus card", testid: "caucus", attrs: { "aria-labelledby": "caucus-heading" } },
      tr(h("h2", { id: "caucus-heading" }), "caucus.heading"),
      this.lead,
      this.indicator,
      this.list,
    );
    this.key = null;
  }

  render() {
    const { session } = this;
    const room = session.room;
    this.el.hidden = !room?.neutral;
    if (!room?.neutral || !session.role) return;
    const caucus = session.view().caucus;
    const key = JSON.stringify([document.documentElement.lang, caucus, session.phase]);
    if (key === this.key) return;
    this.key = key;
    const mine = session.isNeutral ? PARTIES : [session.role];
    if (session.isNeutral) setText(this.lead, t("caucus.lead.neutral"));
    else setText(this.lead, t("caucus.lead.party", { other: t(`role.${otherParty(session.role)}`) }));
    if (!session.isNeutral) {
      const other = otherParty(session.role);
      const open = caucus[other].open;
      this.indicator.hidden = !open;
      setData(this.indicator, "party", other);
      setData(this.indicator, "open", open);
      setText(this.indicator, t("caucus.other", { party: t(`role.${other}`) }));
    }
    for (const party of mine) {
      if (!this.threads.has(party)) this.threads.set(party, new Thread(session, party));
      this.threads.get(party).render(caucus[party]);
    }
    placeChildren(this.list, mine.map((party) => this.threads.get(party).el));
  }
}
