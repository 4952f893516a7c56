// Loaded with `node --import` before the unit tests: lets the client's modules
// run under Node exactly as the browser loads them.
//
// * Their absolute `/vendor/<package>/...` imports (the app serves
//   client/node_modules there) resolve to the same files (see vendor.js).
// * The one browser global they read while loading (`navigator`, for the
//   initial language) exists; Node 20 has none.
import { register } from "node:module";

register("./vendor.js", import.meta.url);

if (globalThis.navigator === undefined) {
  Object.defineProperty(globalThis, "navigator", { value: { language: "en-GB" }, configurable: true });
}
