import { WalletService } from '@goodgo/wallet-core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodePostgresStore } from '../src/node-postgres/index.js';
import type { SqlWalletStore } from '../src/sql-store.js';
import { tcpProxyFor, type ProxiedDatabase } from '../src/testing.js';
import { adminUrl, freshDatabase } from './support/postgres.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; !ok(); await sleep(5)) if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
}

/**
 * A connection attempt that hangs (a failover's old primary, unreachable), made real: a TCP proxy
 * in front of PostgreSQL accepts the pool's next connection and never answers it. The pool keeps
 * no idle connection, so every batch opens one. The commands queued meanwhile must leave on the
 * other slot, and take the stalled batch's command with them.
 */
describe.runIf(adminUrl)('a connection attempt that hangs (PostgreSQL)', () => {
  let store: SqlWalletStore;
  let pool: pg.Pool;
  let proxy: ProxiedDatabase;
  let drop: () => Promise<void>;
  let url: string;
  beforeAll(async () => {
    const db = await freshDatabase('hung_connect');
    drop = db.drop;
    url = db.url;
    proxy = await tcpProxyFor(db.url);
    // A connect timeout far beyond the test: what completes does so without waiting for the hung attempt.
    pool = new pg.Pool({ connectionString: proxy.url, max: 6, idleTimeoutMillis: 1, connectionTimeoutMillis: 120_000 });
    pool.on('error', () => undefined);
    store = await createNodePostgresStore({ pool });
  });
  afterAll(async () => {
    proxy.up();
    await store.close();
    await pool.end();
    await proxy.close();
    await drop();
  });

  it('answers the commands queued behind a batch whose connection hangs, on the other slot, the stalled one included', { timeout: 30_000 }, async () => {
    const service = new WalletService({ store });
    const wallets = await Promise.all(Array.from({ length: 9 }, (_, i) => service.createWallet({ userId: `hung-${i}` })));
    await until('the idle connections to close', () => pool.idleCount === 0);
    proxy.holdNext();
    const stalled = service.deposit({ walletId: (wallets[0] as { id: string }).id, amount: '5' }, { idempotencyKey: 'hung-0' });
    await until('the first batch to connect', () => proxy.held === 1);
    const queued = wallets.slice(1).map((w, i) => service.deposit({ walletId: w.id, amount: '7' }, { idempotencyKey: `hung-${i + 1}` }));
    const answers = await Promise.all([stalled, ...queued]);
    expect(answers.map((r) => r.transaction.amount)).toEqual(['5', ...Array.from({ length: 8 }, () => '7')]);
    // Nothing waited for the attempt that hangs: it still hangs.
    expect(proxy.held).toBe(1);
    const balances = await Promise.all(wallets.map((w) => service.getWallet({ walletId: w.id }).then((x) => x.balance)));
    expect(balances).toEqual(['5', ...Array.from({ length: 8 }, () => '7')]);
    // The hung attempt, cut at last, answers no one and leaves nothing behind; the keys replay.
    proxy.up();
    await until('the hung attempt to end', () => proxy.held === 0);
    const again = await service.deposit({ walletId: (wallets[0] as { id: string }).id, amount: '5' }, { idempotencyKey: 'hung-0' });
    expect(again.transaction.id).toBe(answers[0]?.transaction.id);
    expect((await service.getWallet({ walletId: (wallets[0] as { id: string }).id })).balance).toBe('5');
  });

  it('lets a command arriving beside a stalled batch larger than twice its size leave, and take that batch along', { timeout: 30_000 }, async () => {
    // A pool that keeps its idle connections, and has one (the first batch's) when the queue is
    // split: one half reuses it at once, the other opens one, which hangs.
    const pool2 = new pg.Pool({ connectionString: proxy.url, max: 6, idleTimeoutMillis: 60_000, connectionTimeoutMillis: 120_000 });
    pool2.on('error', () => undefined);
    const store2 = await createNodePostgresStore({ pool: pool2, migrate: false });
    const blocker = new pg.Client({ connectionString: url });
    await blocker.connect();
    try {
      const opened = new WalletService({ store });
      const [locked, ...wallets] = await Promise.all(Array.from({ length: 22 }, (_, i) => opened.createWallet({ userId: `stall-${i}` })));
      const service = new WalletService({ store: store2 });
      const late = wallets.pop() as { id: string };
      // The first batch (one deposit) waits for a row held outside, so that twenty queue behind it.
      await blocker.query('BEGIN');
      await blocker.query('SELECT 1 FROM wallet.wallets WHERE id = $1 FOR UPDATE', [(locked as { id: string }).id]);
      const first = service.deposit({ walletId: (locked as { id: string }).id, amount: '1' });
      for (const end = Date.now() + 5000; ; await sleep(5)) {
        const { rows } = await blocker.query<{ n: number }>(
          // pg_locks is read live (pg_stat_activity would be this transaction's snapshot): a waiter for the row waits for this transaction's id.
          "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'transactionid' AND NOT granted AND transactionid::text = pg_current_xact_id()::text",
        );
        if ((rows[0]?.n ?? 0) > 0) break;
        if (Date.now() > end) throw new Error('timed out waiting for the first batch to wait for the row');
      }
      let answered = 0;
      const queued = wallets.map((w) =>
        service.deposit({ walletId: w.id, amount: '2' }).then((r) => {
          answered += 1;
          return r;
        }),
      );
      proxy.holdNext();
      await blocker.query('COMMIT');
      await first;
      // Split over both slots: one half commits on the kept connection, the other hangs connecting.
      await until('one half of the queue to be answered', () => answered === 10);
      expect(proxy.held).toBe(1);
      await sleep(50);
      expect(answered).toBe(10);
      // One command beside the stalled batch of ten: it leaves on the free slot and takes the ten.
      const alone = await service.deposit({ walletId: late.id, amount: '3' });
      expect(alone.transaction.amount).toBe('3');
      const all = await Promise.all(queued);
      expect(all.map((r) => r.transaction.amount)).toEqual(Array.from({ length: 20 }, () => '2'));
      expect(proxy.held).toBe(1);
      const balances = await Promise.all([...wallets, late].map((w) => service.getWallet({ walletId: w.id }).then((x) => x.balance)));
      expect(balances).toEqual([...Array.from({ length: 20 }, () => '2'), '3']);
    } finally {
      proxy.up();
      await blocker.end();
      await store2.close();
      await pool2.end();
    }
  });
});
