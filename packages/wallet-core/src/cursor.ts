import { ValidationError } from './errors.js';

/** @internal Opaque keyset cursors: base64url of the last row's position. */
export function encodeCursor(position: string): string {
  return Buffer.from(`p:${position}`, 'utf8').toString('base64url');
}

/** @internal */
export function decodeCursor(cursor: string): string {
  const decoded = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const m = /^p:([0-9]{1,19})$/.exec(decoded);
  if (!m) throw new ValidationError('Invalid cursor', [{ path: 'cursor', message: 'not a cursor returned by this API' }]);
  return m[1] as string;
}
