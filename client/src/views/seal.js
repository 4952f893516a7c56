// Figures under seal. A party shares its registered figures for an item with
// the neutral only, sees what became of them (verified, disputed, outdated)
// and, data-room style, every time the neutral received them. The neutral has
// a desk: the sealed figures of both parties per item, a verdict with a
// comment per version, and the attestation that puts an item into the split
// under seal (created value, halves and transfer only).

import { h, placeChildren, setData, setText } from "../dom.js";
import { locale, t, tr, trAttr } from "../i18n.js";
import { PARTIES } from "../model.js";
import { formatMoney } from "../money.js";
import { agendaOrder } from "../order.js";
import { toast } from "./toast.js";

const otherParty = (party) => (party === "buyer" ? "seller" : "buyer");

/** The status of a seal as one word: none, shared, verified, disputed or outdated. */
export function sealStatus(seal) {
  if (!seal) return "none";
  return seal.outdated ? "outdated" : seal.status;
}

function when(at) {
  return new Intl.DateTimeFormat(locale(), { hour: "2-digit", minute: "2-digit", second: "2-digit" }).format(at);
}

/** In a party's item card: share under seal, its status, and what the neutral received. */
export class SealRow {
  constructor(itemId, session) {
    this.itemId = itemId;
    this.session = session;
    this.status = h("span", { class: "seal-status", testid: "seal-status" });
    this.share = h("button", { type: "button", class: "btn btn-small btn-seal", testid: "seal-share", on: { click: () => session.shareSeal(itemId) } });
    this.withdraw = tr(h("button", { type: "button", class: "btn btn-small", testid: "seal-withdraw", on: { click: () => session.withdrawSeal(itemId) } }), "seal.withdraw");
    this.comment = h("p", { class: "seal-comment", testid: "seal-comment", hidden: true });
    this.explain = h("p", { class: "muted small", testid: "seal-explain" });
    this.warning = tr(h("p", { class: "seal-warning small", testid: "seal-warning", hidden: true }), "seal.changeWarning");
    this.inSplit = tr(h("span", { class: "sealed-badge", testid: "seal-in-split", hidden: true }), "seal.inSplit");
    this.access = h("ul", { class: "seal-access", testid: "seal-access" });
    this.accessNone = tr(h("p", { class: "muted small", testid: "seal-access-none" }), "seal.access.none");
    this.accessBox = h("details", { class: "seal-access-box" }, tr(h("summary", {}), "seal.access.heading"), this.access, this.accessNone);
    this.el = h(
      "div",
      { class: "seal-row", testid: "seal" },
      h("div", { class: "seal-head" }, tr(h("span", { class: "seal-title" }), "seal.title"), this.status, this.inSplit, this.share, this.withdraw),
      this.comment,
      this.warning,
      this.explain,
      this.accessBox,
    );
    this.key = null;
  }

  /** info: {role, registered} and the seat's confirmed state. */
  update(item, info) {
    const { session } = this;
    const role = info.role;
    const show = PARTIES.includes(role) && Boolean(session.room?.neutral);
    this.el.hidden = !show;
    if (!show) return;
    const state = session.view();
    const seal = state.seals.get(item.id)?.[role] ?? null;
    const access = state.access.get(item.id) ?? [];
    const status = sealStatus(seal);
    const key = JSON.stringify([document.documentElement.lang, seal, access, item.sealed, item.revealed, info.registered, session.phase]);
    if (key === this.key) return;
    this.key = key;
    setData(this.el, "status", status);
    setData(this.el, "version", seal?.version ?? 0);
    const version = seal ? ` · ${t("seal.version", { version: seal.version })}` : "";
    setText(this.status, `${t(`seal.status.${status}`)}${version}`);
    const canShare = session.may("seal.share") && info.registered && !item.revealed && (status === "none" || status === "outdated");
    this.share.hidden = !canShare;
    setText(this.share, t(status === "outdated" ? "seal.shareAgain" : "seal.share"));
    this.withdraw.hidden = !(seal && seal.status === "shared" && session.may("seal.withdraw"));
    this.comment.hidden = !seal?.comment;
    setText(this.comment, seal?.comment ? t("seal.comment", { comment: seal.comment }) : "");
    this.warning.hidden = !seal || seal.outdated;
    setText(this.explain, t("seal.explain", { other: t(`role.${otherParty(role)}`) }));
    this.inSplit.hidden = !item.sealed || item.revealed;
    placeChildren(
      this.access,
      access.map((entry) =>
        h("li", {
          class: "access-entry",
          testid: "access-entry",
          data: { how: entry.how, version: entry.version },
          text: t("seal.access.entry", { member: entry.member, version: entry.version, how: t(`seal.how.${entry.how}`), time: when(entry.at) }),
        }),
      ),
    );
    this.accessNone.hidden = access.length > 0;
    this.accessBox.hidden = !seal && access.length === 0;
  }
}

