// What the browser provides beyond the DOM library: globals the page sets up.
import type { Chart as ChartJs } from "chart.js";

declare global {
  interface Window {
    /** Chart.js, loaded as a classic script from /vendor/chart.js/dist/chart.umd.js (index.html). */
    Chart?: typeof ChartJs;
    /** Debug hooks installed on the room page (src/debug.js). */
    valueroom?: Readonly<Record<string, (...args: any[]) => unknown>>;
  }
}

export {};
