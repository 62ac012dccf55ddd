import type { Metadata } from './metadata.js';
import type { LimitPolicy } from './wallet/limits.js';

/**
 * What an aggregate needs from the outside world to change: the time, fresh ids, and who is
 * acting. Passed in, so that the domain stays pure and synchronous and tests can pin all three.
 */

/** Whoever caused a change, for the audit trail: the caller's `sub` and the role it acted in. */
export interface Actor {
  readonly sub: string;
  readonly role: string;
}

export interface ChangeContext {
  readonly now: Date;
  newId(): string;
  /** Written on every ledger row and event of the change; `null` (or absent) for an anonymous library caller. */
  readonly actor?: Actor | null | undefined;
  /** The request that caused the change (the server's request id), written on every event. */
  readonly requestId?: string | null | undefined;
  /** The command's metadata: written on every row, hold and allowance the change writes, and on its events. */
  readonly metadata?: Metadata | null | undefined;
  /** Where wallet limits and their periods come from; without it nothing is limited or counted. */
  readonly limits?: LimitPolicy | undefined;
}

export type Clock = () => Date;
export type IdGenerator = () => string;

export const systemClock: Clock = () => new Date();
const ID_POOL_BYTES = 4096;
const idPool = new Uint8Array(ID_POOL_BYTES);
let idPoolOffset = ID_POOL_BYTES;
const HEX_CODES = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
const idCodes: number[] = new Array<number>(36).fill(45); // '-' where no hex digit goes

/**
 * A random (version 4) UUID, lower case, from the platform's CSPRNG (`crypto.getRandomValues`,
 * drawn 4 KiB at a time as Node's own `randomUUID` does). Not `crypto.randomUUID()`: Node builds
 * that by concatenating hex pairs, so its result is a tree of about fourteen cons strings (some
 * 500 bytes) that every ledger row and event keeping the id would keep; `String.fromCharCode`
 * makes one flat 36-byte string. Measured: half the memory a transfer leaves behind, and 0.2 µs
 * per id against 0.6 µs for a flattened `randomUUID()`.
 */
export const randomIds: IdGenerator = () => {
  if (idPoolOffset === ID_POOL_BYTES) {
    globalThis.crypto.getRandomValues(idPool);
    idPoolOffset = 0;
  }
  const o = idPoolOffset;
  idPoolOffset += 16;
  let j = 0;
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) j++;
    // Byte 6 carries the version (4), byte 8 the RFC 9562 variant (10xx).
    const byte = i === 6 ? ((idPool[o + i] as number) & 0x0f) | 0x40 : i === 8 ? ((idPool[o + i] as number) & 0x3f) | 0x80 : (idPool[o + i] as number);
    idCodes[j++] = HEX_CODES[byte >> 4] as number;
    idCodes[j++] = HEX_CODES[byte & 15] as number;
  }
  return String.fromCharCode(...idCodes);
};
