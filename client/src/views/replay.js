// Replay: the session as this role saw it, at any moment.
//
// Opened from inside a room (also a closed one). It fetches the role's history
// over the room's websocket (replay/history.js), folds it with the client's own
// fold into a seekable timeline (replay/timeline.js) and shows the room at the
// chosen moment: phase, agenda, this party's own private figures as they were,
// revealed figures, the split of that moment, who did what (presence markers),
// and a timeline with filters. A scrubber by event and one by time, play at
// 1×/4×/16× (the session's own pace, long pauses cut to MAX_PAUSE_MS), step,
// landmarks. "Check the chain" recomputes the role's hash chain; "Download"
// saves the role's export (JSON Lines) from a Blob: no token in any URL.

import { h, setText } from "../dom.js";
import { errorText } from "../errors.js";
import { locale, t, tr, trAttr } from "../i18n.js";
import { formatMoney } from "../money.js";
import { agendaOrder } from "../order.js";
import { exportText, loadHistory, verifyChain } from "../replay/history.js";
import { KINDS, Timeline, kindOf, landmarkOf, splitOf } from "../replay/timeline.js";
import { transferText } from "./split.js";

const SPEEDS = [1, 4, 16];
const MAX_PAUSE_MS = 2000;
// Timeline entries rendered at once, around the current moment.
const WINDOW = 400;

export class ReplayView {
  /**
   * @param {import("../session.js").Session} session
   * @param {{onClose: () => void}} options
   */
  constructor(session, { onClose }) {
    this.session = session;
    this.onClose = onClose;
    /** @type {Timeline | null} */
    this.timeline = null;
    this.proofs = [];
    this.position = 0;
    this.speed = 1;
    /** @type {ReturnType<typeof setTimeout> | null} */
    this.timer = null;
    this.filters = new Set(KINDS);
    /** @type {import("../model.js").State | null} */
    this.final = null;
    this.windowed = false;

    this.status = h("p", { class: "replay-status", testid: "replay-status" });
    this.scrubber = h("input", {
      type: "range",
      class: "replay-scrubber",
      testid: "replay-scrubber",
      min: "0",
      max: "0",
      on: { input: () => this.seek(Number(this.scrubber.value)) },
    });
    this.clock = h("input", {
      type: "range",
      class: "replay-clock",
      testid: "replay-time",
      min: "0",
      max: "0",
      on: { input: () => this.timeline && this.seek(this.timeline.positionAt(Number(this.clock.value))) },
    });
    trAttr(this.scrubber, "aria-label", "replay.byEvent");
    trAttr(this.clock, "aria-label", "replay.byTime");
    this.positionText = h("span", { testid: "replay-position" });
    this.timeText = h("span", { testid: "replay-clock-text" });
    this.playButton = h("button", { type: "button", class: "btn", testid: "replay-play", on: { click: () => this.togglePlay() } });
    this.speedSelect = h(
      "select",
      { testid: "replay-speed", on: { change: () => (this.speed = Number(this.speedSelect.value)) } },
      ...SPEEDS.map((s) => h("option", { value: String(s), text: `${s}×` })),
    );
    trAttr(this.speedSelect, "aria-label", "replay.speed");
    const step = (delta, testid, key) =>
      tr(h("button", { type: "button", class: "btn", testid, on: { click: () => this.seek(this.position + delta) } }), key);
    this.controls = h(
      "div",
      { class: "replay-controls" },
      step(-1, "replay-step-back", "replay.stepBack"),
      this.playButton,
      this.speedSelect,
      step(1, "replay-step", "replay.step"),
      this.positionText,
    );
    this.current = h("p", { class: "replay-current", testid: "replay-current" });
    this.phase = h("p", { class: "replay-phase", testid: "replay-phase" });
    this.actors = h("ul", { class: "replay-actors presence", testid: "replay-actors" });
    this.agenda = h("ol", { class: "replay-agenda", testid: "replay-agenda" });
    this.split = h("div", { class: "replay-split", testid: "replay-split" });
    this.talk = h("div", { class: "replay-talk", testid: "replay-talk" });
    this.landmarks = h("ul", { class: "replay-landmarks", testid: "replay-landmarks" });
    this.filterBar = h(
      "div",
      { class: "replay-filters" },
      ...KINDS.map((kind) =>
        h(
          "label",
          {},
          h("input", {
            type: "checkbox",
            checked: true,
            testid: "replay-filter",
            data: { kind },
            on: { change: (e) => this.setFilter(kind, e.target.checked) },
          }),
          tr(h("span"), `replay.kind.${kind}`),
        ),
      ),
    );
    this.entries = h("ol", { class: "replay-timeline", testid: "replay-timeline" });
    this.verifyResult = h("span", { class: "replay-verify", testid: "replay-verify-result" });
    this.tools = h(
      "div",
      { class: "replay-tools" },
      tr(h("button", { type: "button", class: "btn", testid: "replay-verify", on: { click: () => this.verify() } }), "replay.verify"),
      this.verifyResult,
      tr(h("button", { type: "button", class: "btn", testid: "replay-export", on: { click: () => this.download() } }), "replay.export"),
    );
    this.el = h(
      "section",
      { class: "replay", testid: "replay" },
      h(
        "header",
        { class: "replay-head" },
        tr(h("h2"), "replay.heading"),
        tr(h("button", { type: "button", class: "btn", testid: "replay-close", on: { click: () => this.close() } }), "replay.close"),
      ),
      this.status,
      h("div", { class: "replay-scrub" }, tr(h("label"), "replay.byEvent"), this.scrubber),
      h("div", { class: "replay-scrub" }, tr(h("label"), "replay.byTime"), this.clock, this.timeText),
      this.controls,
      this.current,
      h(
        "div",
        { class: "replay-body" },
        h("div", { class: "replay-room" }, this.phase, tr(h("h3"), "replay.who"), this.actors, tr(h("h3"), "replay.agenda"), this.agenda, tr(h("h3"), "replay.split"), this.split, this.talk),
        h("div", { class: "replay-side" }, tr(h("h3"), "replay.landmarks"), this.landmarks, tr(h("h3"), "replay.timeline"), this.filterBar, this.entries, this.tools),
      ),
    );
  }

