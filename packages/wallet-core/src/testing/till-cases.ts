/**
 * The store contract for what a till needs next (API.md, "What a till needs next"): the figures a
 * refusal carries. Registered by `describeStoreContract`, so that every store runs them. @internal
 */
import { expect, it } from 'vitest';
import { WalletService } from '../facade.js';
import type { WalletStore } from '../store.js';
import { figuresOf, uniqueUser } from './support.js';

const HOUR = 3_600_000;

export function tillCases(get: () => { store: WalletStore; service: WalletService }): void {
  /** A service on the suite's store whose clock the case moves. */
  function clocked(start = '2031-03-01T09:00:00Z') {
    const clock = { now: new Date(start) };
    const service = new WalletService({ store: get().store, clock: () => clock.now });
    return { service, clock, advance: (ms: number) => (clock.now = new Date(clock.now.getTime() + ms)) };
  }

  async function funded(service: WalletService, amount: string, currency = 'VND', userId = uniqueUser()) {
    const wallet = await service.createWallet({ userId, currency });
    if (amount !== '0') await service.deposit({ walletId: wallet.id, amount });
    return wallet;
  }

  it('INSUFFICIENT_FUNDS names what is available (the balance less what holds reserve) and what was asked', async () => {
    const { service } = get();
    const wallet = await funded(service, '100000');
    await service.placeHold({ walletId: wallet.id, amount: '40000' });
    const other = await funded(service, '0');
    const refused = { code: 'INSUFFICIENT_FUNDS', figures: { available: '60000', requested: '60001' } };
    expect(await figuresOf(service.withdraw({ walletId: wallet.id, amount: '60001' }))).toEqual(refused);
    expect(await figuresOf(service.transfer({ fromWalletId: wallet.id, toWalletId: other.id, amount: '60001' }))).toEqual(refused);
    expect(await figuresOf(service.placeHold({ walletId: wallet.id, amount: '60001' }))).toEqual(refused);
    await service.withdraw({ walletId: wallet.id, amount: '60000' });
    expect(await figuresOf(service.withdraw({ walletId: wallet.id, amount: '1' }))).toEqual({
      code: 'INSUFFICIENT_FUNDS',
      figures: { available: '0', requested: '1' },
    });
    const usd = await funded(service, '12.5', 'USD');
    expect(await figuresOf(service.withdraw({ walletId: usd.id, amount: '12.51' }))).toEqual({
      code: 'INSUFFICIENT_FUNDS',
      figures: { available: '12.50', requested: '12.51' },
    });
    await service
      .withdraw({ walletId: usd.id, amount: '13' })
      .then(() => expect.fail('overdrawn'))
      .catch((e: Error) => expect(e.message).toBe(`Wallet ${usd.id} has 12.50 available, less than the 13.00 requested`));
  });

  it('CAPTURE_EXCEEDS_HOLD names what the hold reserves; HOLD_NOT_ACTIVE says whether it was captured, voided or expired', async () => {
    const { service, advance } = clocked();
    const wallet = await funded(service, '10000');
    const captured = await service.placeHold({ walletId: wallet.id, amount: '3000' });
    expect(await figuresOf(service.captureHold({ holdId: captured.id, amount: '3001' }))).toEqual({
      code: 'CAPTURE_EXCEEDS_HOLD',
      figures: { held: '3000', requested: '3001' },
    });
    await service.captureHold({ holdId: captured.id, amount: '1000' });
    const voided = await service.placeHold({ walletId: wallet.id, amount: '2000' });
    await service.voidHold({ holdId: voided.id });
    const expired = await service.placeHold({ walletId: wallet.id, amount: '1000', expiresAt: '2031-03-01T10:00:00Z' });
    advance(HOUR);
    for (const [hold, holdStatus] of [
      [captured, 'captured'],
      [voided, 'voided'],
      [expired, 'expired'],
    ] as const) {
      const refused = { code: 'HOLD_NOT_ACTIVE', figures: { holdStatus } };
      expect(await figuresOf(service.captureHold({ holdId: hold.id })), `capture of a ${holdStatus} hold`).toEqual(refused);
      expect(await figuresOf(service.voidHold({ holdId: hold.id })), `void of a ${holdStatus} hold`).toEqual(refused);
    }
    // A refusal changes nothing: the hold reads as expired by its time alone.
    expect((await service.getHold({ holdId: expired.id })).status).toBe('expired');
    await service
      .voidHold({ holdId: voided.id })
      .then(() => expect.fail('voided twice'))
      .catch((e: Error) => expect(e.message).toBe(`Hold ${voided.id} was voided; only an active hold can change`));
    expect(await service.getWallet({ walletId: wallet.id })).toMatchObject({ balance: '9000', heldAmount: '0', availableBalance: '9000' });
  });

  it('REFUND_EXCEEDS_ORIGINAL names what is left to give back; INSUFFICIENT_POINTS names the points available', async () => {
    const { service } = get();
    const wallet = await funded(service, '200000');
    const paid = await service.withdraw({ walletId: wallet.id, amount: '125000' });
    await service.refund({ transactionId: paid.transaction.id, amount: '25000' });
    expect(await figuresOf(service.refund({ transactionId: paid.transaction.id, amount: '100001' }))).toEqual({
      code: 'REFUND_EXCEEDS_ORIGINAL',
      figures: { remaining: '100000', requested: '100001' },
    });
    await service.refund({ transactionId: paid.transaction.id });
    expect(await figuresOf(service.refund({ transactionId: paid.transaction.id, amount: '1' }))).toEqual({
      code: 'REFUND_EXCEEDS_ORIGINAL',
      figures: { remaining: '0', requested: '1' },
    });
    const userId = uniqueUser();
    await service.earnPoints({ userId, points: 120, source: 'ord-1' });
    expect(await figuresOf(service.spendPoints({ userId, points: 121, source: 'ord-2' }))).toEqual({
      code: 'INSUFFICIENT_POINTS',
      figures: { available: 120, requested: 121 },
    });
    const spend = await service.spendPoints({ userId, points: 20, source: 'ord-3' });
    expect(await figuresOf(service.refundPoints({ transactionId: spend.transaction.id, points: 21 }))).toEqual({
      code: 'REFUND_EXCEEDS_ORIGINAL',
      figures: { remaining: '20', requested: '21' },
    });
  });
}
