// The deal sheet: one live document, the same for every role (the server
// builds it from public events only and sends it with its hash). Below it:
// the commitments, the two-key sign-off and the neutral's witness, the closed
// room's signed sheet, and the downloads (JSON, CSV) and print.
//
// Signing sends the hash shown on the page; if the sheet changed meanwhile,
// the server refuses with deal.stale_hash and the page shows the new one.

import { h, setData, setText } from "../dom.js";
import { lang, locale, t, tr, trAttr } from "../i18n.js";
import { formatMoney } from "../money.js";
import { randomId } from "../ids.js";
import { transferText } from "./split.js";

const STATUSES = ["open", "kept", "broken"];
const SIGNERS = ["buyer", "seller", "neutral"];

/** Save `content` as a file named `filename` (a Blob URL: nothing leaves the page). */
function download(filename, content, format) {
  const type = format === "json" ? "application/json" : "text/csv";
  const url = URL.createObjectURL(new Blob([content], { type: `${type};charset=utf-8` }));
  const link = h("a", { attrs: { href: url, download: filename }, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

function when(at) {
  return new Date(at).toLocaleString(locale(), { dateStyle: "medium", timeStyle: "short" });
}

export class DealSheetView {
  /** @param {import("../session.js").Session} session */
  constructor(session) {
    this.session = session;
    this.key = null;
    this.hash = h("code", { class: "deal-hash", testid: "deal-hash" });
    this.fingerprint = h("code", { class: "deal-hash", testid: "deal-chain" });
    this.fingerprintRow = h("p", { class: "deal-hash-row", hidden: true }, tr(h("span", { class: "muted small" }), "deal.chain"), " ", this.fingerprint);
    this.status = h("p", { class: "deal-status", testid: "deal-status", attrs: { role: "status", "aria-live": "polite" } });
    this.body = h("div", { class: "deal-body", testid: "deal-body" });
    this.signatures = h("ul", { class: "deal-signatures", testid: "deal-signatures" });
    this.unsigned = h("p", { class: "voided-note small", testid: "deal-unsigned", hidden: true });
    this.sign = h("button", { type: "button", class: "btn btn-primary", testid: "deal-sign", on: { click: () => this.signNow() } });
    this.commitments = h("ul", { class: "commitment-list", testid: "commitments" });
    this.form = this.commitmentForm();
    const downloadButton = (format) =>
      tr(h("button", { type: "button", class: "btn btn-small", testid: `export-${format}`, on: { click: () => session.requestExport(format) } }), `deal.download.${format}`);
    this.downloads = h(
      "div",
      { class: "deal-downloads no-print" },
      downloadButton("json"),
      downloadButton("csv"),
      tr(h("button", { type: "button", class: "btn btn-small", testid: "deal-print", on: { click: () => window.print() } }), "deal.print"),
    );
    this.nextRound = this.nextRoundBlock();
    this.el = h(
      "section",
      { class: "deal-sheet", testid: "deal-sheet", attrs: { "aria-labelledby": "deal-heading" } },
      h("div", { class: "section-head" }, tr(h("h2", { id: "deal-heading" }), "deal.heading")),
      tr(h("p", { class: "muted small no-print" }), "deal.lead"),
      h("p", { class: "deal-hash-row" }, tr(h("span", { class: "muted small" }), "deal.hash"), " ", this.hash),
      this.fingerprintRow,
      this.status,
      this.body,
      h("section", { class: "deal-section deal-commitments" }, tr(h("h3"), "deal.commitments"), this.commitments, this.form),
      h(
        "section",
        { class: "deal-section deal-signoff" },
        tr(h("h3"), "deal.signoff"),
        this.signatures,
        this.unsigned,
        h("div", { class: "no-print" }, this.sign),
      ),
      this.downloads,
      this.nextRound,
    );
    session.onExport((file) => download(file.filename, file.content, file.format));
  }

  commitmentForm() {
    const { session } = this;
    this.who = h("select", { testid: "commitment-who" }, ...SIGNERS.map((role) => h("option", { value: role })));
    trAttr(this.who, "aria-label", "deal.commitment.who");
    this.what = h("input", { testid: "commitment-what", maxLength: 200, autocomplete: "off" });
    trAttr(this.what, "placeholder", "deal.commitment.what");
    trAttr(this.what, "aria-label", "deal.commitment.what");
    this.due = h("input", { testid: "commitment-due", attrs: { type: "date" } });
    trAttr(this.due, "aria-label", "deal.commitment.due");
    this.about = h("select", { testid: "commitment-item" });
    trAttr(this.about, "aria-label", "deal.commitment.item");
    const form = h(
      "form",
      { class: "commitment-form no-print", testid: "commitment-form" },
      this.who,
      this.what,
      this.due,
      this.about,
      tr(h("button", { type: "submit", class: "btn btn-small", testid: "commitment-add" }), "deal.commitment.add"),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const what = this.what.value.trim();
      if (!what) return;
      const sent = session.addCommitment({ id: randomId(), who: this.who.value, what, due: this.due.value, itemId: this.about.value });
      if (sent) {
        this.what.value = "";
        this.due.value = "";
      }
    });
    return form;
  }

  nextRoundBlock() {
    this.carry = h("input", { testid: "next-carry", attrs: { type: "checkbox" } });
    this.carryRow = h("label", { class: "small" }, this.carry, " ", tr(h("span"), "deal.next.carry"));
    this.nextButton = tr(h("button", { type: "button", class: "btn", testid: "next-round", on: { click: () => this.startNextRound() } }), "deal.next.start");
    this.nextError = h("p", { class: "field-error", testid: "next-error", hidden: true, attrs: { role: "alert" } });
    this.nextLinks = h("ul", { class: "next-links", testid: "next-links", hidden: true });
    return h(
      "section",
      { class: "deal-section deal-next no-print", testid: "deal-next", hidden: true },
      tr(h("h3"), "deal.next.heading"),
      tr(h("p", { class: "muted small" }), "deal.next.lead"),
      this.carryRow,
      h("div", {}, this.nextButton),
      this.nextError,
      this.nextLinks,
    );
  }

  /** Create the next round's room (the token goes in the body, never in a URL) and list its links. */
  async startNextRound() {
    const { session } = this;
    const room = session.room;
    if (!room) return;
    const suffix = t("deal.next.suffix");
    const body = {
      title: `${room.title.slice(0, 200 - suffix.length - 3)} (${suffix})`,
      previous: { token: session.token, carry_figures: session.isParty && this.carry.checked },
    };
    this.nextButton.disabled = true;
    this.nextError.hidden = true;
    try {
      const response = await fetch("/api/rooms", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      const data = await response.json().catch(() => null);
      if (!response.ok) {
        const code = data?.error?.code ?? "";
        setText(this.nextError, t(`reason.${code}`) === `reason.${code}` ? t("deal.next.failed") : t(`reason.${code}`));
        this.nextError.hidden = false;
        return;
      }
      this.nextLinks.replaceChildren(
        ...Object.entries(data.links)
          .filter(([, link]) => link)
          .map(([role, link]) =>
            h("li", { data: { role } }, h("span", { text: `${t(`role.${role}`)}: ` }), h("a", { attrs: { href: link }, testid: `next-link-${role}`, text: link })),
          ),
      );
      this.nextLinks.hidden = false;
    } catch {
      setText(this.nextError, t("deal.next.failed"));
      this.nextError.hidden = false;
    } finally {
      this.nextButton.disabled = false;
    }
  }

  signNow() {
    const deal = this.session.deal;
    if (deal) this.session.signDeal(this.session.view().agreement?.hash ?? deal.hash);
  }

  render() {
    const { session } = this;
    const deal = session.deal;
    const room = session.room;
    if (!deal || !room) return;
    const state = session.view();
    const key = JSON.stringify([lang(), deal.hash, deal.chain, state.signatures, state.unsigned, state.agreement?.hash, [...state.commitments.values()], session.phase, session.role, [...state.items.keys()]]);
    if (key === this.key) return;
    this.key = key;
    const money = (units) => formatMoney(units, room.currency, session.decimals);
    const agreement = state.agreement;
    const closed = agreement !== null;
    // A closed room shows the sheet exactly as it was signed; commitments stay live below.
    const sheet = agreement ? agreement.sheet : deal.sheet;
    const shownHash = agreement ? agreement.hash : deal.hash;
    setText(this.hash, shownHash);
    setData(this.el, "hash", shownHash);
    setData(this.el, "closed", closed);
    this.fingerprintRow.hidden = !deal.chain;
    setText(this.fingerprint, deal.chain ?? "");
    setText(this.status, agreement ? t("deal.closed", { at: when(agreement.at) }) : t("deal.live"));

    this.body.replaceChildren(...this.sections(sheet, money));
    this.renderCommitments(state);
    this.renderSignatures(state, shownHash, closed);
    this.nextRound.hidden = !closed;
    this.carryRow.hidden = !session.isParty;
  }

  sections(sheet, money) {
    const section = (key, testid, ...children) => h("section", { class: "deal-section", testid }, tr(h("h3"), key), ...children);
    const parties = h(
      "p",
      { testid: "deal-parties" },
      t("deal.parties", { buyer: sheet.room.buyer_org || t("role.buyer"), seller: sheet.room.seller_org || t("role.seller") }),
      sheet.room.neutral ? ` ${t("deal.withNeutral")}` : "",
    );
    const agreed = sheet.agreed.length
      ? h(
          "ul",
          { class: "deal-agreed", testid: "deal-agreed" },
          ...sheet.agreed.map((entry) =>
            h(
              "li",
              { data: { itemId: entry.item_id } },
              h("strong", { text: entry.title }),
              entry.option ? h("span", { class: "deal-option", text: ` — ${entry.option.label}` }) : "",
              entry.description ? h("p", { class: "small", text: entry.description }) : "",
            ),
          ),
        )
      : tr(h("p", { class: "muted", testid: "deal-agreed" }), "deal.noneAgreed");
    const relationship = h("p", {
      testid: "deal-relationship",
      text: sheet.relationship ? `${sheet.relationship.title}: ${sheet.relationship.option?.label ?? ""}` : t("deal.noRelationship"),
    });
    const row = (line, title) =>
      h(
        "tr",
        { data: { itemId: line.item_id } },
        h("th", { attrs: { scope: "row" }, text: title }),
        h(
          "td",
          { class: "num", data: { label: t("deal.col.created") } },
          money(line.net),
          // Sensitivity, where revealed figures carry a range: the created value at the low and high end.
          line.low ? h("span", { class: "split-range", testid: "deal-range", text: ` ${t("split.range", { low: money(line.low.net), high: money(line.high.net) })}` }) : "",
        ),
        h("td", { class: "num", text: money(line.fair.buyer), data: { label: t("deal.col.buyer") } }),
        h("td", { class: "num", text: money(line.fair.seller), data: { label: t("deal.col.seller") } }),
        h("td", { text: `${transferText(line, money)}${line.sealed ? ` (${t("split.sealedBadge")})` : ""}`, data: { label: t("deal.col.transfer") } }),
      );
    const split = sheet.split.lines.length
      ? h(
          "table",
          { class: "deal-split", testid: "deal-split" },
          h(
            "thead",
            {},
            h("tr", {}, ...["deal.col.item", "deal.col.created", "deal.col.buyer", "deal.col.seller", "deal.col.transfer"].map((k) => tr(h("th", { attrs: { scope: "col" } }), k))),
          ),
          h("tbody", {}, ...sheet.split.lines.map((line) => row(line, line.title))),
          sheet.split.total ? h("tfoot", {}, row(sheet.split.total, t("split.total"))) : "",
        )
      : tr(h("p", { class: "muted", testid: "deal-split" }), "deal.noSplit");
    const s = sheet.settlement;
    const settlement = h("strong", {
      class: "deal-settlement",
      testid: "deal-settlement",
      text: s.payer ? t("split.pays", { payer: t(`role.${s.payer}`), payee: t(`role.${s.payee}`), amount: money(s.amount) }) : t("split.noTransfer"),
    });
    const open = sheet.open.length
      ? h(
          "ul",
          { testid: "deal-open" },
          ...sheet.open.map((entry) => h("li", { text: entry.parked ? `${entry.title} (${t("deal.parked")})` : entry.title })),
        )
      : tr(h("p", { class: "muted", testid: "deal-open" }), "deal.noneOpen");
    return [
      section("deal.section.parties", "deal-section-parties", parties),
      section("deal.section.agreed", "deal-section-agreed", agreed),
      section("deal.section.relationship", "deal-section-relationship", relationship),
      section("deal.section.split", "deal-section-split", split, h("p", {}, tr(h("span"), "split.settlement"), " ", settlement)),
      section("deal.section.open", "deal-section-open", open),
    ];
  }

  renderCommitments(state) {
    const { session } = this;
    const canSet = session.may("commitment.set");
    this.commitments.replaceChildren(
      ...[...state.commitments.values()].map((c) => {
        const item = c.item_id ? (state.items.get(c.item_id)?.title ?? state.removed.get(c.item_id)?.title ?? "") : "";
        const status = h("select", { testid: "commitment-status", disabled: !canSet, on: { change: () => session.setCommitment(c.id, status.value, c.comment) } }, ...STATUSES.map((s) => h("option", { value: s, text: t(`deal.status.${s}`) })));
        status.value = c.status;
        status.setAttribute("aria-label", t("deal.commitment.status"));
        return h(
          "li",
          { class: `commitment status-${c.status}`, testid: "commitment", data: { id: c.id, status: c.status } },
          h("span", { text: t("deal.commitment.line", { who: t(`role.${c.who}`), what: c.what }) }),
          c.due ? h("span", { class: "small muted", text: ` ${t("deal.commitment.by", { due: c.due })}` }) : "",
          item ? h("span", { class: "small muted", text: ` (${item})` }) : "",
          " ",
          status,
          h("span", { class: "print-only", text: t(`deal.status.${c.status}`) }),
          c.comment ? h("span", { class: "small", text: ` — ${c.comment}` }) : "",
        );
      }),
    );
    if (state.commitments.size === 0) this.commitments.append(tr(h("li", { class: "muted" }), "deal.noCommitments"));
    this.form.hidden = !session.may("commitment.add");
    for (const role of SIGNERS) {
      const option = this.who.querySelector(`option[value=${role}]`);
      if (option) option.textContent = t(`role.${role}`);
    }
    const chosen = this.about.value;
    this.about.replaceChildren(
      h("option", { value: "", text: t("deal.commitment.noItem") }),
      ...[...state.items.values()].map((item) => h("option", { value: item.id, text: item.title })),
    );
    this.about.value = state.items.has(chosen) ? chosen : "";
  }

  renderSignatures(state, shownHash, closed) {
    const { session } = this;
    const signers = state.room?.neutral ? SIGNERS : SIGNERS.slice(0, 2);
    this.signatures.replaceChildren(
      ...signers.map((role) => {
        const signature = state.signatures[role];
        const valid = signature && signature.hash === shownHash;
        const text = signature
          ? t(role === "neutral" ? "deal.witnessedBy" : "deal.signedBy", { name: signature.name, role: t(`role.${role}`), at: when(signature.at) })
          : t(role === "neutral" ? "deal.notWitnessed" : "deal.notSigned", { role: t(`role.${role}`) });
        return h("li", { class: valid ? "is-signed" : "", testid: `signature-${role}`, data: { signed: Boolean(valid) } }, text);
      }),
    );
    this.unsigned.hidden = !state.unsigned || closed || Object.keys(state.signatures).length > 0;
    if (state.unsigned) setText(this.unsigned, t("deal.unsigned", { by: t(`role.${state.unsigned.by}`) }));
    const command = session.isNeutral ? "deal.witness" : "deal.sign";
    const mine = session.role ? state.signatures[session.role] : undefined;
    const done = Boolean(mine && mine.hash === shownHash);
    this.sign.hidden = !session.role || !session.may(command) || done;
    setText(this.sign, t(session.isNeutral ? "deal.witness" : "deal.sign", { hash: shownHash.slice(0, 12) }));
  }
}
