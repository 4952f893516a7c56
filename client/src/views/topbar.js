// The bar on every page: the product name, a slot for the room header, the language switch.

import { h } from "../dom.js";
import { lang, onLangChange, setLang, t, tr, trAttr } from "../i18n.js";

export function mountTopbar(root) {
  const slot = h("div", { class: "topbar-slot" });
  const tagline = tr(h("span", { class: "brand-tagline" }), "brand.tagline");
  const switcher = h("button", {
    type: "button",
    class: "lang-switch",
    testid: "lang-switch",
    on: { click: () => setLang(lang() === "nl" ? "en" : "nl") },
  });
  trAttr(switcher, "title", "lang.switch");
  const showLang = () => {
    switcher.dataset.lang = lang();
    switcher.textContent = t("lang.other");
    switcher.setAttribute("aria-label", t("lang.switch"));
  };
  showLang();
  onLangChange(showLang);
  const bar = h(
    "header",
    { class: "topbar" },
    h("a", { class: "brand", href: "/" }, h("span", { class: "brand-mark", attrs: { "aria-hidden": "true" } }), "valueroom"),
    tagline,
    slot,
    switcher,
  );
  root.append(bar);
  return { bar, slot, tagline };
}
