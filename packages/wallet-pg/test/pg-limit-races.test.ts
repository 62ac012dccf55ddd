import { WalletService, type WalletView } from '@goodgo/wallet-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlWalletStore } from '../src/sql-store.js';
import { adminUrl, raceStore } from './support/postgres.js';

/**
 * Limits raced on real PostgreSQL connections, through the store's default group commit: the
 * counters are on the wallet row, checked and counted under its lock, and a batch hands each of
 * its commands the wallet as the ones before it left it, so neither commands waiting for one
 * another's lock nor commands sharing one batch can jointly pass a limit.
 */
describe.runIf(adminUrl)('limits raced on PostgreSQL (pool of 20)', () => {
  let store: SqlWalletStore;
  let service: WalletService;
  let statements: Map<string, number>;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ store, statements, close } = await raceStore('limits'));
    service = new WalletService({ store, limits: { VND: { daily: { deposit: '2000' } } }, clock: () => new Date('2031-09-09T09:00:00Z') });
  });
  afterAll(async () => {
    await close();
  });

  let users = 0;
  const open = (): Promise<WalletView> => service.createWallet({ userId: `limit-race-${++users}` });
  const usage = async (walletId: string) =>
    (
      await store.driver.query(`SELECT limit_usage->>'dayDeposit' AS day, limit_usage->>'monthDeposit' AS month, balance::text FROM wallets WHERE id = $1`, [
        walletId,
      ])
    )[0];
  const ledger = async (walletId: string) =>
    (
      await store.driver.query(
        `SELECT count(*)::int AS n, COALESCE(sum(amount), 0)::text AS total FROM wallet_transactions WHERE wallet_id = $1 AND type = 'deposit'`,
        [walletId],
      )
    )[0];

  it('lets exactly 20 of 50 concurrent top-ups of 100 through a daily deposit cap of 2000; the rest are LIMIT_EXCEEDED', async () => {
    const w = await open();
    statements.clear();
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => service.deposit({ walletId: w.id, amount: '100' })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(20);
    const codes = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as { code: string }).code] : []));
    expect(codes).toEqual(Array.from({ length: 30 }, () => 'LIMIT_EXCEEDED'));
    expect(await usage(w.id)).toEqual({ day: '2000', month: '2000', balance: '2000' });
    expect(await ledger(w.id)).toEqual({ n: 20, total: '2000' });
    // Fewer flushes than committed top-ups: some batches carried several, each seeing the others' use.
    expect(statements.get('wallet_flush') ?? 0).toBeLessThan(20);
  });

  it('of 50 concurrent top-ups of mixed amounts, the counter is the sum of those that passed, and each refused one did not fit what was left', async () => {
    const w = await open();
    const amounts = Array.from({ length: 50 }, (_, i) => String(((i * 37) % 290) + 10));
    const results = await Promise.allSettled(amounts.map((amount) => service.deposit({ walletId: w.id, amount })));
    const passed = amounts.filter((_, i) => results[i]?.status === 'fulfilled').reduce((sum, a) => sum + Number(a), 0);
    expect(passed).toBeLessThanOrEqual(2000);
    expect(await usage(w.id)).toEqual({ day: String(passed), month: String(passed), balance: String(passed) });
    const refused = amounts.filter((_, i) => results[i]?.status === 'rejected');
    expect(refused.length).toBeGreaterThan(0);
    // Use only grows, so what a refused one saw left was at least what is left now.
    for (const [i, r] of results.entries()) {
      if (r.status === 'rejected') {
        expect((r.reason as { code: string }).code).toBe('LIMIT_EXCEEDED');
        expect(Number(amounts[i])).toBeGreaterThan(2000 - passed);
      }
    }
  });
});