  /** Fetch the role's history and show its last moment. */
  async open() {
    tr(this.status, "replay.loading");
    this.status.dataset.state = "loading";
    try {
      const { events, proofs } = await loadHistory(this.session);
      this.timeline = new Timeline(events);
      this.proofs = proofs;
    } catch (/** @type {any} */ error) {
      const reason = error?.code ? errorText(error) : (error?.message ?? "");
      tr(this.status, "replay.failed", { reason });
      this.status.dataset.state = "failed";
      return;
    }
    const timeline = this.timeline;
    tr(this.status, "replay.loaded", { count: timeline.length });
    this.status.dataset.state = "ready";
    this.status.dataset.count = String(timeline.length);
    this.scrubber.max = String(timeline.length);
    if (timeline.length) {
      this.clock.min = String(timeline.events[0].at);
      this.clock.max = String(timeline.events[timeline.length - 1].at);
    }
    this.renderLandmarks();
    this.renderEntries();
    this.seek(timeline.length);
  }

  /** The page's language changed: say everything again in it. */
  relabel() {
    if (!this.timeline) return;
    this.renderLandmarks();
    this.renderEntries();
    this.render();
  }

  close() {
    this.pause();
    this.el.remove();
    this.onClose();
  }

  // -- moving ---------------------------------------------------------------

  seek(n) {
    if (!this.timeline) return;
    this.position = Math.max(0, Math.min(n, this.timeline.length));
    this.render();
  }

  togglePlay() {
    if (this.timer !== null) this.pause();
    else this.play();
  }

  play() {
    if (!this.timeline) return;
    if (this.position >= this.timeline.length) this.seek(0);
    const tick = () => {
      const timeline = this.timeline;
      if (!timeline || this.position >= timeline.length) {
        this.pause();
        return;
      }
      const now = timeline.events[this.position - 1]?.at ?? timeline.events[0].at;
      const next = timeline.events[this.position].at;
      const wait = Math.min(MAX_PAUSE_MS, Math.max(0, next - now)) / this.speed;
      this.timer = setTimeout(() => {
        this.seek(this.position + 1);
        tick();
      }, wait);
      this.renderPlay();
    };
    tick();
  }

  pause() {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.renderPlay();
  }

  setFilter(kind, on) {
    if (on) this.filters.add(kind);
    else this.filters.delete(kind);
    this.renderEntries();
    this.markCurrent();
  }

  // -- checking and saving ---------------------------------------------------

  async verify() {
    if (!this.timeline) return;
    const { session } = this;
    const result = await verifyChain(session.logId, session.role, this.timeline.events, this.proofs);
    this.verifyResult.dataset.ok = String(result.ok);
    if (result.ok) tr(this.verifyResult, "replay.verified", { count: result.checked, head: result.head.slice(0, 16) });
    else tr(this.verifyResult, "replay.broken", { n: result.broken });
  }

