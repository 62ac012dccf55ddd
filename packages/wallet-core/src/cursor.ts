import { ValidationError } from './errors.js';
import { isUuid } from './validate.js';

/** @internal Opaque keyset cursors: base64url of the last row's position. */
export function encodeCursor(position: string): string {
  return Buffer.from(`p:${position}`, 'utf8').toString('base64url');
}

/** Positions are PostgreSQL `bigint` sequence values: 1 up to this. */
export const MAX_POSITION = 9223372036854775807n;

/**
 * @internal The position a cursor names. Anything that cannot be a position of a store (not our
 * encoding, zero, leading zeros, past bigint) is VALIDATION_ERROR, never passed to the database.
 */
export function decodeCursor(cursor: string): string {
  const decoded = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const m = /^p:([1-9][0-9]{0,18})$/.exec(decoded);
  if (!m || BigInt(m[1] as string) > MAX_POSITION || encodeCursor(m[1] as string) !== cursor) {
    throw new ValidationError('Invalid cursor', [{ path: 'cursor', message: 'not a cursor returned by this API' }]);
  }
  return m[1] as string;
}

/** @internal Keyset cursors over wallets: base64url of the last wallet's id. */
export function encodeWalletCursor(walletId: string): string {
  return Buffer.from(`w:${walletId}`, 'utf8').toString('base64url');
}

/** @internal The wallet id a wallet cursor names; anything else is VALIDATION_ERROR. */
export function decodeWalletCursor(cursor: string): string {
  const decoded = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const id = decoded.startsWith('w:') ? decoded.slice(2) : '';
  // Ids are issued in lowercase: a cursor naming one in capitals was not returned by this API.
  if (!isUuid(id) || id !== id.toLowerCase() || encodeWalletCursor(id) !== cursor) {
    throw new ValidationError('Invalid cursor', [{ path: 'cursor', message: 'not a cursor returned by this API' }]);
  }
  return id;
}

/**
 * @internal The one rule of a feed resumed at `after`: it must not lie beyond `newest`, the newest
 * position the feed has (0 when empty). A consumer resumed past the end would never be handed the
 * events up to its position, so that is VALIDATION_ERROR, not an empty page.
 */
export function assertFeedPosition(after: bigint, newest: bigint): void {
  if (after > newest) {
    throw new ValidationError('after is beyond the newest event', [{ path: 'after', message: `must not be beyond the newest position (${newest})` }]);
  }
}
