// The websocket: connect, join (resuming from the last sequence number seen),
// validate every frame both ways, and reconnect by itself with exponential
// back-off and jitter.
//
// States (ConnState): connecting → connected; on a lost socket reconnecting
// (with an attempt count) or offline (the browser says so, many attempts
// failed, or a test held the connection down); invalid after a refused invite
// (close 4401), a revoked link (4403), an erased room (4410) or a removed
// member (4411), which is final; `closeCode` then says which.

import { decode, encode } from "./codec.js";

/** @typedef {"connecting" | "connected" | "reconnecting" | "offline" | "invalid"} ConnStateName */

/** @type {Readonly<{CONNECTING: "connecting", CONNECTED: "connected", RECONNECTING: "reconnecting", OFFLINE: "offline", INVALID: "invalid"}>} */
export const ConnState = Object.freeze({
  CONNECTING: "connecting",
  CONNECTED: "connected",
  RECONNECTING: "reconnecting",
  OFFLINE: "offline",
  INVALID: "invalid",
});

const CLOSE_BAD_TOKEN = 4401;
// The link was revoked, or the room erased: as final as a bad token.
const CLOSE_REVOKED = 4403;
const CLOSE_ERASED = 4410;
// The creator or the neutral removed this member: final too (the page says why).
const CLOSE_REMOVED = 4411;
const FINAL = new Set([CLOSE_BAD_TOKEN, CLOSE_REVOKED, CLOSE_ERASED, CLOSE_REMOVED]);

/** What the page says when a connection ends for good, by its close code. @param {number} code */
export function endedReason(code) {
  if (code === CLOSE_REVOKED) return "revoked";
  if (code === CLOSE_ERASED) return "erased";
  if (code === CLOSE_REMOVED) return "removed";
  return "invalid";
}
const BASE_DELAY_MS = 250;
const MAX_DELAY_MS = 10_000;
// After this many failed attempts in a row we call it "offline" (and keep trying).
const OFFLINE_AFTER = 5;

/**
 * The wait before reconnect attempt `attempt` (1, 2, ...), in ms: exponential, capped, jittered.
 * @param {number} attempt
 * @param {() => number} [random]
 */
export function backoffDelay(attempt, random = Math.random) {
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2); // "equal jitter"
}

export class Connection {
  /**
   * @param {object} options
   * @param {string} options.url
   * @param {import("./schema.js").Validator} options.validator from loadSchema()
   * @param {() => Record<string, any>} options.joinFrame the join frame to send on every (re)connect
   * @param {(frame: Record<string, any>) => void} options.onFrame for every valid server frame
   * @param {(conn: {state: ConnStateName, attempt: number, closeCode: number}) => void} options.onState
   */
  constructor({ url, validator, joinFrame, onFrame, onState }) {
    this.url = url;
    this.validator = validator;
    this.joinFrame = joinFrame;
    this.onFrame = onFrame;
    this.onState = onState;
    /** @type {WebSocket | null} */
    this.socket = null;
    this.joined = false;
    this.attempt = 0;
    /** @type {ConnStateName} */
    this.state = ConnState.CONNECTING;
    this.held = false;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.timer = undefined;
    /** The close code that made the connection invalid (4401, 4403, 4410, 4411), else 0. */
    this.closeCode = 0;
    window.addEventListener("online", () => this.reconnectNow());
    window.addEventListener("offline", () => this.setState(this.lostState()));
  }

  start() {
    this.open();
  }

  get ready() {
    return this.joined && this.socket?.readyState === WebSocket.OPEN;
  }

  /**
   * Validate and send a frame; false if it could not be sent now.
   * @param {Record<string, any>} frame
   */
  send(frame) {
    try {
      this.validator.checkClientFrame(frame);
    } catch (error) {
      console.error("valueroom: refusing to send an invalid frame", error, frame);
      throw error;
    }
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return false;
    this.socket.send(encode(frame));
    return true;
  }

  /** Mark the join as done (the welcome arrived). */
  markJoined() {
    this.joined = true;
    this.attempt = 0;
    this.setState(ConnState.CONNECTED);
  }

  /** Drop the socket as if the network failed. With hold, stay down until reconnectNow(). */
  drop({ hold = false } = {}) {
    if (this.state === ConnState.INVALID) return;
    this.held = hold;
    if (hold) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.setState(ConnState.OFFLINE);
    }
    if (this.socket) this.socket.close();
    else if (!hold && this.timer === undefined) this.open();
  }

  reconnectNow() {
    if (this.state === ConnState.INVALID) return;
    this.held = false;
    if (this.socket) return; // already trying
    clearTimeout(this.timer);
    this.open();
  }

  open() {
    this.timer = undefined;
    if (this.held || this.state === ConnState.INVALID) return;
    const socket = new WebSocket(this.url);
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    this.joined = false;
    socket.addEventListener("open", () => {
      if (this.socket === socket) this.send(this.joinFrame());
    });
    socket.addEventListener("message", (message) => {
      if (this.socket === socket) this.receive(message.data);
    });
    socket.addEventListener("close", (event) => {
      if (this.socket === socket) this.lost(event.code);
    });
  }

  /** @param {unknown} data */
  receive(data) {
    let frames;
    try {
      if (!(data instanceof ArrayBuffer)) throw new Error("expected a binary frame");
      frames = this.validator.checkServerMessage(decode(data));
    } catch (error) {
      console.warn("valueroom: ignoring an invalid server message", error);
      return;
    }
    for (const frame of frames) this.onFrame(frame);
  }

  /** @param {number} code */
  lost(code) {
    this.socket = null;
    this.joined = false;
    if (FINAL.has(code)) {
      this.closeCode = code;
      this.setState(ConnState.INVALID);
      return;
    }
    if (this.held) {
      this.setState(ConnState.OFFLINE);
      return;
    }
    this.attempt += 1;
    this.setState(this.lostState());
    this.timer = setTimeout(() => this.open(), backoffDelay(this.attempt));
  }

  /** @returns {ConnStateName} */
  lostState() {
    if (this.state === ConnState.INVALID) return ConnState.INVALID;
    if (this.ready) return ConnState.CONNECTED;
    const offline = this.held || navigator.onLine === false || this.attempt >= OFFLINE_AFTER;
    return offline ? ConnState.OFFLINE : ConnState.RECONNECTING;
  }

  /** @param {ConnStateName} state */
  setState(state) {
    this.state = state;
    this.onState({ state, attempt: this.attempt, closeCode: this.closeCode });
  }
}
