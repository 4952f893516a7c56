// The small "are you sure?" box that appears in place, under what it asks
// about: a question, what follows from it, a danger button and Cancel. The
// safe choice gets the focus; Cancel removes the box and gives focus back.

import { h } from "../dom.js";
import { t } from "../i18n.js";

/**
 * @typedef {object} ConfirmOptions
 * @property {string} id the question's element id (names the group for screen readers)
 * @property {string} question
 * @property {string[]} [details] further lines: what happens, what does not
 * @property {string} yes the danger button's text
 * @property {{box: string, yes: string, cancel: string}} testids
 * @property {() => void} onYes
 * @property {HTMLElement | null} [returnTo] focused again when cancelled
 */

/**
 * Append the confirmation to `parent` (replacing one already there) and focus Cancel.
 * @param {HTMLElement} parent
 * @param {ConfirmOptions} options
 * @returns {HTMLElement} the box
 */
export function askConfirm(parent, { id, question, details = [], yes, testids, onYes, returnTo = null }) {
  parent.querySelector(":scope > .manage-confirm")?.remove();
  const cancel = h("button", { type: "button", class: "btn btn-small", testid: testids.cancel, text: t("manage.cancel"), on: { click: () => { box.remove(); returnTo?.focus(); } } });
  const confirm = h("button", { type: "button", class: "btn btn-small btn-danger", testid: testids.yes, text: yes, on: { click: onYes } });
  const box = h(
    "div",
    { class: "manage-confirm", testid: testids.box, attrs: { role: "group", "aria-labelledby": id } },
    h("p", { id, text: question }),
    ...details.map((text) => h("p", { class: "small", text })),
    h("div", { class: "manage-actions" }, confirm, cancel),
  );
  parent.append(box);
  cancel.focus();
  return box;
}

/**
 * Ask before forgetting, on this device, a room it created: its creator key goes with it.
 * Used by the list of rooms on the landing page and by the room's header.
 * @param {HTMLElement} parent where the question appears
 * @param {{roomId: string, title: string, onYes: () => void, returnTo: HTMLElement | null, testid: string}} what
 *   testid: the prefix of the box's test ids (`-confirm`, `-yes`, `-cancel`)
 */
export function askForgetCreated(parent, { roomId, title, onYes, returnTo, testid }) {
  return askConfirm(parent, {
    id: `${testid}-${roomId}`,
    question: t("myRooms.forget.question", { title }),
    yes: t("myRooms.forget"),
    testids: { box: `${testid}-confirm`, yes: `${testid}-yes`, cancel: `${testid}-cancel` },
    onYes,
    returnTo,
  });
}
