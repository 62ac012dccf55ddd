import { WalletService } from '@goodgo/wallet-core';
import type { PoolClient } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodePostgresStore } from '../src/node-postgres/index.js';
import type { NodePostgresDriver } from '../src/node-postgres/driver.js';
import type { SqlWalletStore } from '../src/sql-store.js';
import { adminUrl, freshDatabase } from './support/postgres.js';

const EXECUTED = /EXECUTE "([^"]+)"/;

/**
 * A transaction's first statement runs as SQL `EXECUTE` of the plan the driver saw its connection
 * prepare. Behind a pooler that passes protocol-level prepared statements on (PgBouncer's
 * max_prepared_statements) the server connection has no statement of that name: the pooler
 * renames what it passes on, and lends another server connection per transaction. Here the
 * statement disappears behind the driver's back on the very connection (DEALLOCATE); the driver
 * must roll the aborted transaction back, send the statement inlined, and keep doing so.
 */
describe.runIf(adminUrl)('PostgreSQL', () => {
  let store: SqlWalletStore;
  let drop: () => Promise<void>;
  /** Every simple-protocol message the store sent (the messages that carry BEGIN among them). */
  const sent: string[] = [];
  const statements: string[] = [];
  beforeAll(async () => {
    const db = await freshDatabase('first_statement_plan_gone');
    drop = db.drop;
    // One connection: the transfers' and the DEALLOCATE's, the same server session.
    store = await createNodePostgresStore({ connectionString: db.url, max: 1, onStatement: (name) => void statements.push(name) });
    const recorded = new WeakSet<PoolClient>();
    (store.driver as NodePostgresDriver).pool.on('acquire', (client) => {
      if (recorded.has(client)) return;
      recorded.add(client);
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
        if (typeof args[0] === 'string') sent.push(args[0]);
        return query(...args);
      };
    });
  });
  afterAll(async () => {
    await store.close();
    await drop();
  });

  const pool = () => (store.driver as NodePostgresDriver).pool;
  /** Drops prepared statements on the pool's only connection, in a simple-protocol message, as someone else would. */
  async function deallocate(names: Iterable<string>): Promise<void> {
    const client = await pool().connect();
    try {
      for (const name of names) await client.query(`DEALLOCATE "${name}"`);
    } finally {
      client.release();
    }
  }
  async function preparedNames(): Promise<Set<string>> {
    const client = await pool().connect();
    try {
      const { rows } = await client.query<{ name: string }>('SELECT name FROM pg_prepared_statements');
      return new Set(rows.map((r) => r.name));
    } finally {
      client.release();
    }
  }
  /** The statements the messages that carry BEGIN ran by name with SQL `EXECUTE`. */
  function executed(messages: readonly string[]): Set<string> {
    const names = new Set<string>();
    for (const m of messages) {
      const name = m.startsWith('BEGIN') ? EXECUTED.exec(m)?.[1] : undefined;
      if (name !== undefined) names.add(name);
    }
    return names;
  }
  async function ledger(walletId: string): Promise<{ type: string; n: number; sum: string }[]> {
    return store.driver.query<{ type: string; n: number; sum: string }>(
      'SELECT type, count(*)::int AS n, sum(amount)::text AS sum FROM wallet_transactions WHERE wallet_id = $1 GROUP BY type ORDER BY type',
      [walletId],
    );
  }

  it('runs transfers whose locking read lost its prepared plan, once each, and sends that read inlined from then on', async () => {
    const service = new WalletService({ store });
    const a = await service.createWallet({ userId: 'gone-a', currency: 'VND' });
    const b = await service.createWallet({ userId: 'gone-b', currency: 'VND' });
    await service.deposit({ walletId: a.id, amount: '1000' });
    // The first transfer prepares the locking read on the connection, the second EXECUTEs it;
    // concurrent rounds do the same for the shapes a batch of several opens with.
    await service.transfer({ fromWalletId: a.id, toWalletId: b.id, amount: '1' });
    await service.transfer({ fromWalletId: a.id, toWalletId: b.id, amount: '1' });
    for (let round = 0; round < 2; round++) {
      await Promise.all(Array.from({ length: 4 }, () => service.transfer({ fromWalletId: a.id, toWalletId: b.id, amount: '1' })));
    }
    const names = executed(sent);
    expect(names.size).toBeGreaterThan(0);
    const before = await preparedNames();
    for (const name of names) expect(before.has(name)).toBe(true);

    await deallocate(names);
    sent.length = 0;
    statements.length = 0;
    // Each transfer's first message would EXECUTE a statement the server no longer has (26000).
    for (let i = 1; i <= 5; i++) await service.transfer({ fromWalletId: a.id, toWalletId: b.id, amount: String(i) });
    await Promise.all(Array.from({ length: 6 }, () => service.transfer({ fromWalletId: a.id, toWalletId: b.id, amount: '10' })));

    // 10 before, 15 and 60 after: every transfer applied once, none twice.
    expect((await service.getWallet({ walletId: a.id })).balance).toBe('915');
    expect((await service.getWallet({ walletId: b.id })).balance).toBe('85');
    expect(await ledger(a.id)).toEqual([
      { type: 'deposit', n: 1, sum: '1000' },
      { type: 'transfer_out', n: 21, sum: '85' },
    ]);
    expect(await ledger(b.id)).toEqual([{ type: 'transfer_in', n: 21, sum: '85' }]);
    // Nothing failed on the way to the caller's answer: no unit ran again, no batch was split.
    expect(statements).not.toContain('retry');
    expect(statements).not.toContain('batch_fallback');
    // The first EXECUTE failed and was rolled back; every first statement after it went inlined,
    // so nothing prepared the dropped statements again.
    const begins = sent.filter((m) => m.startsWith('BEGIN'));
    expect(begins.filter((m) => EXECUTED.test(m))).toHaveLength(1);
    expect(begins.filter((m) => !EXECUTED.test(m) && /\bFOR UPDATE\b|\bSELECT\b/i.test(m)).length).toBeGreaterThanOrEqual(6);
    const after = await preparedNames();
    for (const name of names) expect(after.has(name)).toBe(false);
  });
});
