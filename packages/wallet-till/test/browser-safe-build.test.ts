import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const dist = join(import.meta.dirname, '..', 'dist');

describe('the built package', () => {
  it('imports nothing Node-only in its main entry, so a browser tab runs the same code', async () => {
    for (const file of ['index.js', 'index.cjs']) {
      const code = await readFile(join(dist, file), 'utf8');
      const imported = new Set([...code.matchAll(/(?:from\s+|require\()\s*["']([^"']+)["']/g)].map((m) => m[1]));
      expect([...imported].sort()).toEqual(['@electric-sql/pglite', '@goodgo/wallet-core', 'zod']);
      expect(code).not.toMatch(/\bprocess\.|\bBuffer\b|__dirname|import\.meta\.url/);
    }
  });
});
