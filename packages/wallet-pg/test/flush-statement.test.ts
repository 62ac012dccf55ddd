import { describe, expect, it } from 'vitest';
import { getTableConfig } from 'drizzle-orm/pg-core';
import * as schema from '../src/schema.js';
import { flushStatement } from '../src/sql/write.js';

describe('the write-everything statement takes its parameters in the order of its one list of parts', () => {
  it('numbers each part from the list, whatever order the parts are given in', () => {
    const flush = flushStatement({
      responses: { params: [['scope'], ['key'], ['{"ok":true}']], rows: 1 },
      events: { params: ['[events]'], rows: 2 },
      changedWallets: { params: ['[wallets]', ['w1', 'w2']], rows: 2 },
      newWallets: { params: ['[new]'], rows: 1 },
    });
    expect(flush?.params).toEqual(['[new]', '[wallets]', ['w1', 'w2'], '[events]', ['scope'], ['key'], ['{"ok":true}'], 1, 2, 1]);
    const text = flush?.statement.text ?? '';
    expect(text).toContain('jsonb_to_recordset($1::jsonb)');
    expect(text).toMatch(/UPDATE wallets t[\s\S]*jsonb_to_recordset\(\$2::jsonb\)[\s\S]*t\.id = ANY\(\$3::uuid\[\]\)/);
    expect(text).toMatch(/INSERT INTO outbox_events[\s\S]*jsonb_to_recordset\(\$4::jsonb\)/);
    expect(text).toMatch(
      /INSERT INTO idempotency_keys AS k[\s\S]*unnest\(\$5::text\[\], \$6::text\[\], \$7::text\[\]\)[\s\S]*ON CONFLICT \(scope, key\) DO UPDATE/,
    );
    // Events are not counted: the counts are new wallets, changed wallets, the responses stored on claimed rows.
    expect(text).toContain(
      "(SELECT count(*) FROM new_wallets) = $8 AND (SELECT count(*) FROM changed_wallets) = $9 AND (SELECT count(*) FROM responses WHERE fingerprint <> '') = $10",
    );
  });

  it('gives one prepared statement per shape', () => {
    const a = flushStatement({ walletRows: { params: ['[a]'], rows: 1 }, events: { params: ['[e]'], rows: 1 } });
    const b = flushStatement({ events: { params: ['[f]'], rows: 3 }, walletRows: { params: ['[b]'], rows: 2 } });
    expect(a?.statement).toBe(b?.statement);
    expect(b?.params).toEqual(['[b]', '[f]']);
  });

  it('is nothing when nothing changed, and refuses a part given the wrong number of parameters', () => {
    expect(flushStatement({})).toBeNull();
    expect(() => flushStatement({ changedWallets: { params: ['[w]'], rows: 1 } })).toThrow(/changedWallets takes 2 parameters, got 1/);
  });
});

describe('the write statement is made from the schema: no column list is written by hand', () => {
  const all = flushStatement({
    newWallets: { params: ['[]'], rows: 0 },
    changedWallets: { params: ['[]', []], rows: 0 },
    holds: { params: ['[]'], rows: 0 },
    walletRows: { params: ['[]'], rows: 0 },
    newAccounts: { params: ['[]'], rows: 0 },
    changedAccounts: { params: ['[]', []], rows: 0 },
    lots: { params: ['[]'], rows: 0 },
    pointRows: { params: ['[]'], rows: 0 },
    allocations: { params: ['[]'], rows: 0 },
    events: { params: ['[]'], rows: 0 },
  });
  const text = all?.statement.text ?? '';
  it.each([
    [schema.wallets, []],
    [schema.holds, ['seq']],
    // The hash and its key id are the writer's too (the keyed chain); seq is the identity's.
    [schema.walletTransactions, ['seq']],
    [schema.pointAccounts, []],
    [schema.pointLots, []],
    [schema.pointTransactions, ['seq']],
    [schema.pointAllocations, []],
    [schema.outboxEvents, ['seq']],
  ] as const)('inserts every column of %s the writer supplies, with its type in the recordset', (table, databaseWritten) => {
    const config = getTableConfig(table);
    const written = config.columns.filter((c) => !(databaseWritten as readonly string[]).includes(c.name));
    expect(text).toContain(`INSERT INTO ${config.name} (${written.map((c) => c.name).join(', ')})`);
    expect(text).toContain(written.map((c) => `${c.name} ${c.getSQLType()}`).join(', '));
  });
});
