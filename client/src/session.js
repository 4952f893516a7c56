// One person's seat in a room: the connection, the confirmed state folded from
// server frames, the pending (optimistic) operations, presence and the split.
// Views read from it and call its commands; they never touch the socket.
//
// Ordering: the server's sequence is the truth. `lastSeq` is the highest
// sequence number applied; a reconnect resumes from it. Pending ops are
// re-sent with their original op id after every welcome; the server applies
// an op id once and acknowledges a repeat with the original sequence number.

import { ConnState, Connection } from "./connection.js";
import { opIdFactory } from "./ids.js";
import { applyEvent, emptyState, stateFromView } from "./model.js";
import { PendingOps, project } from "./pending.js";

export class Session {
  /**
   * @param {object} options
   * @param {import("./schema.js").Validator} options.validator
   * @param {string} options.token
   * @param {string} options.name
   * @param {string} [options.memberKey] this device's member key for the room (kept with its token)
   * @param {string} [options.url]
   */
  constructor({ validator, token, name, memberKey, url = defaultUrl() }) {
    this.validator = validator;
    this.token = token;
    this.name = name;
    this.memberKey = memberKey ?? null;
    this.nextOp = opIdFactory();
    /** @type {import("./model.js").State} */
    this.confirmed = emptyState();
    this.pending = new PendingOps();
    /** @type {{id: string, role: string, name: string, editing: string | null} | null} */
    this.you = null;
    /** @type {string | null} */
    this.logId = null;
    this.lastSeq = 0;
    /** @type {number | null} */
    this.resumeTo = null;
    // A welcome whose view comes in parts (`more`), until its last view_part.
    /** @type {Record<string, any> | null} */
    this.partial = null;
    this.decimals = 2;
    // The method's vocabulary the server announces in its welcome: relationship
    // models, phases, and this role's rows of the permission table.
    /** @type {{relationship_models: import("./model.js").Option[], phases: string[], permissions: any[]}} */
    this.method = { relationship_models: [], phases: [], permissions: [] };
    /** @type {Map<string, Set<string>>} */
    this.allowed = new Map();
    /** @type {{id: string, role: string, name: string, editing: string | null}[]} */
    this.members = [];
    /** @type {{shared: any, preview: any} | null} */
    this.split = null;
    /** @type {{hash: string, sheet: any, chain: string | null} | null} the live deal sheet, the same for every role */
    this.deal = null;
    /** @type {Set<(file: {format: string, filename: string, content: string}) => void>} */
    this.exportListeners = new Set();
    /** @type {string | null} */
    this.editing = null;
    /** @type {{state: import("./connection.js").ConnStateName, attempt: number, closeCode?: number}} */
    this.conn = { state: ConnState.CONNECTING, attempt: 0 };
    this.joinedOnce = false;
    // Re-sending ops refused for a passing reason (see scheduleRetry).
    /** @type {ReturnType<typeof setTimeout> | null} */
    this.retryTimer = null;
    this.retries = 0;
    // Per item: the last refusal of a figures.set / consent.set, shown next to the field.
    /** @type {Map<string, Record<string, any>>} */
    this.fieldErrors = new Map();
    // The one history request this seat may have in flight (the server allows one).
    /** @type {{resolve: (frame: any) => void, reject: (error: any) => void} | null} */
    this.historyWait = null;
    /** @type {Set<() => void>} */
    this.listeners = new Set();
    this.eventListeners = new Set();
    /** @type {Set<(error: Record<string, any>) => void>} */
    this.errorListeners = new Set();
    this.version = 0;
    /** @type {{version: number, state: import("./pending.js").Projected} | null} */
    this.projected = null;
    this.connection = new Connection({
      url,
      validator,
      joinFrame: () => this.joinFrame(),
      onFrame: (frame) => this.receive(frame),
      onState: (conn) => {
        this.conn = conn;
        this.changed();
      },
    });
  }

  start() {
    this.connection.start();
  }

  // -- reading -------------------------------------------------------------

  get role() {
    return this.you?.role ?? null;
  }

  get isParty() {
    return this.role === "buyer" || this.role === "seller";
  }

  get room() {
    return this.confirmed.room;
  }

  get isNeutral() {
    return this.role === "neutral";
  }

  /** The room's confirmed phase. */
  get phase() {
    return this.confirmed.phase;
  }

  /**
   * May this seat send `command` in the room's current phase? The server's
   * permission table, as announced in the welcome; the server decides anyway.
   */
  may(command) {
    return this.allowed.get(command)?.has(this.phase) ?? false;
  }

