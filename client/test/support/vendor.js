// A module resolve hook: `/vendor/<package>/<file>` → client/node_modules/<package>/<file>,
// the mapping the app applies (VENDOR_PACKAGES in server/valueroom/edge/app.py),
// for the packages this client depends on and no others.
import { readFileSync } from "node:fs";

const client = new URL("../../", import.meta.url);
const modules = new URL("node_modules/", client);
const served = Object.keys(JSON.parse(readFileSync(new URL("package.json", client), "utf8")).dependencies);
const PREFIX = "/vendor/";

/**
 * @param {string} specifier
 * @param {object} context
 * @param {(specifier: string, context: object) => Promise<unknown>} nextResolve
 */
export async function resolve(specifier, context, nextResolve) {
  if (!specifier.startsWith(PREFIX)) return nextResolve(specifier, context);
  const path = specifier.slice(PREFIX.length);
  if (!served.some((name) => path.startsWith(`${name}/`))) {
    throw new Error(`${specifier}: the app serves only ${served.join(", ")} at /vendor/`);
  }
  return nextResolve(new URL(path, modules).href, context);
}
