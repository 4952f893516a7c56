// Asking for a display name before entering a room, and the "no valid link" page.

import { h } from "../dom.js";
import { tr, trAttr } from "../i18n.js";
import { remembered } from "../storage.js";

/** Show the name form; resolves with the chosen name (remembered for next time). */
export function askName(root) {
  return new Promise((resolve) => {
    const input = h("input", {
      name: "name",
      required: true,
      maxLength: 60,
      value: remembered.name(),
      testid: "join-name",
      autocomplete: "name",
    });
    trAttr(input, "placeholder", "join.name.placeholder");
    const error = h("p", { class: "form-error", attrs: { role: "alert" }, hidden: true });
    const form = h(
      "form",
      { class: "card join-form", testid: "join-form", noValidate: true },
      tr(h("h1"), "join.heading"),
      tr(h("p", { class: "muted" }), "join.lead"),
      h("label", { class: "field" }, tr(h("span", { class: "field-label" }), "join.name"), input),
      error,
      h(
        "div",
        { class: "form-actions" },
        tr(h("button", { type: "submit", class: "btn btn-primary", testid: "join-submit" }), "join.submit"),
      ),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const name = input.value.trim();
      if (!name) {
        tr(error, "join.error.name");
        error.hidden = false;
        input.focus();
        return;
      }
      remembered.setName(name);
      page.remove();
      resolve(name);
    });
    const page = h("main", { class: "join-page" }, form);
    root.append(page);
    input.focus();
  });
}

/**
 * The page shown when a link opens no room. `ended` says why a room page ended
 * for good: "revoked" (the link was reissued), "erased", "removed" (the
 * creator or the neutral removed this member), or "invalid".
 */
export function showInvalidLink(root, reasonKey = "invalid.lead", ended = "invalid") {
  const known = ended === "revoked" || ended === "erased" || ended === "removed";
  root.append(
    h(
      "main",
      { class: "join-page" },
      h(
        "div",
        { class: "card invalid", testid: "invalid-link", data: { ended }, attrs: { role: "alert" } },
        tr(h("h1"), known ? `ended.${ended}.heading` : "invalid.heading"),
        tr(h("p"), known ? `ended.${ended}.lead` : reasonKey),
        tr(h("a", { class: "btn", href: "/" }), "invalid.home"),
      ),
    ),
  );
}