  /**
   * The state to render: confirmed state with the pending ops applied on top.
   * @returns {import("./pending.js").Projected}
   */
  view() {
    if (this.projected?.version !== this.version) {
      const state = project(
        this.confirmed,
        this.pending.list(),
        this.role,
        this.decimals,
        this.method.relationship_models,
        this.validator.limits.max_amount_units,
      );
      this.projected = { version: this.version, state };
    }
    return this.projected.state;
  }

  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onError(listener) {
    this.errorListeners.add(listener);
  }

  changed() {
    this.version += 1;
    for (const listener of this.listeners) listener();
  }

  // -- commands (optimistic) ----------------------------------------------

  /** Queue and send a command; returns false if it is not a valid command. */
  command(name, args) {
    const op = { op: this.nextOp(), name, args };
    const frame = { type: "cmd", op: op.op, name, args };
    try {
      this.validator.checkClientFrame(frame);
    } catch (error) {
      this.emitError({ op: null, code: "invalid_frame", message: error instanceof Error ? error.message : String(error) });
      return false;
    }
    this.pending.add(op);
    if (this.connection.ready) this.connection.send(frame);
    this.changed();
    return true;
  }

  addItem(args) {
    return this.command("item.add", args);
  }

  editItem(itemId, changes) {
    return this.command("item.edit", { item_id: itemId, ...changes });
  }

  moveItem(itemId, position) {
    return this.command("item.move", { item_id: itemId, position });
  }

  parkItem(itemId, parked) {
    return this.command("item.park", { item_id: itemId, parked });
  }

  agreeItem(itemId, agreed, option = null) {
    if (option !== null) return this.command("item.agree", { item_id: itemId, agreed, option });
    return this.command("item.agree", { item_id: itemId, agreed });
  }

  signDeal(hash) {
    return this.command(this.isNeutral ? "deal.witness" : "deal.sign", { hash });
  }

  addCommitment({ id, who, what, due, itemId }) {
    const args = { commitment_id: id, who, what };
    if (due) args.due = due;
    if (itemId) args.item_id = itemId;
    return this.command("commitment.add", args);
  }

  setCommitment(id, status, comment = "") {
    return this.command("commitment.set", { commitment_id: id, status, comment });
  }

  /** Ask the server for this role's export; the file arrives as an `export` frame. */
  requestExport(format) {
    const frame = { type: "export", room: this.room?.id ?? "", format };
    try {
      this.validator.checkClientFrame(frame);
    } catch (error) {
      this.emitError({ op: null, code: "invalid_frame", message: error instanceof Error ? error.message : String(error) });
      return false;
    }
    return this.connection.send(frame);
  }

  onExport(listener) {
    this.exportListeners.add(listener);
  }

  deleteItem(itemId) {
    return this.command("item.delete", { item_id: itemId });
  }

  restoreItem(itemId) {
    return this.command("item.restore", { item_id: itemId });
  }

  withdrawItem(itemId, withdraw) {
    return this.command("item.withdraw", { item_id: itemId, withdraw });
  }

  // -- the process: phase, moderation, caucus -------------------------------

  setPhase(phase) {
    return this.command("phase.set", { phase });
  }

  /** Propose a phase (both parties must; null withdraws the proposal). */
  proposePhase(phase) {
    return this.command("phase.propose", { phase });
  }

  lockAgenda(locked) {
    return this.command("agenda.lock", { locked });
  }

  startTimer(seconds, label) {
    return this.command("timer.set", label ? { seconds, label } : { seconds });
  }

  clearTimer() {
    return this.command("timer.clear", {});
  }

  addNote(noteId, text) {
    return this.command("note.add", { note_id: noteId, text });
  }

  editNote(noteId, text) {
    return this.command("note.edit", { note_id: noteId, text });
  }

  removeNote(noteId) {
    return this.command("note.remove", { note_id: noteId });
  }

  openCaucus(party, open) {
    return this.command(open ? "caucus.open" : "caucus.close", { party });
  }

  noteCaucus(party, text) {
    return this.command("caucus.note", { party, text });
  }

  postCaucus(party, text) {
    return this.command("caucus.post", { party, text });
  }

  // -- figures under seal ----------------------------------------------------

  shareSeal(itemId) {
    return this.command("seal.share", { item_id: itemId, party: this.role });
  }

  withdrawSeal(itemId) {
    return this.command("seal.withdraw", { item_id: itemId, party: this.role });
  }

