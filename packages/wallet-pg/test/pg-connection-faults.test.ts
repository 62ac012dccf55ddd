import { WalletService } from '@goodgo/wallet-core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodePostgresStore } from '../src/node-postgres/index.js';
import type { SqlWalletStore } from '../src/sql-store.js';
import { adminUrl, freshDatabase } from './support/postgres.js';

/**
 * Connections that die under the store: backends terminated by an operator, as in a failover.
 * Only backends of this file's own database are terminated (`datname = current_database()` of
 * a connection to it), never another suite's.
 */
describe.runIf(adminUrl)('connections terminated under the store (PostgreSQL)', () => {
  let store: SqlWalletStore;
  let url: string;
  let drop: () => Promise<void>;
  let operator: pg.Client;
  beforeAll(async () => {
    const db = await freshDatabase('conn_faults');
    url = db.url;
    drop = db.drop;
    store = await createNodePostgresStore({ connectionString: url, max: 8 });
    operator = new pg.Client({ connectionString: url, options: '-c search_path=wallet' });
    await operator.connect();
  });
  afterAll(async () => {
    await operator.end();
    await store.close();
    await drop();
  });

  /** Terminates every other backend of this database (the operator's own excepted), as the operator did. */
  async function terminateAll(except: number[] = []): Promise<number> {
    const { rows } = await operator.query(
      'SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND NOT (pid = ANY($1::int[]))',
      [except],
    );
    return rows[0].n as number;
  }

  async function balanceMatchesLedger(service: WalletService, walletId: string): Promise<string> {
    const wallet = await service.getWallet({ walletId });
    const { rows } = await operator.query(
      "SELECT coalesce(sum(CASE WHEN type IN ('deposit', 'transfer_in') THEN amount ELSE -amount END), 0)::text AS s FROM wallet_transactions WHERE wallet_id = $1",
      [walletId],
    );
    expect(Number(rows[0].s)).toBe(Number(wallet.balance));
    return wallet.balance;
  }

  it('reproduction: 5 withdrawals waiting on a locked wallet, backends terminated: each is SERVICE_UNAVAILABLE, the process lives, the pool recovers', async () => {
    const service = new WalletService({ store });
    const wallet = await service.createWallet({ userId: 'blink-1' });
    await service.deposit({ walletId: wallet.id, amount: '100' });
    // The lock holder plays psql: a plain client holding SELECT … FOR UPDATE.
    const holder = new pg.Client({ connectionString: url, options: '-c search_path=wallet' });
    await holder.connect();
    holder.on('error', () => undefined);
    await holder.query('BEGIN');
    await holder.query('SELECT id FROM wallets WHERE id = $1 FOR UPDATE', [wallet.id]);
    const withdrawals = Array.from({ length: 5 }, (_, i) =>
      service.withdraw({ walletId: wallet.id, amount: '10' }, { idempotencyKey: `blink-${i}` }).then(
        () => 'ok',
        (e: { code?: string }) => e.code,
      ),
    );
    // Wait until all five wait for the row lock: the first in a transaction of its own, the other
    // four queued behind it as one batch (group commit), which has not begun yet.
    for (let i = 0; i < 100; i++) {
      const { rows } = await operator.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");
      if (rows[0].n >= 1) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await terminateAll()).toBeGreaterThanOrEqual(2);
    const [waiting, ...queued] = await Promise.all(withdrawals);
    expect(waiting).toBe('SERVICE_UNAVAILABLE');
    // The batch leaves after the failover, on a fresh connection or on one the pool has not yet
    // seen die: its four commands share one fate, and each is either applied once or not at all.
    expect(queued.every((code) => code === queued[0])).toBe(true);
    expect(['ok', 'SERVICE_UNAVAILABLE']).toContain(queued[0]);
    await holder.end().catch(() => undefined);
    // The pool hands out fresh connections: the same keys now execute, once each.
    for (let i = 0; i < 5; i++) await service.withdraw({ walletId: wallet.id, amount: '10' }, { idempotencyKey: `blink-${i}` });
    for (let i = 0; i < 5; i++) await service.withdraw({ walletId: wallet.id, amount: '10' }, { idempotencyKey: `blink-${i}` });
    expect(await balanceMatchesLedger(service, wallet.id)).toBe('50');
  });

  it('survives a connection that dies between two statements of a unit of work, and never lends it again', async () => {
    const service = new WalletService({ store });
    const wallet = await service.createWallet({ userId: 'blink-2' });
    const outcome = store
      .transaction(
        async (uow) => {
          await uow.lockWallets([wallet.id]);
          // The connection dies while the unit holds it, idle: pg emits 'error' on the client.
          const { rows } = await operator.query("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction'");
          for (const r of rows) await operator.query('SELECT pg_terminate_backend($1)', [r.pid]);
          await new Promise((r) => setTimeout(r, 200));
          await uow.lockWallets([wallet.id]);
        },
        { wallets: [wallet.id], pointAccounts: [], idempotency: null },
      )
      .then(
        () => 'ok',
        (e: { code?: string }) => e.code,
      );
    expect(await outcome).toBe('SERVICE_UNAVAILABLE');
    // Every connection the pool lends afterwards works.
    await Promise.all(Array.from({ length: 8 }, (_, i) => service.deposit({ walletId: wallet.id, amount: '1' }, { idempotencyKey: `after-${i}` })));
    expect(await balanceMatchesLedger(service, wallet.id)).toBe('8');
  });

  it('refuses to carry a NUL or a lone surrogate to the database, bound or inlined, and keeps the connection', async () => {
    const service = new WalletService({ store });
    for (const bad of ['a\u0000b', 'a\ud800b', '\udc00']) {
      // The idempotency scope travels inlined with BEGIN; the driver refuses it before sending.
      await expect(service.createWallet({ userId: 'ok-user' }, { idempotencyKey: 'k', idempotencyScope: bad })).rejects.toMatchObject({
        code: 'VALIDATION_ERROR',
      });
      await expect(store.driver.query('SELECT $1::text', [bad])).rejects.toThrow(/well-formed/);
    }
    expect(await store.listWallets('ok-user')).toEqual([]);
    await store.ping();
  });
});
