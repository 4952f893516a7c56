// The facilitator's tools as everyone sees them: the agenda lock, the round
// timer, and the process notes. The neutral gets the controls; the parties see
// the state. The timer counts down from the event's time (`started_at`); only
// its text is refreshed every second, nothing else re-renders for it.

import { h, placeChildren, setData, setText, setValue } from "../dom.js";
import { randomId } from "../ids.js";
import { t, tr, trAttr } from "../i18n.js";

const TICK_MS = 1000;
const DEFAULT_MINUTES = 10;

function clock(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const minutes = Math.floor(total / 60);
  const seconds = String(total % 60).padStart(2, "0");
  return `${minutes}:${seconds}`;
}

/** The lock and the round timer: one slim bar above the agenda. */
export class ModerationBar {
  constructor(session) {
    this.session = session;
    this.lockText = h("span", { class: "lock-text" });
    this.lock = h("span", { class: "agenda-lock", testid: "agenda-lock" }, h("span", { class: "icon icon-lock", attrs: { "aria-hidden": "true" } }), this.lockText);
    this.lockToggle = h("button", { type: "button", class: "btn btn-small", testid: "lock-toggle", on: { click: () => session.lockAgenda(!session.view().locked) } });

    this.remaining = h("span", { class: "timer-remaining", testid: "timer-remaining", attrs: { role: "timer" } });
    this.minutes = h("input", { type: "number", class: "timer-minutes", testid: "timer-minutes", min: 1, max: 1440, value: String(DEFAULT_MINUTES) });
    trAttr(this.minutes, "aria-label", "timer.minutes");
    this.label = h("input", { class: "timer-label", testid: "timer-label", maxLength: 120, autocomplete: "off" });
    trAttr(this.label, "placeholder", "timer.label.placeholder");
    trAttr(this.label, "aria-label", "timer.label");
    this.start = tr(h("button", { type: "button", class: "btn btn-small", testid: "timer-start", on: { click: () => this.startTimer() } }), "timer.start");
    this.stop = tr(h("button", { type: "button", class: "btn btn-small", testid: "timer-clear", on: { click: () => session.clearTimer() } }), "timer.clear");
    this.controls = h("span", { class: "timer-controls" }, this.minutes, this.label, this.start, this.stop);
    this.timer = h("div", { class: "timer", testid: "timer" }, tr(h("span", { class: "timer-heading" }), "timer.heading"), this.remaining, this.controls);

    this.el = h("section", { class: "moderation-bar", testid: "moderation" }, h("div", { class: "lock-row" }, this.lock, this.lockToggle), this.timer);
    this.interval = null;
  }

  startTimer() {
    const minutes = Math.round(Number(this.minutes.value));
    if (!Number.isFinite(minutes) || minutes < 1) {
      this.minutes.focus();
      return;
    }
    this.session.startTimer(Math.min(minutes * 60, 86400), this.label.value.trim());
  }

  render() {
    const { session } = this;
    const state = session.view();
    setData(this.lock, "locked", state.locked);
    this.lock.classList.toggle("is-locked", state.locked);
    setText(this.lockText, t(state.locked ? "lock.locked" : "lock.open"));
    this.lockToggle.hidden = !session.may("agenda.lock");
    setText(this.lockToggle, t(state.locked ? "lock.unlock" : "lock.lock"));

    this.controls.hidden = !session.may("timer.set");
    this.stop.disabled = !state.timer;
    setData(this.timer, "running", Boolean(state.timer));
    this.tick();
    if (state.timer && this.interval === null) this.interval = setInterval(() => this.tick(), TICK_MS);
    if (!state.timer && this.interval !== null) {
      clearInterval(this.interval);
      this.interval = null;
    }
    this.el.hidden = !session.room?.neutral && !state.locked && !state.timer;
  }

  tick() {
    const timer = this.session.view().timer;
    if (!timer) {
      setText(this.remaining, t("timer.none"));
      setData(this.remaining, "over", false);
      return;
    }
    const left = timer.started_at + timer.seconds * 1000 - Date.now();
    setData(this.remaining, "over", left <= 0);
    setText(this.remaining, left > 0 ? t("timer.remaining", { label: timer.label, time: clock(left) }) : t("timer.over", { label: timer.label }));
  }
}

/** The neutral's process notes: everyone reads them, the neutral writes them. */
export class NotesView {
  constructor(session) {
    this.session = session;
    this.list = h("ul", { class: "note-list", testid: "note-list" });
    this.empty = tr(h("p", { class: "muted small", testid: "notes-empty" }), "notes.empty");
    this.input = h("textarea", { class: "note-new", testid: "note-new", rows: 2, maxLength: 4000 });
    trAttr(this.input, "placeholder", "notes.new.placeholder");
    trAttr(this.input, "aria-label", "notes.new");
    this.add = tr(h("button", { type: "button", class: "btn btn-small", testid: "note-add", on: { click: () => this.addNote() } }), "notes.add");
    this.form = h("div", { class: "note-form" }, this.input, this.add);
    this.el = h(
      "section",
      { class: "notes card", testid: "notes", attrs: { "aria-labelledby": "notes-heading" } },
      tr(h("h2", { id: "notes-heading" }), "notes.heading"),
      tr(h("p", { class: "muted small" }), "notes.lead"),
      this.list,
      this.empty,
      this.form,
    );
    this.rows = new Map();
  }

  addNote() {
    const text = this.input.value.trim();
    if (!text) return;
    if (this.session.addNote(randomId(12), text)) this.input.value = "";
  }

  row(note) {
    const { session } = this;
    const text = h("textarea", { class: "note-text", testid: "note-text", rows: 2, maxLength: 4000 });
    trAttr(text, "aria-label", "notes.edit");
    text.addEventListener("input", () => {
      text.dataset.dirty = "true";
    });
    text.addEventListener("blur", () => {
      const value = text.value.trim();
      if (text.dataset.dirty === "true" && value) session.editNote(note.id, value);
      text.dataset.dirty = "false";
    });
    const shown = h("p", { class: "note-shown", testid: "note-shown" });
    const by = h("span", { class: "note-by muted small" });
    const remove = tr(h("button", { type: "button", class: "tool tool-remove", testid: "note-remove", on: { click: () => session.removeNote(note.id) } }), "options.remove.icon");
    trAttr(remove, "aria-label", "notes.remove");
    const el = h("li", { class: "note", testid: "note", data: { noteId: note.id } }, text, shown, h("div", { class: "note-foot" }, by, remove));
    return { el, text, shown, by, remove };
  }

  render() {
    const { session } = this;
    const notes = [...session.view().notes.values()];
    const editable = session.may("note.edit");
    for (const id of [...this.rows.keys()]) if (!session.view().notes.has(id)) this.rows.delete(id);
    const els = notes.map((note) => {
      let row = this.rows.get(note.id);
      if (!row) {
        row = this.row(note);
        this.rows.set(note.id, row);
      }
      row.text.hidden = !editable;
      row.shown.hidden = editable;
      row.remove.hidden = !session.may("note.remove");
      setValue(row.text, note.text);
      setText(row.shown, note.text);
      setText(row.by, t("notes.by", { name: note.by }));
      return row.el;
    });
    placeChildren(this.list, els);
    this.empty.hidden = notes.length > 0;
    this.form.hidden = !session.may("note.add");
    this.el.hidden = !session.room?.neutral && notes.length === 0;
  }
}
