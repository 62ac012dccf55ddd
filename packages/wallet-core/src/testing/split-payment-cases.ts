/**
 * The store contract for split payments (`pay`): money and points in one unit of work, both or
 * neither. Registered by `describeStoreContract` inside its own suite, so that every store runs
 * them. @internal
 */
import { expect, it } from 'vitest';
import type { WalletService } from '../facade.js';
import type { WalletStore } from '../store.js';
import { codeOf, uniqueUser, allEvents } from './support.js';

export function splitPaymentCases(get: () => { store: WalletStore; service: WalletService }, n: number): void {
  /** A customer with a funded wallet and `points` available. */
  async function customer(amount: string, points: number) {
    const { service } = get();
    const userId = uniqueUser('payer');
    const wallet = await service.createWallet({ userId });
    if (amount !== '0') await service.deposit({ walletId: wallet.id, amount });
    if (points > 0) await service.earnPoints({ userId, points, source: 'order:earn' });
    return { userId, wallet };
  }

  /** What a failed payment must have left: the wallet's balance and rows, the account's points and rows, as before. */
  async function books(walletId: string, userId: string) {
    const { service } = get();
    const account = await service.getPointAccount({ userId }).catch(() => null);
    return {
      wallet: await service.getWallet({ walletId }),
      rows: (await service.listTransactions({ walletId })).items,
      account,
      pointRows: account === null ? [] : (await service.listPointTransactions({ userId })).items,
    };
  }

  it('pays money and points in one: a withdrawal and a spend sharing the reference, each naming the other', async () => {
    const { service, store } = get();
    const { userId, wallet } = await customer('100000', 500);
    const before = await allEvents(store);
    const paid = await service.pay({ walletId: wallet.id, amount: '60000', points: 200, reference: 'order-77', description: 'lunch' });
    expect(paid.wallet).toMatchObject({ id: wallet.id, balance: '40000', availableBalance: '40000' });
    expect(paid.account).toMatchObject({ userId, availablePoints: 300, totalPoints: 500 });
    expect(paid.transaction).toMatchObject({
      walletId: wallet.id,
      type: 'withdrawal',
      amount: '60000',
      balanceAfter: '40000',
      reference: 'order-77',
      description: 'lunch',
      transferId: null,
      pairedWith: paid.pointTransaction?.id,
    });
    expect(paid.pointTransaction).toMatchObject({
      type: 'spend',
      points: -200,
      balanceAfter: 300,
      reference: 'order-77',
      description: 'lunch',
      pairedWith: paid.transaction.id,
      source: 'pay',
    });
    // The books say the same as the answer.
    const [row] = (await service.listTransactions({ walletId: wallet.id, limit: 1 })).items;
    expect(row).toEqual(paid.transaction);
    const [pointRow] = (await service.listPointTransactions({ userId, limit: 1 })).items;
    expect(pointRow).toEqual(paid.pointTransaction);
    // One event for each row, in the same unit, carrying the link.
    const events = (await allEvents(store, before[before.length - 1]?.position)).map((e) => e.row);
    const mine = events.filter((e) => e.aggregateId === wallet.id || e.aggregateId === paid.account?.id);
    expect(mine.map((e) => [e.type, e.payload])).toEqual([
      [
        'BalanceChanged',
        expect.objectContaining({ transactionId: paid.transaction.id, transactionType: 'withdrawal', amount: '60000', pairedWith: paid.pointTransaction?.id }),
      ],
      [
        'PointsSpent',
        expect.objectContaining({ transactionId: paid.pointTransaction?.id, points: -200, reference: 'order-77', pairedWith: paid.transaction.id }),
      ],
    ]);
  });

  it("pays a merchant: the payer's transfer_out is paired with the spend, the merchant's transfer_in is a plain credit", async () => {
    const { service } = get();
    const { wallet } = await customer('50000', 40);
    const merchant = await service.createWallet({ userId: uniqueUser('merchant') });
    const paid = await service.pay({ walletId: wallet.id, toWalletId: merchant.id, amount: '30000', points: 40, reference: 'order-78' });
    expect(paid.transaction).toMatchObject({ type: 'transfer_out', amount: '30000', balanceAfter: '20000', pairedWith: paid.pointTransaction?.id });
    expect(paid.account).toMatchObject({ availablePoints: 0 });
    const [credit] = (await service.listTransactions({ walletId: merchant.id })).items;
    expect(credit).toMatchObject({
      type: 'transfer_in',
      amount: '30000',
      balanceAfter: '30000',
      transferId: paid.transaction.transferId,
      reference: 'order-78',
      pairedWith: null,
    });
  });

  it('pays without points like a withdrawal: no account is needed and none is answered', async () => {
    const { service } = get();
    const { wallet } = await customer('1000', 0);
    const paid = await service.pay({ walletId: wallet.id, amount: '400', reference: 'order-79' });
    expect(paid).toMatchObject({ account: null, pointTransaction: null, wallet: { balance: '600' } });
    expect(paid.transaction).toMatchObject({ type: 'withdrawal', amount: '400', pairedWith: null, reference: 'order-79' });
  });

  it('is both or neither: a points shortfall leaves the money untouched, a money shortfall leaves the points', async () => {
    const { service } = get();
    const { userId, wallet } = await customer('100000', 100);
    const start = await books(wallet.id, userId);
    expect(await codeOf(service.pay({ walletId: wallet.id, amount: '1000', points: 101, reference: 'o-1' }))).toBe('INSUFFICIENT_POINTS');
    expect(await books(wallet.id, userId)).toEqual(start);
    expect(await codeOf(service.pay({ walletId: wallet.id, amount: '100001', points: 1, reference: 'o-2' }))).toBe('INSUFFICIENT_FUNDS');
    expect(await books(wallet.id, userId)).toEqual(start);
    const merchant = await service.createWallet({ userId: uniqueUser('merchant') });
    await service.freeze({ walletId: merchant.id });
    expect(await codeOf(service.pay({ walletId: wallet.id, toWalletId: merchant.id, amount: '10', points: 1, reference: 'o-3' }))).toBe('WALLET_FROZEN');
    expect(await books(wallet.id, userId)).toEqual(start);
    // A customer who never earned has no account: the points part cannot be paid, and so neither is the money.
    const { userId: newcomer, wallet: fresh } = await customer('500', 0);
    expect(await codeOf(service.pay({ walletId: fresh.id, amount: '10', points: 1, reference: 'o-4' }))).toBe('POINT_ACCOUNT_NOT_FOUND');
    expect(await books(fresh.id, newcomer)).toMatchObject({ wallet: { balance: '500' }, account: null });
  });

  it("refuses someone else's wallet as not found, and a reference that is missing or empty", async () => {
    const { service } = get();
    const { userId, wallet } = await customer('1000', 10);
    const start = await books(wallet.id, userId);
    expect(await codeOf(service.pay({ walletId: wallet.id, amount: '10', points: 1, reference: 'o-5' }, { asUser: uniqueUser() }))).toBe('WALLET_NOT_FOUND');
    expect(await codeOf(service.pay({ walletId: '00000000-0000-4000-8000-0000000000f1', amount: '10', points: 1, reference: 'o-6' }))).toBe('WALLET_NOT_FOUND');
    expect(await codeOf(service.pay({ walletId: wallet.id, amount: '10', points: 1, reference: '' }))).toBe('VALIDATION_ERROR');
    expect(await codeOf(service.pay({ walletId: wallet.id, amount: '10', points: 0, reference: 'o-7' }))).toBe('VALIDATION_ERROR');
    expect(await codeOf(service.pay({ walletId: wallet.id, amount: '10', points: 1 } as never))).toBe('VALIDATION_ERROR');
    expect(await books(wallet.id, userId)).toEqual(start);
  });

  it('replays a keyed payment without paying twice; the same key for another payment is a conflict', async () => {
    const { service } = get();
    const { userId, wallet } = await customer('1000', 10);
    const input = { walletId: wallet.id, amount: '300', points: 4, reference: 'o-8' };
    const first = await service.pay(input, { idempotencyKey: 'pay-o-8' });
    const again = await service.pay(input, { idempotencyKey: 'pay-o-8' });
    expect(again).toEqual(first);
    expect(await codeOf(service.pay({ ...input, points: 5 }, { idempotencyKey: 'pay-o-8' }))).toBe('IDEMPOTENCY_CONFLICT');
    expect(await books(wallet.id, userId)).toMatchObject({ wallet: { balance: '700' }, account: { availablePoints: 6 } });
    expect((await service.listTransactions({ walletId: wallet.id })).items).toHaveLength(2);
  });

  it('gives each part back through its own refund: the money by refund, the points by refundPoints', async () => {
    const { service } = get();
    const { userId, wallet } = await customer('1000', 10);
    const paid = await service.pay({ walletId: wallet.id, amount: '600', points: 10, reference: 'o-9' });
    const money = await service.refund({ transactionId: paid.transaction.id, amount: '200' });
    expect(money.transaction).toMatchObject({ type: 'refund_in', amount: '200', refundOf: paid.transaction.id });
    const points = await service.refundPoints({ transactionId: paid.pointTransaction?.id as string });
    expect(points.transaction).toMatchObject({ type: 'refund', points: 10, refundOf: paid.pointTransaction?.id });
    expect(await books(wallet.id, userId)).toMatchObject({ wallet: { balance: '600' }, account: { availablePoints: 10 } });
  });

  it(`racing ${n} payments on one customer: exactly those that fit pass, each whole or not at all`, async () => {
    const { service } = get();
    // Money for all of them, points for a third: the points decide who pays.
    const fits = Math.floor(n / 3);
    const { userId, wallet } = await customer(String(n * 100), fits * 7);
    const results = await Promise.allSettled(
      Array.from({ length: n }, (_, i) => service.pay({ walletId: wallet.id, amount: '100', points: 7, reference: `race-${i}` })),
    );
    const passed = results.filter((r) => r.status === 'fulfilled');
    expect(passed).toHaveLength(fits);
    for (const r of results) if (r.status === 'rejected') expect(await codeOf(Promise.reject(r.reason))).toBe('INSUFFICIENT_POINTS');
    const end = await books(wallet.id, userId);
    expect(end.wallet.balance).toBe(String(n * 100 - fits * 100));
    expect(end.account?.availablePoints).toBe(0);
    // Every money row of a payment has its points row, and the other way round.
    const debits = end.rows.filter((t) => t.type === 'withdrawal');
    const spends = end.pointRows.filter((t) => t.type === 'spend');
    expect(debits).toHaveLength(fits);
    expect(spends).toHaveLength(fits);
    const byId = new Map(spends.map((t) => [t.id, t]));
    for (const d of debits) expect(byId.get(d.pairedWith as string)).toMatchObject({ pairedWith: d.id, reference: d.reference });
  });
}
