// The pie: created value and its two fair halves, as a Chart.js doughnut,
// updated in place on every split frame. Chart.js is loaded as a classic
// script (window.Chart) from /vendor/.

const cssColor = (name, fallback) =>
  getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;

export class SplitChart {
  constructor(canvas) {
    this.canvas = canvas;
    this.chart = null;
    this.current = { halves: { buyer: 0, seller: 0 }, format: String, empty: true };
  }

  /**
   * halves: {buyer, seller} fair halves (minor units, may be negative);
   * labels: {buyer, seller}; format(units) → text; empty: nothing to draw.
   */
  update({ halves, labels, format, empty }) {
    const Chart = window.Chart;
    if (!Chart) return;
    this.current = { halves, format, empty };
    // A pie cannot show a negative slice; the table and the note say what happened instead.
    const data = empty ? [1] : [Math.max(0, halves.buyer), Math.max(0, halves.seller)];
    const colors = empty
      ? [cssColor("--line", "#ddd")]
      : [cssColor("--buyer", "#2459c9"), cssColor("--seller", "#b4531a")];
    const chartLabels = empty ? [""] : [labels.buyer, labels.seller];
    if (!this.chart) {
      this.chart = new Chart(this.canvas, {
        type: "doughnut",
        data: {
          labels: chartLabels,
          datasets: [{ data, backgroundColor: colors, borderColor: cssColor("--surface", "#fff"), borderWidth: 2 }],
        },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          cutout: "62%",
          animation: { duration: 250 },
          plugins: {
            legend: { display: false },
            tooltip: {
              filter: () => !this.current.empty,
              callbacks: {
                title: () => "",
                label: (context) => {
                  const { halves: h, format: f } = this.current;
                  return `${context.label}: ${f(context.dataIndex === 0 ? h.buyer : h.seller)}`;
                },
              },
            },
          },
        },
      });
      return;
    }
    this.chart.data.labels = chartLabels;
    Object.assign(this.chart.data.datasets[0], { data, backgroundColor: colors });
    this.chart.update();
  }

  destroy() {
    this.chart?.destroy();
    this.chart = null;
  }
}