  download() {
    if (!this.timeline) return;
    const { session } = this;
    const text = exportText({
      roomId: session.room?.id ?? "",
      logId: session.logId,
      role: session.role,
      events: this.timeline.events,
      proofs: this.proofs,
    });
    const url = URL.createObjectURL(new Blob([text], { type: "application/jsonl" }));
    const link = h("a", { href: url, download: `valueroom-${session.room?.id ?? "room"}-${session.role}.jsonl`, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 0);
  }

  // -- rendering --------------------------------------------------------------

  /** " · range: value … – …, cost … – …" for figures with a range (uncertain figures), else "". */
  rangeText(range) {
    if (!range) return "";
    const ends = { value_low: this.money(range.value_low), value_high: this.money(range.value_high), cost_low: this.money(range.cost_low), cost_high: this.money(range.cost_high) };
    return ` · ${t("replay.range", ends)}`;
  }

  money(units) {
    const room = this.session.room;
    return formatMoney(units, room?.currency ?? "EUR", this.session.decimals);
  }

  describe(event, state) {
    const d = event.data ?? {};
    const item = state.items.get(d.item_id) ?? state.removed.get(d.item_id);
    const vars = {
      who: event.actor ? `${event.actor.name} (${t(`role.${event.actor.role}`)})` : t("replay.system"),
      title: d.title ?? item?.title ?? d.item_id ?? "",
      phase: d.phase ? t(`phase.${d.phase}.name`) : "",
      party: d.party ? t(`role.${d.party}`) : "",
      by: d.by ? t(`role.${d.by}`) : "",
      name: event.name,
    };
    const key = `replay.ev.${event.name}`;
    const text = t(key, vars);
    return text === key ? t("replay.ev.other", vars) : text;
  }

  render() {
    const timeline = this.timeline;
    if (!timeline) return;
    const n = this.position;
    const state = timeline.stateAt(n);
    this.scrubber.value = String(n);
    this.el.dataset.position = String(n);
    const event = n > 0 ? timeline.events[n - 1] : null;
    if (event) this.clock.value = String(event.at);
    setText(this.positionText, t("replay.position", { n, total: timeline.length }));
    setText(this.timeText, event ? new Date(event.at).toLocaleString(locale()) : "");
    setText(this.current, event ? this.describe(event, state) : t("replay.start"));
    this.phase.dataset.phase = state.phase;
    setText(this.phase, t("replay.phase", { phase: t(`phase.${state.phase}.name`) }));
    this.renderActors(n, event);
    this.renderAgenda(state);
    this.renderSplit(state);
    this.renderTalk(state);
    if (this.windowed) this.renderEntries();
    this.markCurrent();
    this.renderPlay();
  }

  renderPlay() {
    setText(this.playButton, this.timer !== null ? t("replay.pause") : t("replay.play"));
  }

  renderActors(n, event) {
    const timeline = /** @type {Timeline} */ (this.timeline);
    this.actors.replaceChildren(
      ...timeline.actorsAt(n).map((actor) => {
        const current = Boolean(event?.actor && event.actor.role === actor.role && event.actor.name === actor.name);
        return h(
          "li",
          { class: `member role-${actor.role}${current ? " replay-acting" : ""}`, testid: "replay-actor", data: { role: actor.role, current: String(current) } },
          h("span", { class: "member-dot", attrs: { "aria-hidden": "true" } }),
          h("span", { class: "member-name", text: actor.name }),
          h("span", { class: "member-role", text: t(`role.${actor.role}`) }),
          h("span", { class: "replay-last", text: this.describe(actor.last, timeline.stateAt(actor.position)) }),
        );
      }),
    );
  }

  /** @param {import("../model.js").State} state */
  renderAgenda(state) {
    const own = this.session.isParty ? this.session.role : null;
    this.agenda.replaceChildren(
      ...agendaOrder(state.items.values()).map((item) => {
        const flags = [];
        if (item.parked) flags.push(t("replay.flag.parked"));
        if (item.agreed.buyer && item.agreed.seller) flags.push(t("replay.flag.agreed"));
        if (item.revealed) flags.push(t("replay.flag.revealed"));
        if (item.sealed) flags.push(t("replay.flag.sealed"));
        const mine = own ? state.private.get(item.id) : null;
        return h(
          "li",
          { class: "replay-item", testid: "replay-item", data: { itemId: item.id, revealed: String(item.revealed) } },
          h("strong", { testid: "replay-item-title", text: item.title }),
          flags.length ? h("span", { class: "replay-flags", testid: "replay-item-flags", text: ` · ${flags.join(" · ")}` }) : null,
          mine
            ? h("div", {
                class: "replay-own",
                testid: "replay-own-figures",
                text: t("replay.own", { value: this.money(mine.value), cost: this.money(mine.cost) }) + this.rangeText(mine.range),
              })
            : null,
          ...Object.entries(state.seals.get(item.id) ?? {}).map(([party, seal]) =>
            h("div", {
              class: "replay-sealed",
              testid: "replay-sealed",
              data: { party, status: seal.status },
              text: t("replay.sealedFigures", {
                party: t(`role.${party}`),
                version: seal.version,
                value: this.money(seal.value),
                cost: this.money(seal.cost),
                status: t(`replay.seal.${seal.outdated ? "outdated" : seal.status}`),
              }),
            }),
          ),
          ...(item.revealed
            ? ["buyer", "seller"].map((party) =>
                item.figures[party]
                  ? h("div", {
                      class: "replay-revealed",
                      testid: "replay-revealed",
                      data: { party },
                      text:
                        t("replay.revealed", {
                          party: t(`role.${party}`),
                          value: this.money(item.figures[party].value),
                          cost: this.money(item.figures[party].cost),
                        }) + this.rangeText(item.figures[party].range),
                    })
                  : null,
              )
            : []),
        );
      }),
    );
  }

  renderSplit(state) {
    const { lines, total } = splitOf(state);
    const money = (units) => this.money(units);
    this.split.replaceChildren(
      ...lines.map((line) =>
        h("p", {
          class: "replay-split-line",
          testid: "replay-split-line",
          data: { itemId: line.id },
          text: `${line.title}: ${t("replay.created", { amount: money(line.net) })} · ${transferText({ transfer: { buyer: line.transfer } }, money)}`,
        }),
      ),
      lines.length
        ? h("p", {
            class: "replay-split-total",
            testid: "replay-split-total",
            text: `${t("replay.total", { amount: money(total.net) })} · ${transferText({ transfer: { buyer: total.transfer } }, money)}`,
          })
        : h("p", { class: "small", testid: "replay-split-empty", text: t("replay.noSplit") }),
    );
  }

  /**
   * The process notes, and the caucus threads this role could read then.
   * @param {import("../model.js").State} state
   */
  renderTalk(state) {
    const notes = [...state.notes.values()];
    const threads = ["buyer", "seller"].filter((party) => state.caucus[party].messages.length > 0);
    const heading = notes.length ? [tr(h("h3"), "notes.heading")] : [];
    this.talk.replaceChildren(
      ...heading,
      ...notes.map((note) => h("p", { class: "replay-note", testid: "replay-note", text: note.text })),
      ...threads.flatMap((party) => [
        h("h3", { text: t("caucus.thread", { party: t(`role.${party}`) }) }),
        ...state.caucus[party].messages.map((message) =>
          h("p", { class: "replay-message", testid: "replay-message", data: { party }, text: `${message.name}: ${message.text}` }),
        ),
      ]),
    );
  }

  renderLandmarks() {
    const timeline = /** @type {Timeline} */ (this.timeline);
    const found = timeline.landmarks();
    if (found.length === 0) {
      this.landmarks.replaceChildren(h("li", { class: "small", testid: "replay-no-landmarks", text: t("replay.noLandmarks") }));
      return;
    }
    this.landmarks.replaceChildren(
      ...found.map(({ position, kind, event }) =>
        h(
          "li",
          {},
          h("button", {
            type: "button",
            class: "btn btn-link",
            testid: "replay-landmark",
            data: { kind, position: String(position) },
            text: `${t(`replay.landmark.${kind}`)} · ${this.describe(event, timeline.stateAt(position))}`,
            on: { click: () => this.seek(position) },
          }),
        ),
      ),
    );
  }

  /** The timeline entries (of the kinds shown) around the current moment: at most WINDOW of them. */
  renderEntries() {
    const timeline = /** @type {Timeline} */ (this.timeline);
    const final = (this.final ??= timeline.stateAt(timeline.length));
    const positions = [];
    timeline.events.forEach((event, index) => {
      if (this.filters.has(kindOf(event.name))) positions.push(index);
    });
    let at = positions.findIndex((index) => index + 1 >= this.position);
    if (at < 0) at = positions.length;
    const start = Math.max(0, Math.min(at - WINDOW / 2, positions.length - WINDOW));
    this.windowed = positions.length > WINDOW;
    const shown = [];
    positions.slice(start, start + WINDOW).forEach((index) => {
      const event = timeline.events[index];
      const kind = kindOf(event.name);
      shown.push(
        h(
          "li",
          {
            class: `replay-entry${landmarkOf(event) ? " replay-entry-landmark" : ""}`,
            testid: "replay-entry",
            data: { position: String(index + 1), kind, name: event.name },
          },
          h("button", {
            type: "button",
            class: "btn btn-link",
            text: `${new Date(event.at).toLocaleTimeString(locale())} · ${this.describe(event, final)}`,
            on: { click: () => this.seek(index + 1) },
          }),
        ),
      );
    });
    this.entries.replaceChildren(...shown);
  }

  markCurrent() {
    for (const entry of this.entries.children) {
      const el = /** @type {HTMLElement} */ (entry);
      el.classList.toggle("replay-entry-current", el.dataset.position === String(this.position));
    }
  }
}
