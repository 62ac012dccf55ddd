import { MemoryWalletStore, WalletService } from '@goodgo/wallet-core';
import { describe, expect, it } from 'vitest';
import { Till } from '../src/till.js';

describe('POS till embedding wallet-core', () => {
  it('tops up, pays, earns points and redeems them on the next order', async () => {
    const wallets = new WalletService({ store: new MemoryWalletStore() });
    const till = new Till(wallets, 'shop-1');
    expect((await till.topUp('c1', '500000', 'slip-1')).balance).toBe('500000');
    const r1 = await till.checkout({ id: 'o1', customerId: 'c1', total: '125000' });
    expect(r1).toEqual({ orderId: 'o1', charged: '125000', pointsRedeemed: 0, pointsEarned: 12, walletBalance: '375000', pointsAvailable: 12 });
    const r2 = await till.checkout({ id: 'o2', customerId: 'c1', total: '60000', redeemPoints: 12 });
    expect(r2).toEqual({ orderId: 'o2', charged: '48000', pointsRedeemed: 12, pointsEarned: 4, walletBalance: '327000', pointsAvailable: 4 });
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

  it('gives redeemed points back when the payment fails', async () => {
    const wallets = new WalletService({ store: new MemoryWalletStore() });
    const till = new Till(wallets, 'shop-1');
    await wallets.earnPoints({ userId: 'c4', points: 5, source: 'promo' });
    await till.topUp('c4', '1000', 'slip-4');
    await expect(till.checkout({ id: 'o5', customerId: 'c4', total: '20000', redeemPoints: 5 })).rejects.toMatchObject({ code: 'INSUFFICIENT_FUNDS' });
    expect((await wallets.getPointAccount({ userId: 'c4' })).availablePoints).toBe(5);
    expect((await till.walletOf('c4')).balance).toBe('1000');
  });
});
