/**
 * The store contract for the money lifecycle: holds, captures, voids, expiry, refunds, points
 * refunds and reversals, the audit trail. Registered by `describeStoreContract` inside its own
 * suite, so that every store runs them. @internal
 */
import { expect, it } from 'vitest';
import { WalletService } from '../facade.js';
import { EXPIRED_HOLDS_PER_CHANGE } from '../wallet/hold.js';
import type { WalletStore } from '../store.js';
import { allEvents, clockedService, codeOf, funded, uniqueUser } from './support.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export function lifecycleCases(get: () => { store: WalletStore; service: WalletService }, n: number): void {
  /** A service on the suite's store whose clock the case moves. */
  const clocked = (start = '2031-03-01T09:00:00Z') => clockedService(get().store, start);

  it('places a hold that reserves available balance; withdrawals and other holds see only what is left', async () => {
    const { service } = get();
    const wallet = await funded(service, '100000');
    const hold = await service.placeHold({ walletId: wallet.id, amount: '60000', reference: 'ord-1', description: 'table 4' });
    expect(hold).toMatchObject({ walletId: wallet.id, amount: '60000', capturedAmount: '0', status: 'active', reference: 'ord-1', description: 'table 4' });
    expect(await service.getWallet({ walletId: wallet.id })).toMatchObject({
      balance: '100000',
      heldAmount: '60000',
      availableBalance: '40000',
    });
    expect(await codeOf(service.withdraw({ walletId: wallet.id, amount: '40001' }))).toBe('INSUFFICIENT_FUNDS');
    expect(await codeOf(service.placeHold({ walletId: wallet.id, amount: '40001' }))).toBe('INSUFFICIENT_FUNDS');
    const other = await funded(service, '0');
    expect(await codeOf(service.transfer({ fromWalletId: wallet.id, toWalletId: other.id, amount: '40001' }))).toBe('INSUFFICIENT_FUNDS');
    const paid = await service.withdraw({ walletId: wallet.id, amount: '40000' });
    expect(paid.wallet).toMatchObject({ balance: '60000', heldAmount: '60000', availableBalance: '0' });
    expect(await service.getHold({ holdId: hold.id })).toEqual(hold);
    expect((await service.listHolds({ walletId: wallet.id })).items).toEqual([hold]);
    expect(await codeOf(service.getHold({ holdId: '00000000-0000-4000-8000-00000000000a' }))).toBe('HOLD_NOT_FOUND');
    expect(await codeOf(service.getHold({ holdId: hold.id }, { asUser: uniqueUser() }))).toBe('HOLD_NOT_FOUND');
    expect(await codeOf(service.listHolds({ walletId: wallet.id }, { asUser: uniqueUser() }))).toBe('WALLET_NOT_FOUND');
  });

  it('captures part of a hold once as a withdrawal with its holdId; the rest is released', async () => {
    const { service } = get();
    const wallet = await funded(service, '125000');
    const hold = await service.placeHold({ walletId: wallet.id, amount: '125000', reference: 'ord-1001' });
    expect(await codeOf(service.captureHold({ holdId: hold.id, amount: '125001' }))).toBe('CAPTURE_EXCEEDS_HOLD');
    const captured = await service.captureHold({ holdId: hold.id, amount: '98000', description: 'served' });
    expect(captured.hold).toMatchObject({ id: hold.id, status: 'captured', amount: '125000', capturedAmount: '98000' });
    expect(captured.wallet).toMatchObject({ balance: '27000', heldAmount: '0', availableBalance: '27000' });
    expect(captured.transaction).toMatchObject({
      walletId: wallet.id,
      type: 'withdrawal',
      amount: '98000',
      balanceAfter: '27000',
      holdId: hold.id,
      transferId: null,
      refundOf: null,
      reference: 'ord-1001',
      description: 'served',
    });
    expect(await codeOf(service.captureHold({ holdId: hold.id }))).toBe('HOLD_NOT_ACTIVE');
    expect(await codeOf(service.voidHold({ holdId: hold.id }))).toBe('HOLD_NOT_ACTIVE');
    expect(await codeOf(service.captureHold({ holdId: '00000000-0000-4000-8000-00000000000b' }))).toBe('HOLD_NOT_FOUND');
    expect((await service.getHold({ holdId: hold.id })).status).toBe('captured');
    const rows = (await service.listTransactions({ walletId: wallet.id })).items;
    expect(rows.map((t) => [t.type, t.amount, t.holdId])).toEqual([
      ['withdrawal', '98000', hold.id],
      ['deposit', '125000', null],
    ]);
  });

  it('captures into another wallet as a transfer pair sharing one transfer id, both with the holdId', async () => {
    const { service } = get();
    const payer = await funded(service, '5000');
    const merchant = await funded(service, '100');
    const hold = await service.placeHold({ walletId: payer.id, amount: '3000' });
    expect(await codeOf(service.captureHold({ holdId: hold.id, toWalletId: payer.id }))).toBe('SAME_WALLET');
    const usd = await service.createWallet({ userId: uniqueUser(), currency: 'USD' });
    expect(await codeOf(service.captureHold({ holdId: hold.id, toWalletId: usd.id }))).toBe('CURRENCY_MISMATCH');
    expect(await codeOf(service.captureHold({ holdId: hold.id, toWalletId: '00000000-0000-4000-8000-00000000000c' }))).toBe('WALLET_NOT_FOUND');
    await service.freeze({ walletId: merchant.id });
    expect(await codeOf(service.captureHold({ holdId: hold.id, toWalletId: merchant.id }))).toBe('WALLET_FROZEN');
    await service.unfreeze({ walletId: merchant.id });
    const captured = await service.captureHold({ holdId: hold.id, toWalletId: merchant.id });
    expect(captured.transaction).toMatchObject({ type: 'transfer_out', amount: '3000', holdId: hold.id });
    expect(captured.wallet).toMatchObject({ balance: '2000', availableBalance: '2000' });
    const [credit] = (await service.listTransactions({ walletId: merchant.id })).items;
    expect(credit).toMatchObject({ type: 'transfer_in', amount: '3000', balanceAfter: '3100', holdId: hold.id, transferId: captured.transaction.transferId });
    expect(captured.transaction.transferId).not.toBeNull();
  });

  it('voids a hold, also on a frozen wallet, which refuses captures and new holds', async () => {
    const { service } = get();
    const wallet = await funded(service, '1000');
    const a = await service.placeHold({ walletId: wallet.id, amount: '400' });
    const b = await service.placeHold({ walletId: wallet.id, amount: '300' });
    await service.freeze({ walletId: wallet.id });
    expect(await codeOf(service.captureHold({ holdId: a.id }))).toBe('WALLET_FROZEN');
    expect(await codeOf(service.placeHold({ walletId: wallet.id, amount: '1' }))).toBe('WALLET_FROZEN');
    const voided = await service.voidHold({ holdId: a.id, reason: 'order cancelled' });
    expect(voided.hold).toMatchObject({ id: a.id, status: 'voided', capturedAmount: '0' });
    expect(voided.wallet).toMatchObject({ status: 'frozen', balance: '1000', heldAmount: '300', availableBalance: '700' });
    expect(await codeOf(service.voidHold({ holdId: a.id }))).toBe('HOLD_NOT_ACTIVE');
    expect(await codeOf(service.voidHold({ holdId: b.id }, { asUser: uniqueUser() }))).toBe('HOLD_NOT_FOUND');
    expect((await service.voidHold({ holdId: b.id }, { asUser: wallet.userId })).wallet.heldAmount).toBe('0');
  });

  it('stops counting a hold at expiresAt without any sweep; it can no longer be captured', async () => {
    const { service, advance } = clocked();
    const wallet = await funded(service, '1000');
    const hold = await service.placeHold({ walletId: wallet.id, amount: '700', expiresAt: new Date(Date.parse('2031-03-01T10:00:00Z')) });
    expect(hold.expiresAt).toBe('2031-03-01T10:00:00.000Z');
    const defaulted = await service.placeHold({ walletId: wallet.id, amount: '100' });
    expect(defaulted.expiresAt).toBe(new Date(Date.parse('2031-03-01T09:00:00Z') + 7 * DAY).toISOString());
    advance(HOUR - 1);
    expect(await service.getWallet({ walletId: wallet.id })).toMatchObject({ heldAmount: '800', availableBalance: '200' });
    advance(1);
    // The very instant of expiresAt: the hold no longer counts, although nothing has marked it.
    expect(await service.getWallet({ walletId: wallet.id })).toMatchObject({ balance: '1000', heldAmount: '100', availableBalance: '900' });
    expect((await service.getHold({ holdId: hold.id })).status).toBe('expired');
    expect((await service.listHolds({ walletId: wallet.id, status: 'expired' })).items.map((h) => h.id)).toEqual([hold.id]);
    expect((await service.listHolds({ walletId: wallet.id, status: 'active' })).items.map((h) => h.id)).toEqual([defaulted.id]);
    expect(await codeOf(service.captureHold({ holdId: hold.id }))).toBe('HOLD_NOT_ACTIVE');
    const paid = await service.withdraw({ walletId: wallet.id, amount: '900' });
    expect(paid.wallet).toMatchObject({ balance: '100', heldAmount: '100', availableBalance: '0' });
    expect((await service.getHold({ holdId: hold.id })).status).toBe('expired');
  });

  it('refuses a hold expiring in the past or more than 30 days ahead', async () => {
    const { service } = clocked();
    const wallet = await funded(service, '10');
    expect(await codeOf(service.placeHold({ walletId: wallet.id, amount: '1', expiresAt: '2031-03-01T09:00:00Z' }))).toBe('VALIDATION_ERROR');
    expect(await codeOf(service.placeHold({ walletId: wallet.id, amount: '1', expiresAt: new Date(Date.parse('2031-03-31T09:00:01Z')) }))).toBe(
      'VALIDATION_ERROR',
    );
    expect(await codeOf(service.placeHold({ walletId: wallet.id, amount: '1', expiresAt: new Date(Number.NaN) }))).toBe('VALIDATION_ERROR');
    expect((await service.placeHold({ walletId: wallet.id, amount: '1', expiresAt: '2031-03-31T09:00:00Z' })).status).toBe('active');
  });

  it('closes only a wallet without active holds (WALLET_HAS_HOLDS); a closed wallet frees its (user, currency) pair', async () => {
    const { service, advance } = clocked();
    const wallet = await funded(service, '2');
    await service.placeHold({ walletId: wallet.id, amount: '2', expiresAt: '2031-03-01T12:00:00Z' });
    expect(await codeOf(service.close({ walletId: wallet.id }))).toBe('WALLET_HAS_HOLDS');
    advance(3 * HOUR);
    expect(await codeOf(service.close({ walletId: wallet.id }))).toBe('WALLET_NOT_EMPTY');
    await service.withdraw({ walletId: wallet.id, amount: '2' });
    expect((await service.close({ walletId: wallet.id })).status).toBe('closed');
    const reopened = await service.createWallet({ userId: wallet.userId });
    expect(reopened.id).not.toBe(wallet.id);
    expect(await codeOf(service.createWallet({ userId: wallet.userId }))).toBe('WALLET_ALREADY_EXISTS');
    expect((await service.listWallets({ userId: wallet.userId })).map((w) => w.status).sort()).toEqual(['active', 'closed']);
  });

  it('refunds a withdrawal in parts, linked by refundOf, never more than the payment', async () => {
    const { service } = get();
    const wallet = await funded(service, '200000');
    const paid = await service.withdraw({ walletId: wallet.id, amount: '125000', reference: 'ord-1001' });
    const first = await service.refund({ transactionId: paid.transaction.id, amount: '25000', reason: 'one item returned', reference: 'ret-1' });
    expect(first.wallet).toMatchObject({ id: wallet.id, balance: '100000' });
    expect(first.transaction).toMatchObject({
      type: 'refund_in',
      amount: '25000',
      balanceAfter: '100000',
      refundOf: paid.transaction.id,
      transferId: null,
      description: 'one item returned',
      reference: 'ret-1',
    });
    expect(await codeOf(service.refund({ transactionId: paid.transaction.id, amount: '100001' }))).toBe('REFUND_EXCEEDS_ORIGINAL');
    const rest = await service.refund({ transactionId: paid.transaction.id });
    expect(rest.transaction).toMatchObject({ amount: '100000', balanceAfter: '200000' });
    expect(await codeOf(service.refund({ transactionId: paid.transaction.id, amount: '1' }))).toBe('REFUND_EXCEEDS_ORIGINAL');
    expect(await codeOf(service.refund({ transactionId: first.transaction.id }))).toBe('NOT_REFUNDABLE');
    const [deposit] = (await service.listTransactions({ walletId: wallet.id, type: 'deposit' })).items;
    expect(await codeOf(service.refund({ transactionId: deposit?.id as string }))).toBe('NOT_REFUNDABLE');
    expect(await codeOf(service.refund({ transactionId: '00000000-0000-4000-8000-00000000000d' }))).toBe('TRANSACTION_NOT_FOUND');
    expect(await codeOf(service.refund({ transactionId: paid.transaction.id, amount: '1.5' }))).toBe('VALIDATION_ERROR');
    expect((await service.listTransactions({ walletId: wallet.id, type: 'refund_in' })).items.map((t) => t.amount)).toEqual(['100000', '25000']);
  });

  it('refunds a capture, and refuses a refund into a frozen wallet', async () => {
    const { service } = get();
    const wallet = await funded(service, '1000');
    const hold = await service.placeHold({ walletId: wallet.id, amount: '800' });
    const captured = await service.captureHold({ holdId: hold.id, amount: '600' });
    await service.freeze({ walletId: wallet.id });
    expect(await codeOf(service.refund({ transactionId: captured.transaction.id, amount: '100' }))).toBe('WALLET_FROZEN');
    await service.unfreeze({ walletId: wallet.id });
    const refunded = await service.refund({ transactionId: captured.transaction.id, amount: '100' });
    expect(refunded.wallet.balance).toBe('500');
    expect(refunded.transaction).toMatchObject({ type: 'refund_in', refundOf: captured.transaction.id, amount: '100' });
  });

  it('refunds a transfer from the recipient: refund_out and refund_in sharing a transfer id; INSUFFICIENT_FUNDS once the money is gone', async () => {
    const { service } = get();
    const payer = await funded(service, '1000');
    const shop = await funded(service, '0');
    const t = await service.transfer({ fromWalletId: payer.id, toWalletId: shop.id, amount: '700' });
    const back = await service.refund({ transactionId: t.transaction.id, amount: '200' });
    expect(back.wallet).toMatchObject({ id: payer.id, balance: '500' });
    expect(back.transaction).toMatchObject({ type: 'refund_in', amount: '200', refundOf: t.transaction.id });
    const [out] = (await service.listTransactions({ walletId: shop.id })).items;
    expect(out).toMatchObject({ type: 'refund_out', amount: '200', balanceAfter: '500', refundOf: t.transaction.id, transferId: back.transaction.transferId });
    expect(back.transaction.transferId).not.toBeNull();
    await service.withdraw({ walletId: shop.id, amount: '450' });
    expect(await codeOf(service.refund({ transactionId: t.transaction.id, amount: '100' }))).toBe('INSUFFICIENT_FUNDS');
    await service.placeHold({ walletId: shop.id, amount: '40' });
    expect(await codeOf(service.refund({ transactionId: t.transaction.id, amount: '11' }))).toBe('INSUFFICIENT_FUNDS');
    expect((await service.refund({ transactionId: t.transaction.id, amount: '10' })).wallet.balance).toBe('510');
    const [incoming] = (await service.listTransactions({ walletId: shop.id, type: 'transfer_in' })).items;
    expect(await codeOf(service.refund({ transactionId: incoming?.id as string }))).toBe('NOT_REFUNDABLE');
    expect(await codeOf(service.refund({ transactionId: t.transaction.id }, { asUser: uniqueUser() }))).toBe('TRANSACTION_NOT_FOUND');
  });

  it(`marks at most ${EXPIRED_HOLDS_PER_CHANGE} expired holds per change; with more unmarked, balances stay right`, async () => {
    const { service, advance } = clocked();
    const { store } = get();
    const wallet = await funded(service, '100000');
    const lapsing = EXPIRED_HOLDS_PER_CHANGE * 2 + 50;
    for (let i = 0; i < lapsing; i++) await service.placeHold({ walletId: wallet.id, amount: '100', expiresAt: '2031-03-01T10:00:00Z' });
    const live = await service.placeHold({ walletId: wallet.id, amount: '1000', expiresAt: '2031-03-03T09:00:00Z' });
    expect(await service.getWallet({ walletId: wallet.id })).toMatchObject({ heldAmount: '26000', availableBalance: '74000' });
    advance(2 * HOUR);
    // Expired, none marked yet: they reserve nothing.
    expect(await service.getWallet({ walletId: wallet.id })).toMatchObject({ balance: '100000', heldAmount: '1000', availableBalance: '99000' });
    /** A command, and how many holds it marked expired. */
    const marking = async <T>(command: () => Promise<T>) => {
      const before = (await allEvents(store)).at(-1)?.position;
      const value = await command();
      const events = (await allEvents(store, before)).map((e) => e.row);
      return { value, marked: events.filter((e) => e.type === 'HoldExpired').length };
    };
    expect(await codeOf(service.withdraw({ walletId: wallet.id, amount: '99001' }))).toBe('INSUFFICIENT_FUNDS');
    const first = await marking(() => service.withdraw({ walletId: wallet.id, amount: '1000' }));
    expect(first.marked).toBe(EXPIRED_HOLDS_PER_CHANGE);
    expect(first.value.wallet).toMatchObject({ balance: '99000', heldAmount: '1000', availableBalance: '98000' });
    expect((await service.reconcile()).problems).toEqual([]);
    // The rest wait for later changes and reserve nothing meanwhile: all that is available can go.
    const second = await marking(() => service.withdraw({ walletId: wallet.id, amount: '98000' }));
    expect(second.marked).toBe(EXPIRED_HOLDS_PER_CHANGE);
    expect(second.value.wallet).toMatchObject({ balance: '1000', heldAmount: '1000', availableBalance: '0' });
    expect(await codeOf(service.withdraw({ walletId: wallet.id, amount: '1' }))).toBe('INSUFFICIENT_FUNDS');
    expect(await codeOf(service.placeHold({ walletId: wallet.id, amount: '1' }))).toBe('INSUFFICIENT_FUNDS');
    const third = await marking(() => service.captureHold({ holdId: live.id }));
    expect(third.marked).toBe(50);
    expect(third.value.wallet).toMatchObject({ balance: '0', heldAmount: '0', availableBalance: '0' });
    expect((await service.listHolds({ walletId: wallet.id, status: 'expired', limit: 200 })).items).toHaveLength(200);
    expect((await marking(() => service.deposit({ walletId: wallet.id, amount: '5' }))).marked).toBe(0);
    expect((await service.reconcile()).problems).toEqual([]);
  });

  it('never counts an expired lot as available, whether or not expire has run', async () => {
    const { service, advance } = clocked();
    const userId = uniqueUser();
    await service.earnPoints({ userId, points: 100, source: 'a' });
    await service.earnPoints({ userId, points: 50, source: 'b', expiresAt: '2031-03-02T09:00:00Z' });
    expect((await service.getPointAccount({ userId: userId })).availablePoints).toBe(150);
    advance(DAY);
    expect((await service.getPointAccount({ userId: userId })).availablePoints).toBe(100);
    expect((await service.getBalanceSummary({ userId: userId })).points?.availablePoints).toBe(100);
    expect(await codeOf(service.spendPoints({ userId, points: 140, source: 'x' }))).toBe('INSUFFICIENT_POINTS');
    expect((await service.spendPoints({ userId, points: 100, source: 'x' })).account.availablePoints).toBe(0);
  });

  it('refunds a spend back to the lots it took, each keeping its expiry; expired lots are reported, not returned', async () => {
    const { service, advance } = clocked();
    const userId = uniqueUser();
    const soon = await service.earnPoints({ userId, points: 30, source: 'a', expiresAt: '2031-03-05T00:00:00Z' });
    await service.earnPoints({ userId, points: 50, source: 'b', expiresAt: '2031-06-01T00:00:00Z' });
    await service.earnPoints({ userId, points: 10, source: 'c' });
    const spend = await service.spendPoints({ userId, points: 85, source: 'ord-7' });
    expect(spend.account.availablePoints).toBe(5);
    // Latest-expiring lots get theirs back first: 5 to the lot that never expires, 15 to b.
    const part = await service.refundPoints({ transactionId: spend.transaction.id, points: 20, reason: 'item returned' });
    expect(part.transaction).toMatchObject({
      type: 'refund',
      points: 20,
      balanceAfter: 25,
      refundOf: spend.transaction.id,
      source: 'ord-7',
      description: 'item returned',
    });
    expect(part).toMatchObject({ expiredPoints: 0, account: { availablePoints: 25, totalPoints: 90 } });
    advance(5 * DAY);
    // Lot a expired; the rest of the refund is 35 from b and 30 from a, whose points are gone.
    expect(await codeOf(service.refundPoints({ transactionId: spend.transaction.id, points: 66 }))).toBe('REFUND_EXCEEDS_ORIGINAL');
    const rest = await service.refundPoints({ transactionId: spend.transaction.id });
    expect(rest).toMatchObject({ expiredPoints: 30, transaction: { points: 35 }, account: { availablePoints: 60 } });
    expect(await codeOf(service.refundPoints({ transactionId: spend.transaction.id, points: 1 }))).toBe('REFUND_EXCEEDS_ORIGINAL');
    expect(await codeOf(service.refundPoints({ transactionId: soon.transaction.id }))).toBe('NOT_REFUNDABLE');
    expect(await codeOf(service.refundPoints({ transactionId: '00000000-0000-4000-8000-00000000000e' }))).toBe('TRANSACTION_NOT_FOUND');
    // The returned points keep their lots' expiry: b's 50 expire on 1 June, the rest never.
    advance(100 * DAY);
    expect((await service.getPointAccount({ userId: userId })).availablePoints).toBe(10);
  });

  it('reverses an earn or a confirm from what is left of its lot, reporting the shortfall', async () => {
    const { service } = get();
    const userId = uniqueUser();
    const earn = await service.earnPoints({ userId, points: 100, source: 'ord-8' });
    await service.spendPoints({ userId, points: 70, source: 'ord-9' });
    const reversed = await service.reversePoints({ transactionId: earn.transaction.id, points: 40, reason: 'order cancelled' });
    expect(reversed.transaction).toMatchObject({ type: 'reversal', points: -30, balanceAfter: 0, refundOf: earn.transaction.id, source: 'ord-8' });
    expect(reversed).toMatchObject({ shortfall: 10, account: { availablePoints: 0, totalPoints: 70 } });
    const again = await service.reversePoints({ transactionId: earn.transaction.id });
    expect(again).toMatchObject({ shortfall: 60, transaction: { points: 0, balanceAfter: 0 } });
    expect(await codeOf(service.reversePoints({ transactionId: earn.transaction.id, points: 1 }))).toBe('REFUND_EXCEEDS_ORIGINAL');
    const pending = await service.earnPoints({ userId, points: 25, source: 'ord-10', pending: true });
    expect(await codeOf(service.reversePoints({ transactionId: pending.transaction.id }))).toBe('NOT_REFUNDABLE');
    const confirmed = await service.confirmPendingPoints({ transactionId: pending.transaction.id });
    const back = await service.reversePoints({ transactionId: confirmed.transaction.id });
    expect(back).toMatchObject({ shortfall: 0, transaction: { points: -25, balanceAfter: 0 }, account: { availablePoints: 0, totalPoints: 70 } });
    const spend = (await service.listPointTransactions({ userId, type: 'spend' })).items[0];
    expect(await codeOf(service.reversePoints({ transactionId: spend?.id as string }))).toBe('NOT_REFUNDABLE');
    expect(await codeOf(service.reversePoints({ transactionId: earn.transaction.id }, { asUser: uniqueUser() }))).toBe('TRANSACTION_NOT_FOUND');
  });

  it("keeps a reversal's shortfall owed: points refunded to its lot go to the reversal first, so either order ends the same", async () => {
    const { service } = get();
    const rows = async (userId: string) =>
      (await service.listPointTransactions({ userId })).items.reverse().map((t) => [t.type, t.points, t.balanceAfter, t.refundOf]);
    // Reversal first: nothing is left to take, so all 100 stay owed; the refund then pays them.
    const first = uniqueUser();
    const earnA = await service.earnPoints({ userId: first, points: 100, source: 'order-a' });
    const spendB = await service.spendPoints({ userId: first, points: 100, source: 'order-b' });
    const reversed = await service.reversePoints({ transactionId: earnA.transaction.id });
    expect(reversed).toMatchObject({ shortfall: 100, transaction: { points: 0 }, account: { availablePoints: 0, totalPoints: 100 } });
    const refunded = await service.refundPoints({ transactionId: spendB.transaction.id });
    expect(refunded).toMatchObject({ expiredPoints: 0, transaction: { type: 'refund', points: 100, balanceAfter: 100 } });
    expect(refunded.account).toMatchObject({ availablePoints: 0, totalPoints: 0 });
    expect(await codeOf(service.reversePoints({ transactionId: earnA.transaction.id }))).toBe('REFUND_EXCEEDS_ORIGINAL');
    expect(await codeOf(service.spendPoints({ userId: first, points: 1, source: 'order-c' }))).toBe('INSUFFICIENT_POINTS');
    expect(await rows(first)).toEqual([
      ['earn', 100, 100, null],
      ['spend', -100, 0, null],
      ['reversal', 0, 0, earnA.transaction.id],
      ['refund', 100, 100, spendB.transaction.id],
      ['reversal', -100, 0, earnA.transaction.id],
    ]);
    // The other order: the refund returns 100 and the reversal takes them. Same balances.
    const second = uniqueUser();
    const earnA2 = await service.earnPoints({ userId: second, points: 100, source: 'order-a' });
    const spendB2 = await service.spendPoints({ userId: second, points: 100, source: 'order-b' });
    await service.refundPoints({ transactionId: spendB2.transaction.id });
    const late = await service.reversePoints({ transactionId: earnA2.transaction.id });
    expect(late).toMatchObject({ shortfall: 0, transaction: { points: -100 }, account: { availablePoints: 0, totalPoints: 0 } });
    // In part: 30 of a 40-point reversal are taken, 10 stay owed; a refund of 50 pays them and keeps 40.
    const third = uniqueUser();
    const earnC = await service.earnPoints({ userId: third, points: 100, source: 'order-c' });
    const spendD = await service.spendPoints({ userId: third, points: 70, source: 'order-d' });
    expect(await service.reversePoints({ transactionId: earnC.transaction.id, points: 40 })).toMatchObject({ shortfall: 10, transaction: { points: -30 } });
    const partly = await service.refundPoints({ transactionId: spendD.transaction.id, points: 50 });
    expect(partly).toMatchObject({ transaction: { points: 50, balanceAfter: 50 }, account: { availablePoints: 40, totalPoints: 60 } });
    expect((await service.refundPoints({ transactionId: spendD.transaction.id })).account).toMatchObject({ availablePoints: 60, totalPoints: 60 });
    expect((await rows(third)).slice(-3)).toEqual([
      ['refund', 50, 50, spendD.transaction.id],
      ['reversal', -10, 40, earnC.transaction.id],
      ['refund', 20, 60, spendD.transaction.id],
    ]);
    expect((await service.reconcile()).problems).toEqual([]);
  });

  it('writes the actor on every ledger row and event, and the request id on events', async () => {
    const { service, store } = get();
    const before = (await allEvents(store)).at(-1)?.position;
    const actor = { sub: 'pos-backend', role: 'service' };
    const wallet = await service.createWallet({ userId: uniqueUser() }, { actor, requestId: 'req-1' });
    const dep = await service.deposit({ walletId: wallet.id, amount: '50' }, { actor, requestId: 'req-2' });
    expect(dep.transaction.actor).toEqual(actor);
    const hold = await service.placeHold({ walletId: wallet.id, amount: '20' }, { actor, requestId: 'req-3' });
    const cap = await service.captureHold({ holdId: hold.id }, { actor: { sub: 'till-7', role: 'service' }, requestId: 'req-4' });
    expect(cap.transaction.actor).toEqual({ sub: 'till-7', role: 'service' });
    const plain = await service.withdraw({ walletId: wallet.id, amount: '1' });
    expect(plain.transaction.actor).toBeNull();
    const rows = (await service.listTransactions({ walletId: wallet.id })).items;
    expect(rows.map((t) => t.actor?.sub ?? null)).toEqual([null, 'till-7', 'pos-backend']);
    const events = (await allEvents(store, before)).map((e) => e.row).filter((e) => e.aggregateId === wallet.id);
    expect(events.map((e) => [e.type, e.actor?.sub ?? null, e.requestId])).toEqual([
      ['WalletCreated', 'pos-backend', 'req-1'],
      ['BalanceChanged', 'pos-backend', 'req-2'],
      ['HoldPlaced', 'pos-backend', 'req-3'],
      ['BalanceChanged', 'till-7', 'req-4'],
      ['HoldCaptured', 'till-7', 'req-4'],
      ['BalanceChanged', null, null],
    ]);
    const userId = uniqueUser();
    const earned = await service.earnPoints({ userId, points: 5, source: 's' }, { actor });
    expect(earned.transaction.actor).toEqual(actor);
    expect((await service.listPointTransactions({ userId })).items[0]?.actor).toEqual(actor);
  });

  it(`applies exactly one of ${n} concurrent captures and voids of one hold`, async () => {
    const { service } = get();
    const wallet = await funded(service, '1000');
    const hold = await service.placeHold({ walletId: wallet.id, amount: '600' });
    const results = await Promise.allSettled(
      Array.from({ length: n }, (_, i) => (i % 3 === 2 ? service.voidHold({ holdId: hold.id }) : service.captureHold({ holdId: hold.id, amount: '500' }))),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const after = await service.getWallet({ walletId: wallet.id });
    const final = await service.getHold({ holdId: hold.id });
    // Every loser learns how the hold ended, also one that read it active before the winner committed.
    for (const r of results) {
      if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'HOLD_NOT_ACTIVE', figures: { holdStatus: final.status } });
    }
    expect(after.heldAmount).toBe('0');
    expect(after.balance).toBe(final.status === 'captured' ? '500' : '1000');
  });

  it(`never refunds more than the payment under ${n} concurrent refunds`, async () => {
    const { service } = get();
    const wallet = await funded(service, '100');
    const paid = await service.withdraw({ walletId: wallet.id, amount: '100' });
    const results = await Promise.allSettled(Array.from({ length: n }, () => service.refund({ transactionId: paid.transaction.id, amount: '7' })));
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    expect(ok).toBe(Math.min(n, 14));
    for (const r of results) if (r.status === 'rejected') expect((r.reason as { code?: string }).code).toBe('REFUND_EXCEEDS_ORIGINAL');
    expect((await service.getWallet({ walletId: wallet.id })).balance).toBe(String(7 * ok));
  });
}
