// The split as diverging bars (Chart.js, horizontal): per revealed item and in
// total, each side's own net, the created value and the transfer to the
// seller (negative: the seller pays the buyer); where revealed figures carry a
// range, a floating bar spans the created value from its low to its high end.
// Bars grow left of zero for
// losses, so a negative total reads as one, not as an empty ring. Chart.js is
// loaded as a classic script (window.Chart) from /vendor/.

const cssColor = (name, fallback) =>
  getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;

/** The longest row label, in characters; the full title is in the tooltip and the table. */
const LABEL_CHARS = 22;

/**
 * @typedef {{label: string, own: {buyer: number, seller: number}, net: number, transfer: number, total: boolean, range?: [number, number] | null}} ChartRow
 * transfer: what the seller receives (negative: the seller pays); range: the
 * created value at the low and the high end (null without ranges).
 */

export class SplitChart {
  constructor(canvas) {
    this.canvas = canvas;
    this.chart = null;
    /** @type {{rows: ChartRow[], format: (units: number) => string}} */
    this.current = { rows: [], format: String };
  }

  /**
   * rows: one per revealed item, then the total; names: the four series'
   * names in the page's language; format(units) → money text; compact(units)
   * → a short axis label ("€120K", "€ 120 k").
   * @param {{rows: ChartRow[], names: {buyer: string, seller: string, net: string, transfer: string, range?: string},
   *   format: (units: number) => string, compact: (units: number) => string}} data
   */
  update({ rows, names, format, compact }) {
    const Chart = window.Chart;
    if (!Chart) return;
    this.current = { rows, format };
    // Before the chart exists: Chart.js draws (and calls the tick callback) while it is built.
    this.compact = compact;
    const short = (text) => (text.length > LABEL_CHARS ? `${text.slice(0, LABEL_CHARS - 1)}…` : text);
    const labels = rows.map((row) => short(row.label));
    const colors = {
      buyer: cssColor("--buyer", "#2459c9"),
      seller: cssColor("--seller", "#b4531a"),
      net: cssColor("--accent", "#0e6e66"),
      transfer: cssColor("--muted", "#687385"),
      range: cssColor("--accent-soft", "#cfe9e6"),
    };
    /** @type {Array<{key: "buyer" | "seller" | "net" | "transfer" | "range", values: Array<number | [number, number] | null>}>} */
    const series = [
      { key: "buyer", values: rows.map((row) => row.own.buyer) },
      { key: "seller", values: rows.map((row) => row.own.seller) },
      { key: "net", values: rows.map((row) => row.net) },
      { key: "transfer", values: rows.map((row) => row.transfer) },
    ];
    // Only when some line has a range: otherwise the chart is what it always was.
    if (rows.some((row) => row.range)) series.push({ key: "range", values: rows.map((row) => row.range ?? null) });
    const datasets = series.map(({ key, values }) => ({
      label: names[key],
      // Minor units: drawing needs no exactness, and the tooltip formats them exactly.
      data: values,
      backgroundColor: colors[key],
      borderColor: key === "range" ? colors.net : colors[key],
      borderWidth: key === "range" ? 1 : 0,
      barPercentage: 0.9,
      categoryPercentage: 0.85,
    }));
    // Tall enough for four bars per row and readable labels on a phone.
    this.canvas.parentElement?.style.setProperty("--chart-rows", String(Math.max(rows.length, 1)));
    if (!this.chart) {
      this.chart = new Chart(this.canvas, {
        type: "bar",
        data: { labels, datasets },
        options: {
          indexAxis: "y",
          responsive: true,
          maintainAspectRatio: false,
          animation: { duration: 200 },
          scales: {
            x: {
              ticks: { callback: (value) => this.compact(Number(value)), maxTicksLimit: 5, font: { size: 11 } },
              grid: { color: (context) => (context.tick?.value === 0 ? cssColor("--ink", "#1d2530") : cssColor("--line", "#e5e7eb")) },
            },
            y: { ticks: { font: (context) => ({ size: 11, weight: this.current.rows[context.index]?.total ? "bold" : "normal" }) } },
          },
          plugins: {
            legend: { position: "bottom", labels: { boxWidth: 12, font: { size: 11 } } },
            tooltip: {
              callbacks: {
                title: (items) => this.current.rows[items[0]?.dataIndex ?? 0]?.label ?? "",
                label: (context) => {
                  const raw = context.raw;
                  const text = Array.isArray(raw) ? `${this.current.format(raw[0])} – ${this.current.format(raw[1])}` : this.current.format(Number(raw));
                  return `${context.dataset.label}: ${text}`;
                },
              },
            },
          },
        },
      });
      return;
    }
    this.chart.data.labels = labels;
    this.chart.data.datasets = datasets;
    this.chart.update();
  }

  /** @param {number} units */
  compact(units) {
    return String(units);
  }

  destroy() {
    this.chart?.destroy();
    this.chart = null;
  }
}
