import type { WalletService } from '@goodgo/wallet-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlWalletStore } from '../src/sql-store.js';
import { adminUrl, raceStore } from './support/postgres.js';

/**
 * Offline allowances raced on real PostgreSQL connections: tills forwarding the same backlog many
 * times at once, and a customer paying online while the till's sales are booked. The wallet's row
 * lock orders them; the unique key on (allowance, seq) and the allowance's constraints stand
 * behind it. Each case asserts the end state to the đồng, straight from the tables.
 */
describe.runIf(adminUrl)('allowance races on PostgreSQL (pool of 20)', () => {
  let store: SqlWalletStore;
  let service: WalletService;
  let statements: Map<string, number>;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ store, service, statements, close } = await raceStore('allowance_races'));
  });
  afterAll(async () => {
    await close();
  });

  const sql = (text: string, params: unknown[] = []) => store.driver.query(text, params);
  let users = 0;
  async function walletWith(balance: string) {
    const w = await service.createWallet({ userId: `al-race-${++users}` });
    if (balance !== '0') await service.deposit({ walletId: w.id, amount: balance });
    return w;
  }
  const sale = (seq: number, amount: string, toWalletId?: string) => ({
    seq,
    amount,
    occurredAt: new Date(Date.UTC(2026, 11, 7, 1, 0, seq)),
    reference: `sale-${seq}`,
    ...(toWalletId ? { toWalletId } : {}),
  });
  /** The wallet row against its ledger, its allowances and their booked rows. */
  async function books(walletId: string) {
    const [row] = await sql(
      `SELECT w.balance::text AS balance, w.held_amount::text AS held, w.active_allowances,
         (SELECT coalesce(sum(CASE WHEN type IN ('deposit', 'transfer_in', 'refund_in') THEN amount ELSE -amount END), 0)
            FROM wallet_transactions WHERE wallet_id = w.id)::text AS ledger,
         (SELECT coalesce(sum(amount - spent_amount), 0) FROM allowances WHERE wallet_id = w.id AND status = 'active')::text AS reserved,
         (SELECT count(*)::int FROM wallet_transactions WHERE wallet_id = w.id AND allowance_id IS NOT NULL) AS spend_rows,
         (SELECT count(DISTINCT (allowance_id, allowance_seq))::int FROM wallet_transactions WHERE wallet_id = w.id AND allowance_id IS NOT NULL) AS seqs
       FROM wallets w WHERE w.id = $1`,
      [walletId],
    );
    return row;
  }

  it('books a backlog once when 40 syncs of overlapping prefixes of it race', async () => {
    const w = await walletWith('10000000');
    const merchant = await walletWith('0');
    const allowance = await service.openAllowance({ walletId: w.id, tillId: 'till-1', amount: '5000000' });
    const backlog = Array.from({ length: 60 }, (_, i) => sale(i + 1, String(1000 + i), i % 3 === 0 ? merchant.id : undefined));
    // Each sync sends the backlog from its start up to some sale: every one is a retry or an extension of another.
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) => service.syncAllowance({ allowanceId: allowance.id, spends: backlog.slice(0, 20 + i) })),
    );
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const booked = new Map<number, string>();
    for (const r of results) {
      if (r.status !== 'fulfilled') continue;
      for (const x of r.value.results) {
        // Every answer names the one row its seq was booked by.
        expect(booked.get(x.seq) ?? x.transactionId).toBe(x.transactionId);
        booked.set(x.seq, x.transactionId);
      }
    }
    expect(results.flatMap((r) => (r.status === 'fulfilled' ? r.value.results.filter((x) => x.status === 'booked') : []))).toHaveLength(59);
    const spent = backlog.slice(0, 59).reduce((n, s) => n + Number(s.amount), 0);
    const toMerchant = backlog.slice(0, 59).reduce((n, s) => n + (s.toWalletId ? Number(s.amount) : 0), 0);
    expect(await service.getAllowance({ allowanceId: allowance.id })).toMatchObject({ spendCount: 59, lastSeq: 59, spentAmount: String(spent) });
    expect(await books(w.id)).toEqual({
      balance: String(10000000 - spent),
      held: String(5000000 - spent),
      active_allowances: 1,
      ledger: String(10000000 - spent),
      reserved: String(5000000 - spent),
      spend_rows: 59,
      seqs: 59,
    });
    expect((await service.getWallet({ walletId: merchant.id })).balance).toBe(String(toMerchant));
  });

  it('never lets 200 online payments racing the till dip into the reserved money', async () => {
    const w = await walletWith('300000');
    const allowance = await service.openAllowance({ walletId: w.id, tillId: 'till-2', amount: '200000', maxSpends: 100 });
    const tillSales = Array.from({ length: 50 }, (_, i) => sale(i + 1, '4000'));
    const tasks: Promise<unknown>[] = [];
    for (let i = 0; i < 200; i++) tasks.push(service.withdraw({ walletId: w.id, amount: '1000', reference: `online-${i}` }));
    // The till forwards in order, batch after batch, while the payments run.
    const till = (async () => {
      for (let i = 0; i < 50; i += 10) await service.syncAllowance({ allowanceId: allowance.id, spends: tillSales.slice(i, i + 10) });
    })();
    const online = await Promise.allSettled(tasks);
    await till;
    const paid = online.filter((r) => r.status === 'fulfilled').length;
    for (const r of online) if (r.status === 'rejected') expect((r.reason as { code?: string }).code).toBe('INSUFFICIENT_FUNDS');
    // 100 000 was free: exactly 100 payments of 1 000 went through, whatever the interleaving, and
    // every one of the till's 50 sales was still covered when it arrived: had a payment dipped into
    // the reservation, a later sale would have found the money gone.
    expect(paid).toBe(100);
    expect(await books(w.id)).toEqual({
      balance: '0',
      held: '0',
      active_allowances: 1,
      ledger: '0',
      reserved: '0',
      spend_rows: 50,
      seqs: 50,
    });
    expect((await service.settleAllowance({ allowanceId: allowance.id, lastSeq: 50 })).status).toBe('settled');
    expect(await service.reconcile()).toMatchObject({ problems: [] });
  });

  it('lets syncs of different tills join group-commit batches', async () => {
    const wallets = await Promise.all(Array.from({ length: 40 }, () => walletWith('5000')));
    const allowances = await Promise.all(wallets.map((w, i) => service.openAllowance({ walletId: w.id, tillId: `till-g${i}`, amount: '5000' })));
    const before = statements.get('wallet_flush') ?? 0;
    await Promise.all(allowances.map((a) => service.syncAllowance({ allowanceId: a.id, spends: [sale(1, '2500'), sale(2, '2500')] })));
    const flushes = (statements.get('wallet_flush') ?? 0) - before;
    // 40 syncs, each committed with others: far fewer writes than syncs.
    expect(flushes).toBeLessThan(40);
    for (const w of wallets) expect(await books(w.id)).toMatchObject({ balance: '0', held: '0', ledger: '0', spend_rows: 2 });
  });
});
