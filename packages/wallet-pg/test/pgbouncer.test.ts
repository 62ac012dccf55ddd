import { WalletService, type WalletView } from '@goodgo/wallet-core';
import { describeStoreContract } from '@goodgo/wallet-core/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodePostgresStore } from '../src/node-postgres/index.js';
import type { SqlWalletStore } from '../src/sql-store.js';
import { findPgBouncer, startPgBouncer, type PgBouncer } from '../src/testing.js';
import { adminUrl, freshDatabase } from './support/postgres.js';

const found = findPgBouncer();
const binary = 'binary' in found ? found.binary : undefined;
if (adminUrl && !binary) console.log(`[wallet-pg] PgBouncer suite skipped: ${'skip' in found ? found.skip : ''}`);

/** A fresh database behind a PgBouncer of its own, in transaction pooling mode. */
async function behindPgBouncer(label: string): Promise<{ url: string; directUrl: string; close(): Promise<void> }> {
  const db = await freshDatabase(label);
  let bouncer: PgBouncer;
  try {
    bouncer = await startPgBouncer(binary as string, db.url);
  } catch (e) {
    await db.drop();
    throw e;
  }
  return {
    url: bouncer.url,
    directUrl: db.url,
    close: async () => {
      await bouncer.stop();
      await db.drop();
    },
  };
}

describe.runIf(adminUrl && binary)('PostgreSQL through PgBouncer 1.18 in transaction pooling mode', () => {
  let closeContract: () => Promise<void> = async () => undefined;
  describeStoreContract('through PgBouncer, DATABASE_PREPARED_STATEMENTS=false', {
    setup: async () => {
      const db = await behindPgBouncer('pgbouncer_contract');
      closeContract = db.close;
      return createNodePostgresStore({ connectionString: db.url, max: 16, preparedStatements: false });
    },
    teardown: async (store) => {
      await store.close();
      await closeContract();
    },
  });

  describe('group commit through the pooler', () => {
    let db: Awaited<ReturnType<typeof behindPgBouncer>>;
    let store: SqlWalletStore;
    const batches: number[] = [];
    beforeAll(async () => {
      db = await behindPgBouncer('pgbouncer_burst');
      store = await createNodePostgresStore({ connectionString: db.url, max: 16, preparedStatements: false, onBatch: (n) => batches.push(n) });
    });
    afterAll(async () => {
      await store.close();
      await db.close();
    });

    it('applies a burst of 600 transfers among 12 wallets exactly once each, in batches, inventing and losing nothing', async () => {
      const service = new WalletService({ store });
      const wallets: WalletView[] = [];
      for (let i = 0; i < 12; i++) {
        const w = await service.createWallet({ userId: `bouncer-${i}` });
        await service.deposit({ walletId: w.id, amount: '10000' });
        wallets.push(w);
      }
      batches.length = 0;
      const expected = new Map(wallets.map((w) => [w.id, 10000]));
      const transfers = Array.from({ length: 600 }, (_, i) => {
        const from = wallets[i % 12] as WalletView;
        const to = wallets[(i * 7 + 5) % 12] as WalletView;
        return { from, to, amount: (i % 9) + 1, key: `burst-${i}` };
      }).filter((t) => t.from.id !== t.to.id);
      const results = await Promise.all(
        transfers.map((t) => service.transfer({ fromWalletId: t.from.id, toWalletId: t.to.id, amount: String(t.amount) }, { idempotencyKey: t.key })),
      );
      expect(results).toHaveLength(transfers.length);
      for (const t of transfers) {
        expected.set(t.from.id, (expected.get(t.from.id) as number) - t.amount);
        expected.set(t.to.id, (expected.get(t.to.id) as number) + t.amount);
      }
      // Replays of the same keys change nothing.
      await Promise.all(
        transfers
          .slice(0, 50)
          .map((t) => service.transfer({ fromWalletId: t.from.id, toWalletId: t.to.id, amount: String(t.amount) }, { idempotencyKey: t.key })),
      );
      expect(Math.max(...batches)).toBeGreaterThan(1);

      // Read directly, not through the pooler: what PostgreSQL itself holds.
      const direct = new pg.Client({ connectionString: db.directUrl });
      await direct.connect();
      try {
        const { rows } = await direct.query<{ id: string; balance: string; ledger: string; n: number }>(
          `SELECT w.id, w.balance::text AS balance,
                  (SELECT t.balance_after::text FROM wallet.wallet_transactions t WHERE t.wallet_id = w.id ORDER BY t.seq DESC LIMIT 1) AS ledger,
                  (SELECT count(*)::int FROM wallet.wallet_transactions t WHERE t.wallet_id = w.id) AS n
             FROM wallet.wallets w`,
        );
        for (const r of rows) {
          expect(r.balance).toBe(String(expected.get(r.id)));
          expect(r.ledger).toBe(r.balance);
        }
        expect(rows.reduce((sum, r) => sum + r.n, 0)).toBe(12 + transfers.length * 2);
      } finally {
        await direct.end();
      }
      expect((await service.reconcile()).ok).toBe(true);
    });

    it('sends no startup options: a store with them, as before, is refused by the pooler', async () => {
      const pool = new pg.Pool({ connectionString: db.url, max: 1, options: '-c search_path=wallet' });
      pool.on('error', () => undefined);
      await expect(pool.query('SELECT 1')).rejects.toThrow(/unsupported startup parameter: options/);
      await pool.end();
    });
  });
});