/** The neutral's desk: sealed figures per item and party, verdicts, attestation. */
export class SealDesk {
  constructor(session) {
    this.session = session;
    this.list = h("div", { class: "seal-queue", testid: "seal-queue" });
    this.empty = tr(h("p", { class: "muted small", testid: "seal-queue-empty" }), "desk.empty");
    this.el = h(
      "section",
      { class: "seal-desk card", testid: "seal-desk", attrs: { "aria-labelledby": "desk-heading" } },
      tr(h("h2", { id: "desk-heading" }), "desk.heading"),
      tr(h("p", { class: "muted small" }), "desk.lead"),
      this.list,
      this.empty,
    );
    // Comment inputs survive re-renders: keyed by "item:party".
    this.comments = new Map();
    this.key = null;
  }

  commentInput(itemId, party) {
    const key = `${itemId}:${party}`;
    if (!this.comments.has(key)) {
      const input = h("input", { class: "seal-comment-input", testid: "seal-comment-input", maxLength: 2000, autocomplete: "off" });
      trAttr(input, "placeholder", "desk.comment.placeholder");
      trAttr(input, "aria-label", "desk.comment");
      input.addEventListener("input", () => {
        this.key = null;
      });
      this.comments.set(key, input);
    }
    return this.comments.get(key);
  }

  judge(itemId, party, seal, verified) {
    const input = this.commentInput(itemId, party);
    const comment = input.value.trim();
    if (!comment) {
      toast(t("desk.commentNeeded"), { kind: "error" });
      input.focus();
      return;
    }
    if (this.session.judgeSeal(itemId, party, seal.version, verified, comment)) input.value = "";
  }

  render() {
    const { session } = this;
    this.el.hidden = !session.isNeutral;
    if (!session.isNeutral) return;
    const state = session.view();
    /** @type {import("../model.js").Item[]} */
    const ordered = agendaOrder(state.items.values());
    const items = ordered.filter((item) => state.seals.has(item.id) || item.sealed);
    const key = JSON.stringify([document.documentElement.lang, session.phase, items, items.map((i) => state.seals.get(i.id) ?? null)]);
    if (key === this.key) return;
    this.key = key;
    const money = (units) => formatMoney(units, session.room?.currency ?? "EUR", session.decimals);
    const focused = document.activeElement;
    this.list.replaceChildren(...items.map((item) => this.itemBlock(item, state.seals.get(item.id) ?? {}, money)));
    if (focused instanceof HTMLElement && focused.isConnected) focused.focus();
    this.empty.hidden = items.length > 0;
  }

  itemBlock(item, seals, money) {
    const { session } = this;
    const parties = PARTIES.map((party) => {
      const seal = seals[party] ?? null;
      const status = sealStatus(seal);
      const judgeable = seal && !seal.outdated && session.may("seal.verify");
      return h(
        "div",
        { class: `sealed-figures role-${party}`, testid: "sealed-figures", data: { party, status, version: seal?.version ?? 0 } },
        h("strong", { class: "sealed-party", text: t(`role.${party}`) }),
        h("span", {
          class: "sealed-values num",
          testid: "sealed-values",
          text: seal ? t("desk.figures", { value: money(seal.value), cost: money(seal.cost), own: money(seal.value - seal.cost) }) : t("desk.notShared"),
        }),
        h("span", { class: "seal-status", testid: "sealed-status", text: seal ? `${t(`seal.status.${status}`)} · ${t("seal.version", { version: seal.version })}` : "" }),
        seal?.comment ? h("span", { class: "seal-comment small", text: t("seal.comment", { comment: seal.comment }) }) : null,
        judgeable
          ? h(
              "div",
              { class: "seal-judge" },
              this.commentInput(item.id, party),
              h("button", { type: "button", class: "btn btn-small", testid: "seal-verify", text: t("desk.verify"), on: { click: () => this.judge(item.id, party, seal, true) } }),
              h("button", { type: "button", class: "btn btn-small", testid: "seal-dispute", text: t("desk.dispute"), on: { click: () => this.judge(item.id, party, seal, false) } }),
            )
          : null,
      );
    });
    const ready = PARTIES.every((party) => seals[party] && !seals[party].outdated && seals[party].status === "verified");
    const attest = h("button", {
      type: "button",
      class: "btn btn-primary btn-small",
      testid: "seal-attest",
      text: t("desk.attest"),
      disabled: !ready || item.revealed,
      hidden: !session.may("seal.attest") || Boolean(item.sealed),
      on: { click: () => session.attest(item.id) },
    });
    return h(
      "div",
      { class: "sealed-item", testid: "sealed-item", data: { itemId: item.id, attested: Boolean(item.sealed) } },
      h("h3", { class: "sealed-title", text: item.title }),
      ...parties,
      h(
        "div",
        { class: "sealed-actions" },
        attest,
        item.sealed ? h("span", { class: "sealed-badge", testid: "sealed-attested", text: t("desk.attested") }) : null,
        !item.sealed ? h("span", { class: "muted small", text: t("desk.attestHint") }) : null,
      ),
    );
  }
}
