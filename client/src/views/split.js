// The live 50/50 split: the shared split of revealed items (the same for
// everyone), the items not in it, and for a party its private preview. Where
// revealed figures carry a range, each such line and the total also show the
// split at the low and the high end (sensitivity); the split itself is the
// expected one.

import { h, setData, setText } from "../dom.js";
import { lang, t, tr } from "../i18n.js";
import { compactMoney, formatMoney } from "../money.js";
import { KINDS_WITHOUT_FIGURES } from "../guide-model.js";
import { agendaOrder } from "../order.js";
import { SplitChart } from "./chart.js";

/** "buyer pays seller €X" / "seller pays buyer €X" / "no transfer" for a line's transfer. */
export function transferText(line, money) {
  const toBuyer = line.transfer.buyer;
  if (toBuyer > 0) return t("split.pays", { payer: t("role.seller"), payee: t("role.buyer"), amount: money(toBuyer) });
  if (toBuyer < 0) return t("split.pays", { payer: t("role.buyer"), payee: t("role.seller"), amount: money(-toBuyer) });
  return t("split.noTransfer");
}

export class SplitView {
  /** @param {import("../session.js").Session} session */
  constructor(session) {
    this.session = session;
    this.canvas = h("canvas", { testid: "split-chart", attrs: { role: "img" } });
    this.chart = new SplitChart(this.canvas);
    this.chartWrap = h("div", { class: "chart-wrap" }, this.canvas);
    this.chartNote = h("p", { class: "chart-note", testid: "split-chart-note" });
    this.totals = h("dl", { class: "split-totals" });
    this.settlement = h("strong", { testid: "split-total-transfer" });
    this.rangeSettlement = h("p", { class: "split-range-settlement small", testid: "split-range-settlement", hidden: true });
    this.table = h("div", { class: "split-table-wrap" });
    this.compare = h("div", { class: "split-compare", testid: "split-compare", hidden: true, attrs: { role: "group", "aria-label": t("split.compare.heading") } });
    this.excluded = h("div", { class: "split-excluded", testid: "split-excluded" });
    this.sealedNote = tr(h("p", { class: "sealed-note small", testid: "split-sealed-note", hidden: true }), "split.sealedNote");
    this.preview = h("section", { class: "split-preview private-panel", testid: "split-preview", hidden: true });
    this.el = h(
      "section",
      { class: "split", testid: "split", attrs: { "aria-labelledby": "split-heading" } },
      h("div", { class: "section-head" }, tr(h("h2", { id: "split-heading" }), "split.heading")),
      tr(h("p", { class: "muted small" }), "split.lead"),
      h("div", { class: "split-overview" }, this.totals, this.chartWrap),
      h("p", { class: "split-settlement" }, tr(h("span", { class: "settlement-label" }), "split.settlement"), this.settlement),
      this.rangeSettlement,
      this.chartNote,
      this.table,
      this.compare,
      this.sealedNote,
      this.excluded,
      this.preview,
    );
    this.key = null;
  }

  render() {
    const { session } = this;
    const split = session.split;
    const room = session.room;
    if (!split || !room) return;
    const state = session.view();
    const key = JSON.stringify([lang(), split, [...state.items.values()].map((i) => [i.id, i.title, i.position, i.revealed, i.parked, i.kind])]);
    if (key === this.key) return;
    this.key = key;

    const money = (units) => formatMoney(units, room.currency, session.decimals);
    const ordered = agendaOrder(state.items.values());
    const rank = new Map(ordered.map((item, i) => [item.id, i]));
    const titleOf = (id) => state.items.get(id)?.title ?? "…";
    const byAgenda = (lines) => [...lines].sort((a, b) => (rank.get(a.item_id) ?? 1e9) - (rank.get(b.item_id) ?? 1e9));

    const total = split.shared.total;
    this.renderOverview(total, money, byAgenda(split.shared.lines), titleOf);
    this.table.replaceChildren(
      total ? splitTable(byAgenda(split.shared.lines), total, titleOf, money, { testid: "split-line", totalTestid: "split-total" }) : tr(h("p", { class: "muted" }), "split.nothingRevealed"),
    );

    this.sealedNote.hidden = !split.shared.lines.some((line) => line.sealed);
    this.renderCompare(total, split.shared.without_destroyers, money);

    // Not in the split: every live item the shared split has no line for.
    const inSplit = new Set(split.shared.lines.map((line) => line.item_id));
    // Questions and notes carry no figures: they are not "out of" the split, they were never in play.
    const outside = ordered.filter((item) => !inSplit.has(item.id) && !KINDS_WITHOUT_FIGURES.has(item.kind));
    this.excluded.hidden = outside.length === 0;
    this.excluded.replaceChildren(
      h("h3", { text: t("split.excluded") }),
      h("p", { class: "muted small", text: t("split.excluded.lead") }),
      h(
        "ul",
        {},
        outside.map((item) =>
          h(
            "li",
            { testid: "excluded-item", data: { itemId: item.id, parked: Boolean(item.parked) } },
            h("span", { text: item.title }),
            item.parked ? h("span", { class: "parked-flag", testid: "excluded-parked", text: t("split.excluded.parked") }) : null,
          ),
        ),
      ),
    );

    const preview = split.preview;
    this.preview.hidden = !preview || !session.isParty;
    if (preview && session.isParty) {
      this.preview.className = `split-preview private-panel role-${session.role}`;
      // replaceChildren would print a null as "null": build the list without them.
      const parts = [
        h("div", { class: "private-head" }, h("span", { class: "icon icon-lock", attrs: { "aria-hidden": "true" } }), h("span", { class: "private-owner", text: t("preview.heading", { party: t(`role.${session.role}`) }) })),
        h("p", { class: "muted small", text: t("preview.lead") }),
        preview.total
          ? splitTable(byAgenda(preview.lines), preview.total, titleOf, money, { testid: "preview-line", totalTestid: "preview-total" })
          : null,
        pendingList(byAgenda(preview.pending ?? []), titleOf, money, session.role),
        !preview.total && !(preview.pending ?? []).length ? h("p", { class: "muted small", text: t("preview.empty") }) : null,
      ];
      this.preview.replaceChildren(...parts.filter((part) => part !== null));
    }
  }

