/** Keyset paging: the one cursor reader, the one page builder, the one cursor rule. */
import { decodeCursor, encodeCursor } from '../cursor.js';
import { ValidationError } from '../errors.js';
import type { PagedListing, Positioned, WalletStore } from '../store.js';
import type { Page } from '../views.js';

/** Absent is the first page, anything else must be a cursor `decode` accepts. */
export function readCursor(cursor: string | null | undefined, decode: (cursor: string) => string = decodeCursor): string | undefined {
  return cursor === undefined || cursor === null ? undefined : decode(cursor);
}

/** `rows` were read with `limit + 1`, so one more row means another page. */
export function page<R, V>(rows: readonly R[], limit: number, view: (row: R) => V, cursorOf: (row: R) => string): Page<V> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items: items.map(view), nextCursor: rows.length > limit && last !== undefined ? cursorOf(last) : null };
}

export const positionCursor = (row: Positioned<unknown>): string => encodeCursor(row.position);

/**
 * A cursor resumes after a row that exists in that very listing (its wallet's or account's rows;
 * any wallet for the search), or it is VALIDATION_ERROR. Never an empty last page, never rows
 * after a position of someone else's listing.
 */
export async function assertCursorRow(store: WalletStore, listing: PagedListing, scope: string, position: string | undefined): Promise<void> {
  if (position !== undefined && !(await store.hasPosition(listing, scope, position))) {
    throw new ValidationError('Invalid cursor', [{ path: 'cursor', message: 'names no row of this listing' }]);
  }
}
