// The landing page: create a room, then hand out one invite link per role.

import { h } from "../dom.js";
import { tr, trAttr, t } from "../i18n.js";
import { rememberCreated } from "../rooms-list.js";
import { copyLink, MyRooms } from "./myrooms.js";

const ROLES = ["buyer", "seller", "neutral"];

export function mountLanding(root, { validator }) {
  const page = h("main", { class: "landing" });
  const intro = h(
    "section",
    { class: "landing-intro" },
    tr(h("h1"), "landing.heading"),
    tr(h("p", { class: "lead" }), "landing.lead"),
    h(
      "ol",
      { class: "steps" },
      tr(h("li"), "landing.step1"),
      tr(h("li"), "landing.step2"),
      tr(h("li"), "landing.step3"),
    ),
  );
  const myRooms = new MyRooms();
  const form = createForm(validator, (result, neutral, title) => {
    // Without a configured public URL the server sends links relative to this page's origin.
    for (const [role, link] of Object.entries(result.links)) {
      if (link) result.links[role] = new URL(link, location.href).href;
    }
    // Remembered on this device, so the links survive a reload.
    rememberCreated(result, title);
    myRooms.render();
    showInvites(invites, result, neutral);
  });
  const invites = h("section", { class: "invites", testid: "invites", hidden: true });
  page.append(intro, h("div", { class: "landing-work" }, form, invites, myRooms.el));
  root.append(page);
}

function field(labelKey, control, hintKey) {
  return h(
    "label",
    { class: "field" },
    tr(h("span", { class: "field-label" }), labelKey),
    control,
    hintKey ? tr(h("span", { class: "field-hint" }), hintKey) : null,
  );
}

function createForm(validator, onCreated) {
  const title = h("input", { name: "title", required: true, maxLength: 200, testid: "create-title", autocomplete: "off" });
  trAttr(title, "placeholder", "create.title.placeholder");
  const buyerOrg = h("input", { name: "buyer_org", maxLength: 120, testid: "create-buyer-org", autocomplete: "organization" });
  const sellerOrg = h("input", { name: "seller_org", maxLength: 120, testid: "create-seller-org", autocomplete: "off" });
  const currency = h(
    "select",
    { name: "currency", testid: "create-currency" },
    Object.keys(validator.currencies).map((code) => h("option", { value: code, text: code })),
  );
  currency.value = "EUR";
  const neutral = h("input", { type: "checkbox", name: "neutral", testid: "create-neutral" });
  const error = h("p", { class: "form-error", testid: "create-error", attrs: { role: "alert" }, hidden: true });
  const submit = tr(h("button", { type: "submit", class: "btn btn-primary", testid: "create-submit" }), "create.submit");
  // After one room was created on this page, the next "Create room" asks first.
  let lastCreated = null;
  let confirmed = false;
  const again = h("div", { class: "create-again", testid: "create-again", attrs: { role: "alertdialog", "aria-labelledby": "create-again-text" }, hidden: true });
  const askAgain = () => {
    const yes = tr(h("button", { type: "button", class: "btn btn-primary btn-small", testid: "create-again-yes", on: { click: () => { confirmed = true; again.hidden = true; form.requestSubmit(); } } }), "create.again.yes");
    const no = tr(h("button", { type: "button", class: "btn btn-small", testid: "create-again-no", on: { click: () => { again.hidden = true; submit.focus(); } } }), "create.again.no");
    again.replaceChildren(h("p", { id: "create-again-text", text: t("create.again.question", { title: lastCreated }) }), h("div", { class: "form-actions" }, yes, no));
    again.hidden = false;
    yes.focus();
  };

  const form = h(
    "form",
    { class: "card create-form", testid: "create-form", noValidate: true },
    tr(h("h2"), "create.heading"),
    field("create.title", title),
    h("div", { class: "field-row" }, field("create.buyerOrg", buyerOrg), field("create.sellerOrg", sellerOrg)),
    field("create.currency", currency),
    h(
      "label",
      { class: "check" },
      neutral,
      h("span", {}, tr(h("span"), "create.neutral"), tr(h("span", { class: "field-hint" }), "create.neutral.hint")),
    ),
    error,
    again,
    h("div", { class: "form-actions" }, submit),
  );

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const body = {
      title: title.value.trim(),
      buyer_org: buyerOrg.value.trim(),
      seller_org: sellerOrg.value.trim(),
      currency: currency.value,
      neutral: neutral.checked,
    };
    if (!body.title) {
      showError(error, "create.error.title");
      title.focus();
      return;
    }
    if (lastCreated !== null && !confirmed) {
      askAgain();
      return;
    }
    confirmed = false;
    try {
      validator.checkHttp("create_room", body);
    } catch (violation) {
      showError(error, "create.error.invalid", { detail: violation instanceof Error ? violation.message : String(violation) });
      return;
    }
    submit.disabled = true;
    try {
      const response = await fetch("/api/rooms", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      const data = await response.json().catch(() => null);
      if (response.status === 429) {
        showError(error, "create.error.rate_limited");
        return;
      }
      if (!response.ok) {
        showError(error, "create.error.server", { detail: data?.error?.message ?? response.status });
        return;
      }
      lastCreated = body.title;
      onCreated(data, body.neutral, body.title);
    } catch {
      showError(error, "create.error.network");
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

function showError(el, key, vars) {
  tr(el, key, vars);
  el.hidden = false;
}

function showInvites(section, result, neutral) {
  section.replaceChildren(
    tr(h("h2"), "invites.heading"),
    tr(h("p", { class: "muted" }), "invites.lead"),
    ...ROLES.filter((role) => result.links[role]).map((role) => inviteCard(role, result.links[role])),
    ...(neutral ? [] : [tr(h("p", { class: "muted small" }), "invites.noNeutral")]),
  );
  section.hidden = false;
  section.querySelector("button")?.focus();
}

function inviteCard(role, given) {
  // Without a configured public URL the server sends links relative to this page's origin.
  const link = new URL(given, location.href).href;
  const input = h("input", { readOnly: true, value: link, class: "invite-link", testid: `invite-link-${role}` });
  trAttr(input, "aria-label", `invites.link.${role}`);
  const copy = tr(
    h("button", { type: "button", class: "btn", testid: `copy-${role}`, on: { click: () => copyLink(input) } }),
    "invites.copy",
  );
  const enter = tr(
    h("a", { class: "btn btn-ghost", href: link, target: "_blank", rel: "noopener", testid: `enter-${role}` }),
    `invites.enter.${role}`,
  );
  return h(
    "div",
    { class: `invite card role-${role}`, data: { role } },
    h("div", { class: "invite-head" }, tr(h("span", { class: `role-badge role-${role}` }), `role.${role}`), tr(h("span", { class: "muted small" }), `invites.who.${role}`)),
    h("div", { class: "invite-row" }, input, copy, enter),
  );
}