  /** With and without the value destroyers, side by side, when any revealed item destroys value. */
  renderCompare(total, without, money) {
    this.compare.hidden = !total || !without;
    if (!total || !without) {
      this.compare.replaceChildren();
      return;
    }
    const column = (line, key, testid) =>
      h(
        "div",
        { class: "compare-col", testid, data: { net: line.net } },
        h("h4", { text: t(key) }),
        h(
          "dl",
          {},
          h("dt", { text: t("split.created") }),
          h("dd", { class: line.net < 0 ? "negative" : "strong", testid: "compare-net", text: money(line.net) }),
          h("dt", { text: t("split.half", { party: t("role.buyer") }) }),
          h("dd", { testid: "compare-fair-buyer", text: money(line.fair.buyer) }),
          h("dt", { text: t("split.half", { party: t("role.seller") }) }),
          h("dd", { testid: "compare-fair-seller", text: money(line.fair.seller) }),
          h("dt", { text: t("split.settlement") }),
          h("dd", { testid: "compare-transfer", text: transferText(line, money) }),
        ),
      );
    this.compare.replaceChildren(
      h("h3", { text: t("split.compare.heading") }),
      h("p", { class: "muted small", text: t("split.compare.lead") }),
      h("div", { class: "compare-cols" }, column(total, "split.compare.with", "compare-with"), column(without, "split.compare.without", "compare-without")),
    );
  }

  renderOverview(total, money, lines = [], titleOf = (id) => id) {
    const net = total ? total.net : 0;
    const room = this.session.room;
    this.chartWrap.hidden = !total;
    if (total) {
      const row = (line, label, isTotal) => ({
        label,
        own: line.own,
        net: line.net,
        transfer: line.transfer.seller,
        total: isTotal,
        range: line.low ? /** @type {[number, number]} */ ([line.low.net, line.high.net]) : null,
      });
      this.chart.update({
        rows: [...lines.map((line) => row(line, titleOf(line.item_id), false)), row(total, t("split.total"), true)],
        names: {
          buyer: t("split.chart.own", { party: t("role.buyer") }),
          seller: t("split.chart.own", { party: t("role.seller") }),
          net: t("split.created"),
          transfer: t("split.chart.transfer"),
          range: t("split.chart.range"),
        },
        format: money,
        compact: (units) => compactMoney(units, room?.currency ?? "EUR", this.session.decimals),
      });
    }
    this.canvas.setAttribute(
      "aria-label",
      t("split.chartLabel", {
        net: money(net),
        buyer: money(total ? total.own.buyer : 0),
        seller: money(total ? total.own.seller : 0),
        transfer: total ? transferText(total, money) : t("split.noTransfer"),
      }),
    );
    let note = "";
    if (!total) note = "";
    else if (net < 0) note = t("split.chart.destroyed");
    else if (net === 0) note = t("split.chart.zero");
    setText(this.chartNote, note);
    this.chartNote.hidden = !note;
    this.chartNote.classList.toggle("danger", net < 0);

    const row = (label, value, testid, cls = "") =>
      [h("dt", { text: label }), h("dd", { class: cls, testid, text: value })];
    const ends = total?.low ? { low: total.low, high: total.high } : null;
    this.totals.replaceChildren(
      ...row(t("split.created"), money(net), "split-total-net", net < 0 ? "negative" : "strong"),
      ...(ends ? row(t("split.range.created"), t("range.between", { low: money(ends.low.net), high: money(ends.high.net) }), "split-total-range") : []),
      ...row(t("split.half", { party: t("role.buyer") }), money(total ? total.fair.buyer : 0), "split-total-fair-buyer", "role-buyer"),
      ...row(t("split.half", { party: t("role.seller") }), money(total ? total.fair.seller : 0), "split-total-fair-seller", "role-seller"),
    );
    setData(this.totals, "net", net);
    setText(this.settlement, total ? transferText(total, money) : t("split.noTransfer"));
    this.rangeSettlement.hidden = !ends;
    setText(this.rangeSettlement, ends ? `${t("split.settlement")}, ${t("split.range.settlement", { low: transferText(ends.low, money), high: transferText(ends.high, money) })}` : "");
  }
}

