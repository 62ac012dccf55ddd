import { type WalletService, wasReplayed, type WalletView } from '@goodgo/wallet-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlWalletStore } from '../src/sql-store.js';
import { adminUrl, raceStore } from './support/postgres.js';

/**
 * Races on real PostgreSQL connections, through the store's default group commit: commands with a
 * lock plan share batches, those without run on their own pooled connections, so row locks, lock
 * order, the idempotency key's unique index and the batch's isolation of each command are what
 * keep the end state exact. Each case asserts that end state to the đồng.
 */
describe.runIf(adminUrl)('races on PostgreSQL (pool of 20)', () => {
  let store: SqlWalletStore;
  let service: WalletService;
  let statements: Map<string, number>;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ store, service, statements, close } = await raceStore('races'));
  });
  afterAll(async () => {
    await close();
  });

  const sql = async (text: string, params: unknown[] = []) => store.driver.query(text, params);
  let users = 0;
  async function walletWith(balance: string): Promise<WalletView> {
    const w = await service.createWallet({ userId: `race-${++users}` });
    if (balance !== '0') await service.deposit({ walletId: w.id, amount: balance });
    return w;
  }
  async function ledgerBalance(walletId: string): Promise<string> {
    const [row] = await sql(
      `SELECT COALESCE(SUM(CASE WHEN type IN ('deposit', 'transfer_in') THEN amount ELSE -amount END), 0)::text AS net
       FROM wallet_transactions WHERE wallet_id = $1`,
      [walletId],
    );
    return String(row?.net);
  }

  it('lets exactly 100 of 200 concurrent withdrawals of 1 through a balance of 100', async () => {
    const w = await walletWith('100');
    const results = await Promise.allSettled(Array.from({ length: 200 }, () => service.withdraw({ walletId: w.id, amount: '1' })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(100);
    const codes = new Set(results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as { code: string }).code] : [])));
    expect([...codes]).toEqual(['INSUFFICIENT_FUNDS']);
    expect((await service.getWallet({ walletId: w.id })).balance).toBe('0');
    expect(await ledgerBalance(w.id)).toBe('0');
    const [count] = await sql(`SELECT count(*)::int AS n FROM wallet_transactions WHERE wallet_id = $1 AND type = 'withdrawal'`, [w.id]);
    expect(count?.n).toBe(100);
  });

  it('runs 300 concurrent transfers in both directions between two wallets without a deadlock reaching the caller', async () => {
    const a = await walletWith('100000');
    const b = await walletWith('100000');
    statements.clear();
    const results = await Promise.allSettled(
      Array.from({ length: 300 }, (_, i) =>
        i % 2 === 0
          ? service.transfer({ fromWalletId: a.id, toWalletId: b.id, amount: '7' })
          : service.transfer({ fromWalletId: b.id, toWalletId: a.id, amount: '11' }),
      ),
    );
    const failures = results.filter((r) => r.status === 'rejected');
    expect(failures).toEqual([]);
    // Locks taken in id order never deadlock, so the retry loop had nothing to do.
    expect(statements.get('retry')).toBeUndefined();
    const [wa, wb] = [await service.getWallet({ walletId: a.id }), await service.getWallet({ walletId: b.id })];
    expect(wa.balance).toBe(String(100000 - 150 * 7 + 150 * 11));
    expect(wb.balance).toBe(String(100000 + 150 * 7 - 150 * 11));
    expect(await ledgerBalance(a.id)).toBe(wa.balance);
    expect(await ledgerBalance(b.id)).toBe(wb.balance);
  });

  it('applies 20 concurrent requests carrying one idempotency key once', async () => {
    const w = await walletWith('0');
    const results = await Promise.all(
      Array.from({ length: 20 }, () => service.deposit({ walletId: w.id, amount: '500' }, { idempotencyKey: 'race-key', idempotencyScope: 'pos-1' })),
    );
    expect(results.filter((r) => !wasReplayed(r))).toHaveLength(1);
    for (const r of results) expect(JSON.stringify(r)).toBe(JSON.stringify(results[0]));
    expect((await service.getWallet({ walletId: w.id })).balance).toBe('500');
    const [rows] = await sql('SELECT count(*)::int AS n FROM wallet_transactions WHERE wallet_id = $1', [w.id]);
    expect(rows?.n).toBe(2 - 1);
  });

  it('never takes a point account below zero when 60 concurrent spends drain 50 points', async () => {
    const userId = `points-race-${++users}`;
    await service.earnPoints({ userId, points: 30, source: 'order:1', expiresAt: '2099-01-01T00:00:00Z' });
    await service.earnPoints({ userId, points: 20, source: 'order:2' });
    const results = await Promise.allSettled(Array.from({ length: 60 }, () => service.spendPoints({ userId, points: 1, source: 'drain' })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(50);
    expect(await service.getPointAccount({ userId })).toMatchObject({ availablePoints: 0, totalPoints: 50 });
    const [lots] = await sql('SELECT sum(remaining)::int AS remaining FROM point_lots l JOIN point_accounts a ON a.id = l.account_id WHERE a.user_id = $1', [
      userId,
    ]);
    expect(lots?.remaining).toBe(0);
  });

  it('keeps the bank balanced: 20 wallets, 1 000 concurrent random transfers', async () => {
    const wallets = await Promise.all(Array.from({ length: 20 }, () => walletWith('5000')));
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const moves = Array.from({ length: 1000 }, () => {
      const from = rand(20);
      const to = (from + 1 + rand(19)) % 20;
      return { from: wallets[from] as WalletView, to: wallets[to] as WalletView, amount: String(1 + rand(100)) };
    });
    const results = await Promise.allSettled(moves.map((m) => service.transfer({ fromWalletId: m.from.id, toWalletId: m.to.id, amount: m.amount })));
    for (const r of results) if (r.status === 'rejected') expect((r.reason as { code: string }).code).toBe('INSUFFICIENT_FUNDS');
    expect(results.filter((r) => r.status === 'fulfilled').length).toBeGreaterThan(500);
    const ids = wallets.map((w) => w.id);
    const [total] = await sql('SELECT sum(balance)::text AS total, min(balance)::text AS lowest FROM wallets WHERE id = ANY($1::uuid[])', [ids]);
    expect(total).toEqual({ total: '100000', lowest: expect.not.stringMatching(/^-/) });
    for (const w of ids) expect(await ledgerBalance(w)).toBe((await service.getWallet({ walletId: w })).balance);
    const [pairs] = await sql(
      `SELECT count(*)::int AS unbalanced FROM (
         SELECT transfer_id FROM wallet_transactions WHERE wallet_id = ANY($1::uuid[]) AND transfer_id IS NOT NULL
         GROUP BY transfer_id
         HAVING sum(CASE WHEN type = 'transfer_in' THEN amount ELSE -amount END) <> 0 OR count(*) <> 2) t`,
      [ids],
    );
    expect(pairs?.unbalanced).toBe(0);
  });

  it('sends a transfer as two statements inside its transaction: lock both rows, write everything', async () => {
    const a = await walletWith('100');
    const b = await walletWith('0');
    statements.clear();
    await service.transfer({ fromWalletId: a.id, toWalletId: b.id, amount: '1' });
    expect(Object.fromEntries(statements)).toEqual({ wallet_lock_wallets: 1, wallet_flush: 1 });
    statements.clear();
    await service.transfer({ fromWalletId: a.id, toWalletId: b.id, amount: '1' }, { idempotencyKey: 'rt-1' });
    expect(Object.fromEntries(statements)).toEqual({ wallet_claim_key: 1, wallet_lock_wallets: 1, wallet_flush: 1 });
    statements.clear();
    await service.transfer({ fromWalletId: a.id, toWalletId: b.id, amount: '1' }, { idempotencyKey: 'rt-1' });
    expect(Object.fromEntries(statements)).toEqual({ wallet_claim_key: 1, wallet_read_key: 1 });
  });

  it('rolls back a failing command completely, its idempotency key included', async () => {
    const w = await walletWith('10');
    await expect(service.withdraw({ walletId: w.id, amount: '11' }, { idempotencyKey: 'fails-once' })).rejects.toMatchObject({ code: 'INSUFFICIENT_FUNDS' });
    const [keys] = await sql(`SELECT count(*)::int AS n FROM idempotency_keys WHERE key = 'fails-once'`);
    expect(keys?.n).toBe(0);
    const [events] = await sql('SELECT count(*)::int AS n FROM outbox_events WHERE aggregate_id = $1', [w.id]);
    expect(events?.n).toBe(2);
  });

  it('holds the invariants in the database itself, against a caller that skips the domain', async () => {
    const w = await walletWith('10');
    await expect(sql('UPDATE wallets SET balance = -1 WHERE id = $1', [w.id])).rejects.toMatchObject({ code: '23514' });
    await expect(sql('UPDATE wallet_transactions SET amount = 1 WHERE wallet_id = $1', [w.id])).rejects.toMatchObject({ code: '23001' });
    await expect(sql('DELETE FROM wallet_transactions WHERE wallet_id = $1', [w.id])).rejects.toMatchObject({ code: '23001' });
    await expect(sql('UPDATE point_accounts SET available_points = -5')).rejects.toMatchObject({ code: '23514' });
    expect((await service.getWallet({ walletId: w.id })).balance).toBe('10');
  });
});
