import { describe, expect, it } from 'vitest';
import { macKey, nativeHashes, portableHashes, sameDigest, type ChainHashes } from '../src/chain-hash.js';

// RFC 4231 test cases 1 and 2 (HMAC-SHA-256), and SHA-256 of "abc" (FIPS 180-2), plus text
// outside ASCII: the chain's canonical rows carry Vietnamese descriptions.
const cases: [string, ChainHashes | null][] = [
  ['Node crypto', nativeHashes],
  ['@noble/hashes (the browser fallback)', portableHashes],
];

describe.each(cases)('the ledger chain hashes, %s', (_, hashes) => {
  it('gives the published HMAC-SHA-256 and SHA-256 vectors', () => {
    expect(hashes).not.toBeNull();
    const h = hashes as ChainHashes;
    expect(h.hmacSha256Hex(macKey('Jefe'), 'what do ya want for nothing?')).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
    expect(h.hmacSha256Hex(new Uint8Array(20).fill(0x0b), 'Hi There')).toBe('b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7');
    expect(h.sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('agrees with the other implementation on text outside ASCII', () => {
    const other = hashes === portableHashes ? nativeHashes : portableHashes;
    const key = macKey('khoá-sổ-cái-2026:bí-mật');
    for (const text of ['Nạp tiền ví GoodGo', '\n["v1","k1",null]', '€ 😀 \u0000 end']) {
      expect(hashes?.hmacSha256Hex(key, text)).toBe(other?.hmacSha256Hex(key, text));
      expect(hashes?.sha256Hex(text)).toBe(other?.sha256Hex(text));
    }
  });
});

describe('comparing digests', () => {
  it('says equal only for the same hex of the same length', () => {
    expect(sameDigest('ab12', 'ab12')).toBe(true);
    expect(sameDigest('ab12', 'ab13')).toBe(false);
    expect(sameDigest('ab12', 'ab1')).toBe(false);
  });
});
