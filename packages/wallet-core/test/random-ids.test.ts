import { describe, expect, it } from 'vitest';
import { randomIds, schemas } from '../src/index.js';

const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('randomIds', () => {
  it('makes lower-case version 4 UUIDs that the input schemas accept', () => {
    for (let i = 0; i < 1000; i++) {
      const id = randomIds();
      expect(id).toMatch(V4);
      expect(schemas.uuidSchema.parse(id)).toBe(id);
    }
  });

  it('never repeats across many refills of its random pool', () => {
    const ids = new Set(Array.from({ length: 50_000 }, () => randomIds()));
    expect(ids.size).toBe(50_000);
  });

  it('draws every hex digit in every free position', () => {
    // 122 random bits: each of the 30 free hex positions should see all 16 digits in 5 000 ids.
    const seen = Array.from({ length: 36 }, () => new Set<string>());
    for (let i = 0; i < 5000; i++) [...randomIds()].forEach((c, p) => seen[p]?.add(c));
    const free = [...Array(36).keys()].filter((p) => ![8, 13, 14, 18, 19, 23].includes(p));
    for (const p of free) expect(seen[p]?.size, `position ${p}`).toBe(16);
    expect([...(seen[19] ?? [])].sort()).toEqual(['8', '9', 'a', 'b']);
  });
});
