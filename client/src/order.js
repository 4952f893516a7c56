// Agenda order: fractional-index keys, sorted by (position, id) like the server.

import { generateKeyBetween } from "/vendor/fractional-indexing/src/index.js";

/** @typedef {{id: string, position: string}} Placed anything with an agenda position */

/** The longest key the schema accepts (`Position.max` in shared_schema; a test checks they agree). */
export const MAX_KEY = 64;

/** @param {string} a @param {string} b */
const compare = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Items in agenda order. Keys and ids are ASCII, so JS string order equals Python's.
 * @template {Placed} T
 * @param {Iterable<T>} items
 * @returns {T[]}
 */
export function agendaOrder(items) {
  return [...items].sort((a, b) => compare(a.position, b.position) || compare(a.id, b.id));
}

/**
 * A key after every item (for a new item at the end of the agenda).
 * @param {Iterable<Placed>} items
 * @returns {string}
 */
export function keyAtEnd(items) {
  const last = agendaOrder(items).at(-1);
  return generateKeyBetween(last ? last.position : null, null);
}

/**
 * The key that moves list[index] one place up (delta -1) or down (+1) within
 * `list`, or null if it is already at that end. Parked items elsewhere in the
 * global order don't matter: only the new neighbours' keys do.
 *
 * Keys grow when items keep landing in the same gap. When the key between
 * the neighbours would be longer than the schema allows, the key of the item
 * to follow is asked for instead: the server grants "just after it" (a taken
 * key is nudged between it and its successor) and rebalances the agenda with
 * short keys when that key is too long, so the move still lands.
 * @param {Placed[]} list items in agenda order
 * @param {number} index
 * @param {-1 | 1} delta
 * @returns {string | null}
 */
export function keyForMove(list, index, delta) {
  const target = index + delta;
  if (target < 0 || target >= list.length) return null;
  const before = delta < 0 ? list[target - 1] : list[target];
  const after = delta < 0 ? list[target] : list[target + 1];
  const a = before ? before.position : null;
  const b = after ? after.position : null;
  if (a !== null && b !== null && a >= b) return null; // equal keys: nothing fits between
  const key = generateKeyBetween(a, b);
  return key.length > MAX_KEY && a !== null ? a : key;
}
