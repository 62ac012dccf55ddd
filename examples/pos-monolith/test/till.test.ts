import { MemoryWalletStore, WalletService } from '@goodgo/wallet-core';
import { describe, expect, it } from 'vitest';
import { Till } from '../src/till.js';

describe('POS till embedding wallet-core', () => {
  it('tops up, pays, earns points and redeems them on the next order', async () => {
    const wallets = new WalletService({ store: new MemoryWalletStore() });
    const till = new Till(wallets, 'shop-1');
    expect((await till.topUp('c1', '500000', 'slip-1')).balance).toBe('500000');
    const r1 = await till.checkout({ id: 'o1', customerId: 'c1', total: '125000' });
    expect(r1).toMatchObject({ orderId: 'o1', charged: '125000', pointsRedeemed: 0, pointsEarned: 12, walletBalance: '375000', pointsAvailable: 12 });
    const r2 = await till.checkout({ id: 'o2', customerId: 'c1', total: '60000', redeemPoints: 12 });
    expect(r2).toMatchObject({ orderId: 'o2', charged: '48000', pointsRedeemed: 12, pointsEarned: 4, walletBalance: '327000', pointsAvailable: 4 });
  });

  it('charges a retried order once', async () => {
    const wallets = new WalletService({ store: new MemoryWalletStore() });
    const till = new Till(wallets, 'shop-1');
    await till.topUp('c2', '100000', 'slip-2');
    await till.topUp('c2', '100000', 'slip-2');
    await till.checkout({ id: 'o3', customerId: 'c2', total: '30000' });
    await till.checkout({ id: 'o3', customerId: 'c2', total: '30000' });
    const wallet = await till.walletOf('c2');
    expect(wallet.balance).toBe('70000');
    expect((await wallets.listTransactions({ walletId: wallet.id })).items.map((t) => t.type)).toEqual(['withdrawal', 'deposit']);
    expect((await wallets.getPointAccount({ userId: 'c2' })).availablePoints).toBe(3);
  });

  it('refuses an order the wallet cannot pay and charges nothing', async () => {
    const wallets = new WalletService({ store: new MemoryWalletStore() });
    const till = new Till(wallets, 'shop-1');
    await till.topUp('c3', '10000', 'slip-3');
    await expect(till.checkout({ id: 'o4', customerId: 'c3', total: '20000' })).rejects.toMatchObject({ code: 'INSUFFICIENT_FUNDS' });
    expect((await till.walletOf('c3')).balance).toBe('10000');
  });

  it('redeems no points when the money part fails: one call, both or neither, nothing to give back', async () => {
    const wallets = new WalletService({ store: new MemoryWalletStore() });
    const till = new Till(wallets, 'shop-1');
    await wallets.earnPoints({ userId: 'c4', points: 5, source: 'promo', expiresAt: '2099-01-01T00:00:00Z' });
    await till.topUp('c4', '1000', 'slip-4');
    await expect(till.checkout({ id: 'o5', customerId: 'c4', total: '20000', redeemPoints: 5 })).rejects.toMatchObject({ code: 'INSUFFICIENT_FUNDS' });
    expect((await wallets.getPointAccount({ userId: 'c4' })).availablePoints).toBe(5);
    expect((await till.walletOf('c4')).balance).toBe('1000');
    // The points ledger never saw the order: no spend, and so no refund of one.
    expect((await wallets.listPointTransactions({ userId: 'c4' })).items.map((t) => t.type)).toEqual(['earn']);
  });

  it('pays the points and the money of an order as one pair of rows, each naming the other', async () => {
    const wallets = new WalletService({ store: new MemoryWalletStore() });
    const till = new Till(wallets, 'shop-1');
    await wallets.earnPoints({ userId: 'c6', points: 10, source: 'promo' });
    await till.topUp('c6', '100000', 'slip-6');
    const receipt = await till.checkout({ id: 'o8', customerId: 'c6', total: '30000', redeemPoints: 10 });
    expect(receipt).toMatchObject({ charged: '20000', pointsRedeemed: 10, pointsEarned: 2, walletBalance: '80000', pointsAvailable: 2 });
    const [payment] = (await wallets.listTransactions({ walletId: (await till.walletOf('c6')).id, type: 'withdrawal' })).items;
    const [spend] = (await wallets.listPointTransactions({ userId: 'c6', type: 'spend' })).items;
    expect(payment).toMatchObject({ id: receipt.paymentId, reference: 'o8', pairedWith: spend?.id });
    expect(spend).toMatchObject({ points: -10, reference: 'o8', pairedWith: payment?.id });
  });

  it('runs a real day: pre-authorise, capture less, refund one item with its points', async () => {
    const wallets = new WalletService({ store: new MemoryWalletStore() });
    const till = new Till(wallets, 'shop-1');
    const wallet = await till.topUp('c5', '500000', 'slip-5');
    const tab1 = await till.preAuthorise({ id: 'o6', customerId: 'c5', estimate: '150000' });
    expect(await wallets.getWallet({ walletId: wallet.id })).toMatchObject({ balance: '500000', heldAmount: '150000', availableBalance: '350000' });
    const r1 = await till.settle(tab1, { served: '125000' });
    expect(r1).toMatchObject({ charged: '125000', pointsEarned: 12, walletBalance: '375000', pointsAvailable: 12 });
    expect(await wallets.getHold({ holdId: tab1.hold.id })).toMatchObject({ status: 'captured', amount: '150000', capturedAmount: '125000' });
    expect(await wallets.getWallet({ walletId: wallet.id })).toMatchObject({ heldAmount: '0', availableBalance: '375000' });

    const tab2 = await till.preAuthorise({ id: 'o7', customerId: 'c5', estimate: '80000' });
    const r2 = await till.settle(tab2, { served: '60000', redeemPoints: 12 });
    expect(r2).toMatchObject({ charged: '48000', pointsRedeemed: 12, pointsEarned: 4, walletBalance: '327000', pointsAvailable: 4 });
    expect(await till.settle(tab2, { served: '60000', redeemPoints: 12 })).toEqual(r2);

    const slip = await till.returnItem(r2, { slipId: 'ret-1', amount: '20000', reason: 'cold coffee' });
    expect(slip).toEqual({ orderId: 'o7', refunded: '20000', pointsReversed: 2, pointsShortfall: 0, walletBalance: '347000', pointsAvailable: 2 });
    expect(await till.returnItem(r2, { slipId: 'ret-1', amount: '20000', reason: 'cold coffee' })).toEqual(slip);
    // Never more back than was paid: 48 000 charged, 20 000 already refunded.
    await expect(till.returnItem(r2, { slipId: 'ret-2', amount: '28001', reason: 'too much' })).rejects.toMatchObject({ code: 'REFUND_EXCEEDS_ORIGINAL' });
    const history = (await wallets.listTransactions({ walletId: wallet.id })).items.map((t) => [
      t.type,
      t.amount,
      t.holdId !== null,
      t.refundOf === r2.paymentId,
    ]);
    expect(history).toEqual([
      ['refund_in', '20000', false, true],
      // Settled with points: the hold was released and the bill paid with money and points at once.
      ['withdrawal', '48000', false, false],
      ['withdrawal', '125000', true, false],
      ['deposit', '500000', false, false],
    ]);
  });
});
