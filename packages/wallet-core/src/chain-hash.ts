/**
 * The hashes the ledger chain and its checkpoints need, from Node's crypto where the host has it
 * (native, about three times faster than JavaScript), else from @noble/hashes (audited, pure
 * JavaScript). This package also runs in browsers (the till's bundle imports its schemas and
 * money): there the package's `browser` field maps `crypto` to an empty module, so that nothing
 * here fails to load, and the same hashes come out of the fallback.
 */
import * as nodeCrypto from 'node:crypto';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

/** A MAC key, prepared once for whichever implementation runs. */
export type MacKey = Uint8Array;

export interface ChainHashes {
  /** HMAC-SHA-256 of UTF-8 `text` under `key`, lower-case hex. */
  hmacSha256Hex(key: MacKey, text: string): string;
  /** SHA-256 of UTF-8 `text`, lower-case hex. */
  sha256Hex(text: string): string;
}

/** @internal exported for the test that holds both implementations to the same vectors. */
export const nativeHashes: ChainHashes | null =
  typeof nodeCrypto.createHmac === 'function'
    ? {
        hmacSha256Hex: (key, text) => nodeCrypto.createHmac('sha256', key).update(text, 'utf8').digest('hex'),
        sha256Hex: (text) => nodeCrypto.createHash('sha256').update(text, 'utf8').digest('hex'),
      }
    : null;

/** @internal */
export const portableHashes: ChainHashes = {
  hmacSha256Hex: (key, text) => bytesToHex(hmac(sha256, key, utf8ToBytes(text))),
  sha256Hex: (text) => bytesToHex(sha256(utf8ToBytes(text))),
};

const hashes = nativeHashes ?? portableHashes;

export function macKey(secret: string): MacKey {
  return utf8ToBytes(secret);
}

export const hmacSha256Hex = (key: MacKey, text: string): string => hashes.hmacSha256Hex(key, text);
export const sha256Hex = (text: string): string => hashes.sha256Hex(text);

/** Whether two hex digests are equal, in time that does not depend on where they differ. */
export function sameDigest(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
