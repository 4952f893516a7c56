// Transient messages in a corner: server refusals, copy confirmations.

import { h } from "../dom.js";
import { errorText } from "../errors.js";
import { t, trAttr } from "../i18n.js";

const LIFETIME_MS = 7000;
let container = null;

function region() {
  if (!container || !container.isConnected) {
    container = h("div", { class: "toasts", testid: "toasts", attrs: { "aria-live": "polite" } });
    document.body.append(container);
  }
  return container;
}

/** Show `message`; kind is "error" or "info"; code lands in data-code for tests. */
export function toast(message, { kind = "info", code = "" } = {}) {
  const close = h("button", { type: "button", class: "toast-close", text: t("toast.close.icon") });
  trAttr(close, "aria-label", "toast.close");
  const el = h(
    "div",
    { class: `toast toast-${kind}`, testid: "toast", data: { code }, attrs: { role: kind === "error" ? "alert" : "status" } },
    h("span", { class: "toast-text", text: message }),
    close,
  );
  const remove = () => el.remove();
  close.addEventListener("click", remove);
  setTimeout(remove, LIFETIME_MS);
  region().append(el);
  return el;
}

/** A server error frame as a toast, in the page's language. */
export function errorToast(error) {
  return toast(errorText(error), { kind: "error", code: error.code });
}
