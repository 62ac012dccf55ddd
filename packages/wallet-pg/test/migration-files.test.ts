import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const folder = join(import.meta.dirname, '..', 'drizzle');
const files = readdirSync(folder).filter((f) => f.endsWith('.sql'));

describe('shipped migrations', () => {
  // They run with the store's schema as the only search path; a schema named in them would put
  // objects (or references) outside it. drizzle-kit writes "public". in REFERENCES: delete it.
  it.each(files)('%s names no schema', (file) => {
    const sql = readFileSync(join(folder, file), 'utf8');
    expect(sql).not.toMatch(/"public"\.|\bpublic\.|\bSET\s+search_path|\bCREATE\s+SCHEMA/i);
  });

  it('are all in the journal, in order', () => {
    const journal = JSON.parse(readFileSync(join(folder, 'meta', '_journal.json'), 'utf8')) as { entries: { tag: string; when: number }[] };
    expect(journal.entries.map((e) => `${e.tag}.sql`)).toEqual([...files].sort());
    const whens = journal.entries.map((e) => e.when);
    expect(whens).toEqual([...whens].sort((x, y) => x - y));
  });
});
