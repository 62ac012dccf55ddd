/**
 * A command's metadata: the caller's own labels (the till, the store, the cashier, the order),
 * stored on every row the command writes, answered with it, carried in its events, and matched
 * by the history filters. Bounded so that a row stays small and an index over it stays useful.
 */

/** Keys to strings: at most `METADATA_MAX_KEYS` keys matching `METADATA_KEY_PATTERN`, values of at most `METADATA_MAX_VALUE_LENGTH` characters. */
export type Metadata = Readonly<Record<string, string>>;

/** A command's input: it may carry metadata. */
export interface WithMetadata {
  readonly metadata?: Metadata | undefined;
}

export const METADATA_MAX_KEYS = 20;
export const METADATA_KEY_PATTERN = /^[A-Za-z0-9_.-]{1,40}$/;
export const METADATA_MAX_VALUE_LENGTH = 200;

/**
 * A plain object of the given entries, keys in sorted order. Built without a prototype first, so
 * that a key such as `__proto__` (which the key pattern allows) is an own property like any other
 * and never reaches `Object.prototype`; then given the ordinary prototype, so it compares, copies
 * and serialises like any object. Frozen: the memory store keeps this very object on its rows,
 * holds and allowances and answers it in their views, so a caller editing an answer must not edit
 * the ledger (it would change what a capture books and break the row's chained hash).
 */
export function metadataOf(entries: Iterable<readonly [string, string]>): Metadata {
  const out = Object.create(null) as Record<string, string>;
  for (const [k, v] of [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: false, configurable: true });
  }
  return Object.freeze(Object.setPrototypeOf(out, Object.prototype) as Metadata);
}

/** Whether a row's metadata holds every key of `filter` with exactly its value (an empty filter matches every row). */
export function matchesMetadata(row: Metadata | null, filter: Metadata | undefined): boolean {
  if (filter === undefined) return true;
  for (const key of Object.keys(filter)) {
    if (row === null || !Object.hasOwn(row, key) || row[key] !== filter[key]) return false;
  }
  return true;
}

/** Whether two rows' metadata are the same (absent equals null equals empty: nothing was said). */
export function sameMetadata(a: Metadata | null | undefined, b: Metadata | null | undefined): boolean {
  const ka = a ? Object.keys(a) : [];
  const kb = b ? Object.keys(b) : [];
  if (ka.length !== kb.length) return false;
  return ka.every((k) => b !== null && b !== undefined && Object.hasOwn(b, k) && a?.[k] === b[k]);
}

/** What a command writes on its rows: its metadata, or null when it named none (an empty object says nothing). */
export function commandMetadata(metadata: Metadata | null | undefined): Metadata | null {
  return metadata === undefined || metadata === null || Object.keys(metadata).length === 0 ? null : metadata;
}
