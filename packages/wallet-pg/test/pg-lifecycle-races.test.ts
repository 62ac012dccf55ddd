import type { WalletService, WalletView } from '@goodgo/wallet-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlWalletStore } from '../src/sql-store.js';
import { adminUrl, raceStore } from './support/postgres.js';

const codes = (results: PromiseSettledResult<unknown>[]) =>
  [...new Set(results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as { code?: string }).code ?? String(r.reason)] : [])))].sort();

/**
 * The money lifecycle raced on real PostgreSQL connections: captures, voids and refunds of one hold
 * or payment, holds and their increments against withdrawals on one wallet, and a deposit's
 * reversals against what spends it. The row lock of the wallet, taken in
 * the one lock order, is what makes each end state exact; each case asserts it to the đồng.
 */
describe.runIf(adminUrl)('money lifecycle races on PostgreSQL (pool of 20)', () => {
  let store: SqlWalletStore;
  let service: WalletService;
  let statements: Map<string, number>;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ store, service, statements, close } = await raceStore('lifecycle_races'));
  });
  afterAll(async () => {
    await close();
  });

  const sql = async (text: string, params: unknown[] = []) => store.driver.query(text, params);
  let users = 0;
  async function walletWith(balance: string): Promise<WalletView> {
    const w = await service.createWallet({ userId: `lc-race-${++users}` });
    if (balance !== '0') await service.deposit({ walletId: w.id, amount: balance });
    return w;
  }
  /** The wallet row against its ledger and its active holds, straight from the tables. */
  async function books(walletId: string) {
    const [row] = await sql(
      `SELECT w.balance::text AS balance, w.held_amount::text AS held,
         (SELECT coalesce(sum(CASE WHEN type IN ('deposit', 'transfer_in', 'refund_in') THEN amount ELSE -amount END), 0)
            FROM wallet_transactions WHERE wallet_id = w.id)::text AS ledger,
         (SELECT coalesce(sum(amount), 0) FROM holds WHERE wallet_id = w.id AND status = 'active')::text AS active_holds
       FROM wallets w WHERE w.id = $1`,
      [walletId],
    );
    return row;
  }

  it('applies exactly one of 50 concurrent captures and voids of one hold', async () => {
    const w = await walletWith('1000');
    const merchant = await walletWith('0');
    const hold = await service.placeHold({ walletId: w.id, amount: '600' });
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        i % 5 === 0
          ? service.voidHold({ holdId: hold.id })
          : service.captureHold({ holdId: hold.id, amount: String(100 + i), ...(i % 2 === 0 ? { toWalletId: merchant.id } : {}) }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(codes(results)).toEqual(['HOLD_NOT_ACTIVE']);
    const final = await service.getHold({ holdId: hold.id });
    const taken = BigInt(final.capturedAmount);
    expect(await books(w.id)).toEqual({ balance: String(1000n - taken), held: '0', ledger: String(1000n - taken), active_holds: '0' });
    const [rows] = await sql('SELECT count(*)::int AS n FROM wallet_transactions WHERE hold_id = $1', [hold.id]);
    expect(rows?.n).toBe(final.status === 'captured' ? (BigInt(final.capturedAmount) % 2n === 0n ? 2 : 1) : 0);
  });

  it('lets 50 concurrent refunds of one payment give back exactly the payment, no more', async () => {
    const w = await walletWith('1000');
    const paid = await service.withdraw({ walletId: w.id, amount: '700' });
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => service.refund({ transactionId: paid.transaction.id, amount: '30' })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(23);
    expect(codes(results)).toEqual(['REFUND_EXCEEDS_ORIGINAL']);
    expect(await books(w.id)).toEqual({ balance: '990', held: '0', ledger: '990', active_holds: '0' });
    const [sum] = await sql("SELECT sum(amount)::text AS s FROM wallet_transactions WHERE refund_of = $1 AND type = 'refund_in'", [paid.transaction.id]);
    expect(sum?.s).toBe('690');
  });

  it('refunds a transfer 50 times at once while its recipient spends: never more than paid, never below zero', async () => {
    const payer = await walletWith('500');
    const shop = await walletWith('100');
    const t = await service.transfer({ fromWalletId: payer.id, toWalletId: shop.id, amount: '400' });
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        i % 2 === 0 ? service.refund({ transactionId: t.transaction.id, amount: '20' }) : service.withdraw({ walletId: shop.id, amount: '10' }),
      ),
    );
    expect(codes(results).every((c) => c === 'INSUFFICIENT_FUNDS' || c === 'REFUND_EXCEEDS_ORIGINAL')).toBe(true);
    const refunds = results.filter((r, i) => i % 2 === 0 && r.status === 'fulfilled').length;
    const withdrawals = results.filter((r, i) => i % 2 === 1 && r.status === 'fulfilled').length;
    expect(refunds).toBeLessThanOrEqual(20);
    const p = await books(payer.id);
    const s = await books(shop.id);
    expect(p).toEqual({ balance: String(100 + 20 * refunds), held: '0', ledger: String(100 + 20 * refunds), active_holds: '0' });
    expect(s).toEqual({ balance: String(500 - 20 * refunds - 10 * withdrawals), held: '0', ledger: s?.balance, active_holds: '0' });
    expect(Number(s?.balance)).toBeGreaterThanOrEqual(0);
  });

  it('never takes availableBalance below zero when 50 holds and withdrawals race on one wallet', async () => {
    const w = await walletWith('1000');
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        i % 2 === 0 ? service.placeHold({ walletId: w.id, amount: '70' }) : service.withdraw({ walletId: w.id, amount: '50' }),
      ),
    );
    expect(codes(results)).toEqual(['INSUFFICIENT_FUNDS']);
    const holds = results.filter((r, i) => i % 2 === 0 && r.status === 'fulfilled').length;
    const withdrawals = results.filter((r, i) => i % 2 === 1 && r.status === 'fulfilled').length;
    const view = await service.getWallet({ walletId: w.id });
    expect(view).toMatchObject({ balance: String(1000 - 50 * withdrawals), heldAmount: String(70 * holds) });
    expect(Number(view.availableBalance)).toBeGreaterThanOrEqual(0);
    // Every request that failed failed because it no longer fitted: less than either amount is left.
    expect(Number(view.availableBalance)).toBeLessThan(70);
    expect(await books(w.id)).toEqual({ balance: view.balance, held: view.heldAmount, ledger: view.balance, active_holds: view.heldAmount });
  });

  it('grows a hold 25 times while 25 withdrawals race it: never both when together they pass availableBalance', async () => {
    const w = await walletWith('1000');
    const hold = await service.placeHold({ walletId: w.id, amount: '100' });
    // 900 available, 50 commands of 40 or 30: at most what fits passes, whichever they are.
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        i % 2 === 0 ? service.incrementHold({ holdId: hold.id, amount: '40' }) : service.withdraw({ walletId: w.id, amount: '30' }),
      ),
    );
    expect(codes(results)).toEqual(['INSUFFICIENT_FUNDS']);
    const increments = results.filter((r, i) => i % 2 === 0 && r.status === 'fulfilled').length;
    const withdrawals = results.filter((r, i) => i % 2 === 1 && r.status === 'fulfilled').length;
    expect(40 * increments + 30 * withdrawals).toBeLessThanOrEqual(900);
    const view = await service.getWallet({ walletId: w.id });
    expect(view).toMatchObject({ balance: String(1000 - 30 * withdrawals), heldAmount: String(100 + 40 * increments) });
    expect((await service.getHold({ holdId: hold.id })).amount).toBe(String(100 + 40 * increments));
    // A command refused for want of money was refused because it no longer fitted.
    expect(Number(view.availableBalance)).toBeGreaterThanOrEqual(0);
    expect(Number(view.availableBalance)).toBeLessThan(40);
    expect(await books(w.id)).toEqual({ balance: view.balance, held: view.heldAmount, ledger: view.balance, active_holds: view.heldAmount });
  });

  it('reverses a deposit 30 times while 30 withdrawals and transfers spend it: never more than the deposit, never below zero', async () => {
    const w = await walletWith('0');
    const shop = await walletWith('0');
    const { transaction: deposit } = await service.deposit({ walletId: w.id, amount: '1000' });
    const results = await Promise.allSettled(
      Array.from({ length: 60 }, (_, i) =>
        i % 2 === 0
          ? service.reverseDeposit({ transactionId: deposit.id, amount: '40', reason: 'race' })
          : i % 4 === 1
            ? service.withdraw({ walletId: w.id, amount: '30' })
            : service.transfer({ fromWalletId: w.id, toWalletId: shop.id, amount: '30' }),
      ),
    );
    expect(codes(results).every((c) => c === 'INSUFFICIENT_FUNDS' || c === 'REFUND_EXCEEDS_ORIGINAL')).toBe(true);
    const reversals = results.filter((r, i) => i % 2 === 0 && r.status === 'fulfilled').length;
    const withdrawals = results.filter((r, i) => i % 4 === 1 && r.status === 'fulfilled').length;
    const transfers = results.filter((r, i) => i % 4 === 3 && r.status === 'fulfilled').length;
    expect(40 * reversals).toBeLessThanOrEqual(1000);
    const balance = 1000 - 40 * reversals - 30 * (withdrawals + transfers);
    expect(balance).toBeGreaterThanOrEqual(0);
    // Whatever failed for want of money no longer fitted; nothing that fitted was refused.
    expect(balance).toBeLessThan(40);
    expect(await books(w.id)).toEqual({ balance: String(balance), held: '0', ledger: String(balance), active_holds: '0' });
    expect(await books(shop.id)).toMatchObject({ balance: String(30 * transfers), ledger: String(30 * transfers) });
    const [sum] = await sql("SELECT coalesce(sum(amount), 0)::text AS s FROM wallet_transactions WHERE refund_of = $1 AND type = 'deposit_reversal'", [
      deposit.id,
    ]);
    expect(sum?.s).toBe(String(40 * reversals));
    expect((await service.reconcile()).problems).toEqual([]);
  });

  it('costs one extra round trip only for a wallet that has holds', async () => {
    const w = await walletWith('100');
    statements.clear();
    await service.withdraw({ walletId: w.id, amount: '1' });
    expect(Object.fromEntries(statements)).toEqual({ wallet_lock_wallets: 1, wallet_flush: 1 });
    const hold = await service.placeHold({ walletId: w.id, amount: '10' });
    statements.clear();
    await service.withdraw({ walletId: w.id, amount: '1' });
    expect(Object.fromEntries(statements)).toEqual({ wallet_lock_wallets: 1, wallet_active_holds: 1, wallet_flush: 1 });
    statements.clear();
    await service.captureHold({ holdId: hold.id });
    expect(Object.fromEntries(statements)).toEqual({ wallet_get_hold: 1, wallet_lock_wallets: 1, wallet_active_holds: 1, wallet_flush: 1 });
  });

  it('holds the hold invariants in the database itself', async () => {
    const w = await walletWith('100');
    const hold = await service.placeHold({ walletId: w.id, amount: '60' });
    await expect(sql('UPDATE wallets SET balance = 50 WHERE id = $1', [w.id])).rejects.toMatchObject({ code: '23514' });
    await expect(sql("UPDATE holds SET captured_amount = 61, status = 'captured' WHERE id = $1", [hold.id])).rejects.toMatchObject({ code: '23514' });
    const earned = await service.earnPoints({ userId: `lc-race-${++users}`, points: 5, source: 'x' });
    await expect(sql('DELETE FROM point_allocations WHERE transaction_id = $1', [earned.transaction.id])).rejects.toMatchObject({ code: '23001' });
    await expect(sql('TRUNCATE point_allocations')).rejects.toMatchObject({ code: '23001' });
    expect(await service.getWallet({ walletId: w.id })).toMatchObject({ balance: '100', heldAmount: '60' });
  });
});