  /** The neutral's verdict on the version of a party's sealed figures it saw. */
  judgeSeal(itemId, party, version, verified, comment) {
    const name = verified ? "seal.verify" : "seal.dispute";
    return this.command(name, { item_id: itemId, party, version, comment });
  }

  attest(itemId) {
    return this.command("seal.attest", { item_id: itemId });
  }

  /** Register figures; `range` holds the range ends given ({value_low: "…", …}); an end left out is the figure itself. */
  setFigures(itemId, { value, cost, note, range = {} }) {
    this.fieldErrors.delete(itemId);
    return this.command("figures.set", { item_id: itemId, value, cost, note, ...range });
  }

  setConsent(itemId, consent) {
    this.fieldErrors.delete(itemId);
    return this.command("consent.set", { item_id: itemId, consent });
  }

  /** Tell the others which item this person is editing (null: none). Not queued. */
  setEditing(itemId) {
    if (this.editing === itemId) return;
    this.editing = itemId;
    if (this.connection.ready) this.connection.send({ type: "presence", editing: itemId });
  }

  /**
   * Ask for one page of this role's history (events from..to in its own
   * numbering); resolves with the `history` frame, rejects with the error frame.
   * @returns {Promise<any>}
   */
  requestHistory(from, to) {
    if (this.historyWait !== null) return Promise.reject(new Error("history.in_flight"));
    if (this.logId === null || !this.connection.ready) return Promise.reject(new Error("offline"));
    const frame = { type: "history", log_id: this.logId, from, to };
    return new Promise((resolve, reject) => {
      this.historyWait = { resolve, reject };
      let sent = false;
      try {
        sent = this.connection.send(frame);
      } finally {
        if (!sent) this.historyWait = null;
      }
      if (!sent) reject(new Error("offline"));
    });
  }

  // -- connection control (also the debug hooks) ---------------------------

  disconnect({ hold = false } = {}) {
    this.connection.drop({ hold });
  }

  reconnect() {
    this.connection.reconnectNow();
  }

  // -- inbound frames -------------------------------------------------------

  joinFrame() {
    const frame = { type: "join", token: this.token, name: this.name };
    if (this.memberKey !== null) frame.key = this.memberKey;
    if (this.logId !== null) frame.resume = { log_id: this.logId, seq: this.lastSeq };
    return frame;
  }

  receive(frame) {
    const handler = this[`on_${frame.type}`];
    if (handler) handler.call(this, frame);
    this.changed();
  }

  on_welcome(frame) {
    // A reconnect loses an unanswered history request: its caller may ask again.
    this.historyWait?.reject(new Error("offline"));
    this.historyWait = null;
    if (frame.more) {
      // A large view: its collections follow in view_part frames.
      this.partial = frame;
      return;
    }
    this.partial = null;
    this.welcomed(frame);
  }

  on_view_part(frame) {
    const welcome = this.partial;
    if (welcome === null) return;
    const view = welcome.view;
    for (const key of ["items", "removed", "notes"]) view[key].push(...(frame[key] ?? []));
    for (const key of ["private", "seals", "access"]) Object.assign(view[key], frame[key] ?? {});
    for (const [party, messages] of Object.entries(frame.messages ?? {})) {
      view.caucus[party].messages.push(...messages);
    }
    if (frame.last) {
      this.partial = null;
      this.welcomed(welcome);
    }
  }

  /** Take a whole welcome: the role's view (or a resume), then re-send what is pending. */
  welcomed(frame) {
    if (frame.resumed) {
      // The missed events follow; the split frame marks the end of the replay.
      this.resumeTo = frame.seq;
    } else {
      this.confirmed = stateFromView(frame.view);
      this.lastSeq = frame.seq;
      this.resumeTo = null;
    }
    this.logId = frame.log_id;
    this.you = frame.you;
    // The name the server gave (a second "Bea" of a team is "Bea (2)"): kept for reconnects,
    // so this member's edits stay under one name.
    this.name = frame.you.name;
    this.decimals = frame.currency_decimals;
    this.method = frame.method;
    this.allowed = new Map(frame.method.permissions.map((row) => [row.command, new Set(row.phases)]));
    this.joinedOnce = true;
    this.connection.markJoined();
    for (const op of this.pending.list()) {
      if (!this.connection.send({ type: "cmd", op: op.op, name: op.name, args: op.args })) break;
    }
    if (this.editing !== null) this.connection.send({ type: "presence", editing: this.editing });
  }

