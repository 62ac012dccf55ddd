/**
 * The contract of a user's balances read as one (`getUserBalances`, the summary's read): the same
 * wallets, holds, allowances and account as `listWallets` and `getPointAccount` read apart, and a
 * summary whose JSON is byte for byte what it was when it was built from those two reads.
 */
import { expect, it } from 'vitest';
import type { WalletService } from '../facade.js';
import type { WalletStore } from '../store.js';
import { clockedService, uniqueUser } from './support.js';

const DAY = 86_400_000;

export function summaryCases(get: () => { store: WalletStore }): void {
  /** The summary as it was built before the one read: the wallets and the account, each read on its own. */
  async function summaryApart(service: WalletService, userId: string): Promise<string> {
    const wallets = await service.listWallets({ userId });
    const hasAccount = (await get().store.getPointAccount(userId)) !== null;
    const points = hasAccount ? await service.getPointAccount({ userId }) : null;
    return JSON.stringify({ userId, wallets, points });
  }

  /** Users of every shape: none of anything, a wallet alone, points alone, several wallets with holds, an allowance and lots. */
  async function users(service: WalletService, advance: (ms: number) => void) {
    const nothing = uniqueUser('sum-none');
    const oneWallet = uniqueUser('sum-one');
    const pointsOnly = uniqueUser('sum-points');
    const several = uniqueUser('sum-several');
    const single = await service.createWallet({ userId: oneWallet });
    await service.deposit({ walletId: single.id, amount: '12500' });
    await service.earnPoints({ userId: pointsOnly, points: 40, source: 'welcome' });

    const vnd = await service.createWallet({ userId: several });
    advance(1);
    const usd = await service.createWallet({ userId: several, currency: 'USD' });
    advance(1);
    const frozen = await service.createWallet({ userId: several, currency: 'EUR' });
    await service.deposit({ walletId: vnd.id, amount: '900000' });
    await service.deposit({ walletId: usd.id, amount: '250.75' });
    await service.deposit({ walletId: frozen.id, amount: '10' });
    await service.freeze({ walletId: frozen.id });
    // A hold that counts at the read, one past its expiry then (unmarked), one voided, and an allowance.
    await service.placeHold({ walletId: vnd.id, amount: '30000', expiresAt: new Date(Date.parse('2031-03-01T09:00:00Z') + 3 * DAY) });
    await service.placeHold({ walletId: vnd.id, amount: '20000', expiresAt: new Date(Date.parse('2031-03-01T09:00:00Z') + DAY) });
    const voided = await service.placeHold({ walletId: usd.id, amount: '50.25' });
    await service.voidHold({ holdId: voided.id });
    await service.placeHold({ walletId: usd.id, amount: '0.50' });
    await service.openAllowance({ walletId: vnd.id, tillId: 'summary/till-1', amount: '60000', maxSpends: 5 });
    // Lots: one spent from, one due at the read (expire has not run), one open.
    await service.earnPoints({ userId: several, points: 100, source: 'a' });
    await service.earnPoints({ userId: several, points: 50, source: 'b', expiresAt: new Date(Date.parse('2031-03-01T09:00:00Z') + DAY).toISOString() });
    await service.spendPoints({ userId: several, points: 30, source: 'x' });
    advance(2 * DAY);
    return { nothing, oneWallet, pointsOnly, several, wallets: [vnd.id, usd.id, frozen.id] };
  }

  it("reads a user's wallets and point account in one read, as listWallets and getPointAccount read them apart", async () => {
    const { store } = get();
    const { service, clock, advance } = clockedService(store, '2031-03-01T09:00:00Z');
    const made = await users(service, advance);
    for (const userId of [made.nothing, made.oneWallet, made.pointsOnly, made.several]) {
      const together = await store.getUserBalances(userId, clock.now);
      const wallets = await store.listWallets(userId, clock.now);
      const pointAccount = await store.getPointAccount(userId);
      expect(together.wallets).toEqual(wallets);
      expect(together.pointAccount).toEqual(pointAccount);
    }
    const several = await store.getUserBalances(made.several, clock.now);
    expect(several.wallets.map((w) => w.id)).toEqual(made.wallets);
    expect((await store.getUserBalances(made.nothing, clock.now)).pointAccount).toBeNull();
    expect((await store.getUserBalances(made.pointsOnly)).wallets).toEqual([]);
  });

  it('answers the summary byte for byte as when it was read apart, for users with no wallet, one, several, with and without points', async () => {
    const { service, advance } = clockedService(get().store, '2031-03-01T09:00:00Z');
    const made = await users(service, advance);
    for (const userId of [made.nothing, made.oneWallet, made.pointsOnly, made.several]) {
      expect(JSON.stringify(await service.getBalanceSummary({ userId }))).toBe(await summaryApart(service, userId));
    }
    const summary = await service.getBalanceSummary({ userId: made.several });
    // Its figures, so that the comparison cannot pass on two equally wrong answers.
    expect(summary.wallets.map((w) => [w.currency, w.status, w.balance, w.heldAmount, w.availableBalance])).toEqual([
      ['VND', 'active', '900000', '90000', '810000'],
      ['USD', 'active', '250.75', '0.50', '250.25'],
      ['EUR', 'frozen', '10.00', '0.00', '10.00'],
    ]);
    // The spend took the lot due first; its 20 left are past their expiry at the read: 100 count.
    expect(summary.points).toMatchObject({ totalPoints: 150, availablePoints: 100 });
    expect(await service.getBalanceSummary({ userId: made.nothing })).toEqual({ userId: made.nothing, wallets: [], points: null });
  });
}
