import { WalletService, type ReconciliationProblem } from '@goodgo/wallet-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlDriver } from '../src/driver.js';
import { createNodePostgresStore } from '../src/node-postgres/index.js';
import { createPgliteStore } from '../src/pglite/index.js';
import type { SqlWalletStore } from '../src/sql-store.js';
import { adminUrl, freshDatabase } from './support/postgres.js';

/** What an operator with table-owner rights could do behind the service's back. */
async function asSuperuser(driver: SqlDriver, table: string, trigger: string, statement: string, params: unknown[]): Promise<void> {
  await driver.transaction(async (tx) => {
    await tx.query(`ALTER TABLE ${table} DISABLE TRIGGER ${trigger}`);
    await tx.query(statement, params);
    await tx.query(`ALTER TABLE ${table} ENABLE TRIGGER ${trigger}`);
  });
}

/**
 * Rewrites a wallet's ledger the way an insider with the database and the service's own SQL would:
 * one deposit inflated, then every balanceAfter, every hash (with `wallet_transaction_hash`, the
 * function that hashed the unkeyed chain) and the wallet's balance and chain head recomputed, so
 * that every figure and link the database can check is consistent again. `keyId` is what the
 * rewritten rows name: null to pass them off as unkeyed rows, or kept as written.
 */
async function rewriteWallet(driver: SqlDriver, walletId: string, inflated: string, keyId: 'null' | 'kept'): Promise<void> {
  await asSuperuser(
    driver,
    'wallet_transactions',
    'wallet_transactions_append_only',
    `DO $$
     DECLARE r wallet_transactions%ROWTYPE; prev text; bal numeric := 0;
     BEGIN
       FOR r IN SELECT * FROM wallet_transactions WHERE wallet_id = '${walletId}' ORDER BY seq LOOP
         IF r.id = '${inflated}' THEN r.amount := r.amount + 1000000; END IF;
         bal := bal + CASE WHEN r.type IN ('deposit', 'transfer_in', 'refund_in') THEN r.amount ELSE -r.amount END;
         r.balance_after := bal;
         ${keyId === 'null' ? 'r.key_id := NULL;' : ''}
         prev := wallet_transaction_hash(prev, r);
         UPDATE wallet_transactions SET amount = r.amount, balance_after = r.balance_after, key_id = r.key_id, hash = prev WHERE id = r.id;
       END LOOP;
       UPDATE wallets SET balance = bal, chain_head = prev WHERE id = '${walletId}';
     END $$`,
    [],
  );
}

