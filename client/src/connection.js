// The websocket: connect, join (resuming from the last sequence number seen),
// validate every frame both ways, and reconnect by itself with exponential
// back-off and jitter.
//
// States (ConnState): connecting → connected; on a lost socket reconnecting
// (with an attempt count) or offline (the browser says so, many attempts
// failed, or a test held the connection down); invalid after a refused invite
// (close 4401), which is final.

import { decode, encode } from "./codec.js";

export const ConnState = Object.freeze({
  CONNECTING: "connecting",
  CONNECTED: "connected",
  RECONNECTING: "reconnecting",
  OFFLINE: "offline",
  INVALID: "invalid",
});

const CLOSE_BAD_TOKEN = 4401;
const BASE_DELAY_MS = 250;
const MAX_DELAY_MS = 10_000;
// After this many failed attempts in a row we call it "offline" (and keep trying).
const OFFLINE_AFTER = 5;

export function backoffDelay(attempt, random = Math.random) {
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2); // "equal jitter"
}

export class Connection {
  /**
   * @param validator from loadSchema()
   * @param joinFrame () => the join frame to send on every (re)connect
   * @param onFrame (frame) => void, for every valid server frame
   * @param onState ({state, attempt}) => void
   */
  constructor({ url, validator, joinFrame, onFrame, onState }) {
    this.url = url;
    this.validator = validator;
    this.joinFrame = joinFrame;
    this.onFrame = onFrame;
    this.onState = onState;
    this.socket = null;
    this.joined = false;
    this.attempt = 0;
    this.state = ConnState.CONNECTING;
    this.held = false;
    this.timer = null;
    window.addEventListener("online", () => this.reconnectNow());
    window.addEventListener("offline", () => this.setState(this.lostState()));
  }

  start() {
    this.open();
  }

  get ready() {
    return this.joined && this.socket?.readyState === WebSocket.OPEN;
  }

  /** Validate and send a frame; false if it could not be sent now. */
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
      this.timer = null;
      this.setState(ConnState.OFFLINE);
    }
    if (this.socket) this.socket.close();
    else if (!hold && this.timer === null) this.open();
  }

  reconnectNow() {
    if (this.state === ConnState.INVALID) return;
    this.held = false;
    if (this.socket) return; // already trying
    clearTimeout(this.timer);
    this.open();
  }

  open() {
    this.timer = null;
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

  lost(code) {
    this.socket = null;
    this.joined = false;
    if (code === CLOSE_BAD_TOKEN) {
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

  lostState() {
    if (this.state === ConnState.INVALID) return ConnState.INVALID;
    if (this.ready) return ConnState.CONNECTED;
    const offline = this.held || navigator.onLine === false || this.attempt >= OFFLINE_AFTER;
    return offline ? ConnState.OFFLINE : ConnState.RECONNECTING;
  }

  setState(state) {
    this.state = state;
    this.onState({ state, attempt: this.attempt });
  }
}