  /** May this seat remove other members? The neutral may (the creator too, from outside the room). */
  get mayRemoveMembers() {
    return this.isNeutral;
  }

  /**
   * Remove member `memberId` from its role's link (the neutral's invite token
   * authorizes it). Resolves true when done; a refusal is reported like a
   * server error (a toast) and resolves false.
   * @param {string} memberId
   */
  async removeMember(memberId) {
    const roomId = this.token.split(".")[0];
    let code = "unavailable";
    let message = "the member could not be removed";
    try {
      const response = await fetch(`/api/rooms/${encodeURIComponent(roomId)}/members/${encodeURIComponent(memberId)}`, {
        method: "DELETE",
        headers: { Authorization: `Bearer ${this.token}` },
      });
      if (response.ok) return true;
      const body = await response.json().catch(() => ({}));
      code = body?.error?.code ?? code;
      message = body?.error?.message ?? message;
    } catch {
      /* offline: reported below */
    }
    // HTTP errors carry one code, a reason key ("member.unknown") or a code ("not_permitted").
    this.emitError({ code, reason: code, message, command: null });
    return false;
  }

  /** Call `listener(frame, mine)` for every new event; `mine`: it answers an op of this page. */
  onEvent(listener) {
    this.eventListeners.add(listener);
  }

  on_event(frame) {
    if (frame.seq <= this.lastSeq) return; // already applied (a replay overlap)
    const mine = frame.op !== null && this.pending.list().some((op) => op.op === frame.op);
    applyEvent(this.confirmed, frame);
    for (const listener of this.eventListeners) listener(frame, mine);
    this.lastSeq = frame.seq;
    // An op id is this page's only when the event is this member's own: a
    // teammate on the same link may (by chance or by mischief) use the same id.
    if (frame.op !== null && frame.actor?.name === this.you?.name) this.pending.take(frame.op);
  }

  on_ack(frame) {
    this.pending.take(frame.op);
    this.retries = 0;
  }

  on_history(frame) {
    const wait = this.historyWait;
    this.historyWait = null;
    wait?.resolve(frame);
  }

  on_error(frame) {
    if (frame.reason?.startsWith("history.") && this.historyWait !== null) {
      const wait = this.historyWait;
      this.historyWait = null;
      wait.reject(frame);
      return;
    }
    if (frame.op !== null && RETRYABLE.has(frame.code) && this.pending.hold(frame.op)) {
      // Not lost: the edit stays on screen and is sent again until it lands.
      this.scheduleRetry();
      this.emitError({ ...frame, command: null, kept: true });
      return;
    }
    const op = frame.op === null ? undefined : this.pending.take(frame.op);
    if (op && (op.name === "figures.set" || op.name === "consent.set")) {
      this.fieldErrors.set(op.args.item_id, { ...frame, name: op.name });
    }
    this.emitError({ ...frame, command: op?.name ?? null });
  }

  on_presence(frame) {
    this.members = frame.members;
  }

  on_deal(frame) {
    this.deal = { hash: frame.hash, sheet: frame.sheet, chain: frame.chain };
  }

  on_export(frame) {
    for (const listener of this.exportListeners) listener(frame);
  }

  on_split(frame) {
    this.split = { shared: frame.shared, preview: frame.preview };
    if (this.resumeTo !== null) {
      this.lastSeq = Math.max(this.lastSeq, this.resumeTo);
      this.resumeTo = null;
    }
  }

  /** Re-send the held ops after a growing pause (1 s, 2 s, 4 s, ... at most 30 s). */
  scheduleRetry() {
    if (this.retryTimer !== null) return;
    const delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** this.retries);
    this.retries += 1;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      for (const op of this.pending.release()) {
        // Not connected: the welcome re-sends every pending op anyway.
        if (!this.connection.ready || !this.connection.send({ type: "cmd", op: op.op, name: op.name, args: op.args })) break;
      }
    }, delay);
  }

  /** How many edits wait for a retry. */
  get unsaved() {
    return this.pending.held.size;
  }

  /** Give up the edits that wait for a retry; the page shows the server's state again. */
  discardUnsaved() {
    const gone = this.pending.discardHeld().length;
    this.changed();
    return gone;
  }

  emitError(error) {
    for (const listener of this.errorListeners) listener(error);
  }
}

// Refusals that pass: the op is kept and re-sent, never dropped.
const RETRYABLE = new Set(["unavailable", "busy", "rate_limited"]);
const RETRY_BASE_MS = 1000;
const RETRY_MAX_MS = 30_000;

function defaultUrl() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws`;
}