function tamperSuite(name: string, setup: () => Promise<{ store: SqlWalletStore; teardown: () => Promise<void> }>) {
  describe(`reconciliation finds what was changed behind the service (${name})`, () => {
    let store: SqlWalletStore;
    let teardown: () => Promise<void>;
    let service: WalletService;
    beforeAll(async () => {
      ({ store, teardown } = await setup());
      service = new WalletService({ store });
    });
    afterAll(async () => teardown());

    it('reports an edited balance, an edited ledger amount and a deleted lot, each with its id; clean books are ok', async () => {
      const a = await service.createWallet({ userId: 'tamper-a' });
      const b = await service.createWallet({ userId: 'tamper-b' });
      const c = await service.createWallet({ userId: 'tamper-c' });
      await service.deposit({ walletId: a.id, amount: '1000' });
      await service.deposit({ walletId: b.id, amount: '500' });
      await service.deposit({ walletId: c.id, amount: '300' });
      const paid = await service.transfer({ fromWalletId: b.id, toWalletId: c.id, amount: '200' });
      await service.withdraw({ walletId: b.id, amount: '50' });
      const earned = await service.earnPoints({ userId: 'tamper-p', points: 70, source: 'order:1' });
      expect(await service.reconcile()).toMatchObject({ ok: true, problems: [], wallets: 3, pointAccounts: 1, ledgerRows: 7 });

      // 1. `UPDATE wallets SET balance = balance + 1000000`, as an auditor tried it in psql.
      await store.driver.query('UPDATE wallets SET balance = balance + 1000000 WHERE id = $1', [a.id]);
      // 2. A ledger amount rewritten with the append-only trigger lifted.
      await asSuperuser(store.driver, 'wallet_transactions', 'wallet_transactions_append_only', 'UPDATE wallet_transactions SET amount = 250 WHERE id = $1', [
        paid.transaction.id,
      ]);
      // 3. A point lot deleted by a superuser with every trigger and foreign key check lifted.
      await store.driver.transaction(async (tx) => {
        await tx.query('SET LOCAL session_replication_role = replica');
        await tx.query('DELETE FROM point_lots WHERE id = $1', [earned.transaction.id]);
      });

      const report = await service.reconcile();
      expect(report.ok).toBe(false);
      const found = (kind: ReconciliationProblem['kind']) =>
        report.problems
          .filter((p) => p.kind === kind)
          .map((p) => p.id)
          .sort();
      expect(found('balance_mismatch')).toEqual([a.id, b.id].sort());
      expect(found('hash_mismatch')).toEqual([paid.transaction.id]);
      // The edited row breaks its own balanceAfter, and the next row of the wallet (the withdrawal) follows from it no longer.
      expect(found('balance_after_mismatch')).toContain(paid.transaction.id);
      expect(found('transfer_unbalanced')).toEqual([paid.transferId]);
      expect(found('points_mismatch')).toEqual([earned.account.id]);
      for (const p of report.problems) expect(p.detail.length).toBeGreaterThan(0);
    });

    it('reports a held amount that no longer matches the active holds, and a points row whose balanceAfter was rewritten', async () => {
      const w = await service.createWallet({ userId: 'tamper-held' });
      await service.deposit({ walletId: w.id, amount: '1000' });
      const hold = await service.placeHold({ walletId: w.id, amount: '300' });
      const other = await service.createWallet({ userId: 'tamper-hold-row' });
      await service.deposit({ walletId: other.id, amount: '1000' });
      const edited = await service.placeHold({ walletId: other.id, amount: '100' });
      await service.earnPoints({ userId: 'tamper-points', points: 50, source: 'order:1' });
      await service.earnPoints({ userId: 'tamper-points', points: 10, source: 'order:2', pending: true });
      const spent = await service.spendPoints({ userId: 'tamper-points', points: 20, source: 'order:3' });
      const before = (await service.reconcile()).problems.map((p) => p.id);

      // The wallet's held amount edited; on the other wallet, the hold itself.
      await store.driver.query('UPDATE wallets SET held_amount = held_amount + 200 WHERE id = $1', [w.id]);
      await store.driver.query('UPDATE holds SET amount = 90 WHERE id = $1', [edited.id]);
      // A points row's balanceAfter rewritten with the append-only trigger lifted.
      await asSuperuser(
        store.driver,
        'point_transactions',
        'point_transactions_append_only',
        'UPDATE point_transactions SET balance_after = 45 WHERE id = $1',
        [spent.transaction.id],
      );

      const problems = (await service.reconcile()).problems.filter((p) => !before.includes(p.id));
      const found = (kind: ReconciliationProblem['kind']) =>
        problems
          .filter((p) => p.kind === kind)
          .map((p) => p.id)
          .sort();
      expect(found('held_mismatch')).toEqual([w.id, other.id].sort());
      expect(problems.find((p) => p.id === w.id)?.detail).toBe('held amount 500; its active holds and allowances reserve 300');
      expect(found('points_balance_after_mismatch')).toEqual([spent.transaction.id]);
      expect(problems.map((p) => p.kind).sort()).toEqual(['held_mismatch', 'held_mismatch', 'points_balance_after_mismatch']);
      expect(hold.status).toBe('active');
    });

    it("finds a split payment's money row re-pointed at another points row, or cut loose from its own", async () => {
      const w = await service.createWallet({ userId: 'tamper-pay' });
      await service.deposit({ walletId: w.id, amount: '1000' });
      await service.earnPoints({ userId: 'tamper-pay', points: 10, source: 'order:1' });
      const first = await service.pay({ walletId: w.id, amount: '100', points: 3, reference: 'ord-t1' });
      const second = await service.pay({ walletId: w.id, amount: '100', points: 3, reference: 'ord-t2' });
      const before = (await service.reconcile()).problems.map((p) => p.id);
      expect(before).not.toContain(first.transaction.id);
      const edit = (text: string, params: unknown[]) => asSuperuser(store.driver, 'wallet_transactions', 'wallet_transactions_append_only', text, params);
      await edit('UPDATE wallet_transactions SET paired_with = $2 WHERE id = $1', [first.transaction.id, second.pointTransaction?.id]);
      await edit('UPDATE wallet_transactions SET paired_with = NULL WHERE id = $1', [second.transaction.id]);
      const problems = (await service.reconcile()).problems.filter((p) => !before.includes(p.id));
      expect(problems.map((p) => [p.kind, p.id])).toEqual([
        ['hash_mismatch', first.transaction.id],
        ['hash_mismatch', second.transaction.id],
      ]);
    });

    it.each(['null', 'kept'] as const)(
      'finds an inflated deposit whose balanceAfter, hashes, balance and chain head were all recomputed with the service own SQL function (key id %s)',
      async (keyId) => {
        const w = await service.createWallet({ userId: `tamper-rewrite-${keyId}` });
        const first = await service.deposit({ walletId: w.id, amount: '100' });
        const second = await service.deposit({ walletId: w.id, amount: '50' });
        const paid = await service.withdraw({ walletId: w.id, amount: '30' });
        const before = (await service.reconcile()).problems.map((p) => p.id);
        expect(before).not.toContain(w.id);

        await rewriteWallet(store.driver, w.id, first.transaction.id, keyId);
        const [row] = await store.driver.query('SELECT balance::text AS balance FROM wallets WHERE id = $1', [w.id]);
        expect(row?.balance).toBe('1000120');

        const problems = (await service.reconcile()).problems.filter((p) => !before.includes(p.id));
        // Every figure the database can check adds up; only the keyed chain tells.
        expect(problems.map((p) => p.kind)).toEqual(['hash_mismatch', 'hash_mismatch', 'hash_mismatch']);
        expect(problems.map((p) => p.id)).toEqual([first.transaction.id, second.transaction.id, paid.transaction.id]);
        expect(problems[0]?.detail).toBe(
          keyId === 'null'
            ? 'an unkeyed hash on a row the keyed chain should have written'
            : 'the row or the row before it in this wallet was changed or removed',
        );
      },
    );

    it('finds a deleted ledger row by the break it leaves in the chain', async () => {
      const w = await service.createWallet({ userId: 'tamper-delete' });
      await service.deposit({ walletId: w.id, amount: '10' });
      const middle = await service.deposit({ walletId: w.id, amount: '20' });
      const last = await service.deposit({ walletId: w.id, amount: '30' });
      await asSuperuser(store.driver, 'wallet_transactions', 'wallet_transactions_append_only', 'DELETE FROM wallet_transactions WHERE id = $1', [
        middle.transaction.id,
      ]);
      const problems = (await service.reconcile()).problems.filter((p) => p.id === w.id || p.id === last.transaction.id);
      expect(problems.map((p) => p.kind).sort()).toEqual(['balance_after_mismatch', 'balance_mismatch', 'hash_mismatch']);
    });
  });
}

tamperSuite('PGlite', async () => {
  const store = await createPgliteStore();
  return { store, teardown: () => store.close() };
});

describe.runIf(adminUrl)('on PostgreSQL', () => {
  tamperSuite('PostgreSQL', async () => {
    const db = await freshDatabase('tamper');
    const store = await createNodePostgresStore({ connectionString: db.url, max: 2 });
    return {
      store,
      teardown: async () => {
        await store.close();
        await db.drop();
      },
    };
  });
});