/** A party's own registered items whose other side it cannot see: its own net, nothing made up. */
function pendingList(pending, titleOf, money, role) {
  if (!pending.length) return null;
  return h(
    "div",
    { class: "preview-pending", testid: "preview-pending" },
    h("h3", { text: t("preview.pending.heading") }),
    h("p", { class: "muted small", text: t("preview.pending.lead") }),
    h(
      "ul",
      {},
      pending.map((entry) =>
        h(
          "li",
          { testid: "pending-item", data: { itemId: entry.item_id, own: entry.own } },
          h("span", { class: "line-title", text: titleOf(entry.item_id) }),
          h("span", { class: `num role-${role}`, testid: "pending-own", text: t("preview.pending.own", { amount: money(entry.own) }) }),
          entry.low !== undefined ? h("span", { class: `num role-${role} small`, testid: "pending-range", text: t("preview.pending.range", { low: money(entry.low), high: money(entry.high) }) }) : null,
          h("span", { class: "muted small", testid: "pending-depends", text: t("preview.pending.depends") }),
        ),
      ),
    ),
  );
}

/** The sensitivity of a line: [created value, settlement] at the low and the high end. */
function rangeSpans(line, money) {
  return [
    h("span", { class: "split-range", testid: "line-range", data: { low: line.low.net, high: line.high.net }, text: t("split.range", { low: money(line.low.net), high: money(line.high.net) }) }),
    h("span", { class: "settlement split-range-transfer", testid: "line-range-transfer", text: t("split.range.settlement", { low: transferText(line.low, money), high: transferText(line.high, money) }) }),
  ];
}

function splitTable(lines, total, titleOf, money, { testid, totalTestid }) {
  const head = h(
    "tr",
    {},
    h("th", { text: t("split.col.item") }),
    h("th", { class: "num role-buyer", text: t("role.buyer") }),
    h("th", { class: "num role-seller", text: t("role.seller") }),
    h("th", { class: "num", text: t("split.col.netSettlement") }),
  );
  // A party's cell: its own net, and below it the fair half it ends with.
  const partyCell = (line, party) =>
    h(
      "td",
      { class: "num", testid: `line-${party}`, data: { label: t(`role.${party}`) } },
      h("span", { class: "own", title: t("split.col.own", { party: t(`role.${party}`) }), text: money(line.own[party]) }),
      h("span", { class: "fair", testid: `line-fair-${party}`, text: t("split.fairShort", { amount: money(line.fair[party]) }) }),
    );
  const row = (line, title, rowTestid, isTotal) =>
    h(
      "tr",
      {
        class: `${line.destroys_value ? "destroys" : ""}${isTotal ? " total" : ""}`,
        testid: rowTestid,
        data: { itemId: line.item_id, destroys: line.destroys_value, sealed: line.sealed, net: line.net },
      },
      h(
        "th",
        { scope: "row" },
        h("span", { class: "line-title", text: title }),
        line.sealed && !isTotal ? h("span", { class: "sealed-badge", testid: "sealed-badge", text: t("split.sealedBadge") }) : null,
        line.destroys_value ? h("span", { class: "destroyer", testid: "value-destroyer", text: t("split.destroyer") }) : null,
      ),
      partyCell(line, "buyer"),
      partyCell(line, "seller"),
      h(
        "td",
        { class: "num", data: { label: t("split.col.netSettlement") } },
        h("span", { class: `own strong${line.net < 0 ? " negative" : ""}`, testid: "line-net", text: money(line.net) }),
        ...(line.low ? [rangeSpans(line, money)[0]] : []),
        h("span", { class: "settlement", testid: "line-transfer", text: transferText(line, money) }),
        ...(line.low ? [rangeSpans(line, money)[1]] : []),
      ),
    );
  return h(
    "table",
    { class: "split-table" },
    h("caption", { class: "split-legend", text: t("split.legend") }),
    h("thead", {}, head),
    h("tbody", {}, lines.map((line) => row(line, titleOf(line.item_id), testid, false))),
    h("tfoot", {}, row(total, t("split.total"), totalTestid, true)),
  );
}
