// A polite live region that tells screen-reader users what others change in
// the room (an item added, a key turned, figures revealed, the phase moved, a
// trust pulse), never what this page itself just did, and never private work
// (the page only receives what its role may see anyway).

import { h } from "../dom.js";
import { t } from "../i18n.js";

/** Event name → text key and the variables it needs from the event. */
const MESSAGES = {
  "item.added": (d, who) => ["announce.added", { who, title: d.title }],
  "consent.changed": (d, who, title) => (d.consent ? ["announce.key", { who, title: title(d.item_id) }] : null),
  "item.revealed": (d, who, title) => ["announce.revealed", { title: title(d.item_id) }],
  "phase.changed": (d) => ["announce.phase", { phase: t(`phase.${d.phase}.name`) }],
  "opening.shared": () => ["announce.opening", {}],
  "trust.pulsed": (d) => ["pulse.entry", { party: t(`role.${d.party}`), behaviour: t(`trust.${d.behaviour}`) }],
};

export class Announcer {
  /** @param {import("../session.js").Session} session */
  constructor(session) {
    this.el = h("div", { class: "visually-hidden", testid: "announcer", attrs: { role: "status", "aria-live": "polite" } });
    session.onEvent((frame, mine) => {
      const message = MESSAGES[frame.name];
      if (mine || !message) return;
      const title = (id) => session.view().items.get(id)?.title ?? "";
      const who = frame.actor?.name ?? t("announce.someone");
      const found = message(frame.data, who, title);
      if (found) this.el.textContent = t(found[0], found[1]);
    });
  }
}
