/**
 * The store contract for what a till needs next (API.md, "What a till needs next"): the figures a
 * refusal carries, growing holds. Registered by `describeStoreContract`, so that every store runs them. @internal
 */
import { expect, it } from 'vitest';
import { WalletService } from '../facade.js';
import type { WalletStore } from '../store.js';
import { clockedService, codeOf, figuresOf, funded, uniqueUser } from './support.js';

const HOUR = 3_600_000;

export function tillCases(get: () => { store: WalletStore; service: WalletService }, n: number): void {
  /** A service on the suite's store whose clock the case moves. */
  const clocked = (start = '2031-03-01T09:00:00Z') => clockedService(get().store, start);

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

  /** Every event of one aggregate, in position order (paging through the whole outbox). */
  async function eventsOf(aggregateId: string) {
    const found = [];
    let after: string | undefined;
    for (;;) {
      const page = await get().store.listEvents(after, 1000);
      found.push(...page.map((e) => e.row).filter((e) => e.aggregateId === aggregateId));
      if (page.length < 1000) return found;
      after = page[page.length - 1]?.position;
    }
  }

  it('grows an active hold from the available balance, its expiry unchanged; a capture then takes up to the new total', async () => {
    const { service, advance } = clocked();
    const wallet = await funded(service, '100000');
    const hold = await service.placeHold({ walletId: wallet.id, amount: '30000', reference: 'table-4', expiresAt: '2031-03-01T12:00:00Z' });
    advance(HOUR);
    const grown = await service.incrementHold({ holdId: hold.id, amount: '20000' });
    expect(grown).toEqual({ ...hold, amount: '50000', updatedAt: '2031-03-01T10:00:00.000Z' });
    expect(await service.getHold({ holdId: hold.id })).toEqual(grown);
    expect(await service.getWallet({ walletId: wallet.id })).toMatchObject({ balance: '100000', heldAmount: '50000', availableBalance: '50000' });
    expect(await figuresOf(service.incrementHold({ holdId: hold.id, amount: '50001' }))).toEqual({
      code: 'INSUFFICIENT_FUNDS',
      figures: { available: '50000', requested: '50001' },
    });
    expect(await figuresOf(service.withdraw({ walletId: wallet.id, amount: '50001' }))).toMatchObject({ code: 'INSUFFICIENT_FUNDS' });
    expect((await service.incrementHold({ holdId: hold.id, amount: '50000' })).amount).toBe('100000');
    expect(await service.getWallet({ walletId: wallet.id })).toMatchObject({ heldAmount: '100000', availableBalance: '0' });
    // Nothing moved: a hold reserves, the ledger has the deposit alone.
    expect((await service.listTransactions({ walletId: wallet.id })).items.map((t) => t.type)).toEqual(['deposit']);
    const events = (await eventsOf(wallet.id)).filter((e) => e.type === 'HoldIncremented');
    expect(events.map((e) => e.payload)).toEqual([
      { userId: wallet.userId, currency: 'VND', holdId: hold.id, amount: '50000', reference: 'table-4', incrementedBy: '20000', expiresAt: hold.expiresAt },
      { userId: wallet.userId, currency: 'VND', holdId: hold.id, amount: '100000', reference: 'table-4', incrementedBy: '50000', expiresAt: hold.expiresAt },
    ]);
    const captured = await service.captureHold({ holdId: hold.id, amount: '90000' });
    expect(captured.hold).toMatchObject({ status: 'captured', amount: '100000', capturedAmount: '90000' });
    expect(captured.wallet).toMatchObject({ balance: '10000', heldAmount: '0', availableBalance: '10000' });
    // The expiry was not moved: at 12:00 a grown hold stops counting like any other.
    const other = await service.placeHold({ walletId: wallet.id, amount: '1000', expiresAt: '2031-03-01T12:00:00Z' });
    await service.incrementHold({ holdId: other.id, amount: '2000' });
    advance(2 * HOUR);
    expect(await figuresOf(service.incrementHold({ holdId: other.id, amount: '1' }))).toEqual({ code: 'HOLD_NOT_ACTIVE', figures: { holdStatus: 'expired' } });
    expect(await service.getWallet({ walletId: wallet.id })).toMatchObject({ heldAmount: '0', availableBalance: '10000' });
  });

  it('refuses to grow a hold that ended, on a frozen wallet, or by an amount that is no amount; each refusal changes nothing', async () => {
    const { service } = get();
    const wallet = await funded(service, '1000');
    const captured = await service.placeHold({ walletId: wallet.id, amount: '100' });
    await service.captureHold({ holdId: captured.id });
    expect(await figuresOf(service.incrementHold({ holdId: captured.id, amount: '1' }))).toEqual({
      code: 'HOLD_NOT_ACTIVE',
      figures: { holdStatus: 'captured' },
    });
    const voided = await service.placeHold({ walletId: wallet.id, amount: '100' });
    await service.voidHold({ holdId: voided.id });
    expect(await figuresOf(service.incrementHold({ holdId: voided.id, amount: '1' }))).toEqual({ code: 'HOLD_NOT_ACTIVE', figures: { holdStatus: 'voided' } });
    const hold = await service.placeHold({ walletId: wallet.id, amount: '100' });
    await service.freeze({ walletId: wallet.id });
    expect(await codeOf(service.incrementHold({ holdId: hold.id, amount: '1' }))).toBe('WALLET_FROZEN');
    await service.unfreeze({ walletId: wallet.id });
    for (const amount of ['0', '-1', '1.5', ' 1', '1e3'])
      expect(await codeOf(service.incrementHold({ holdId: hold.id, amount })), amount).toBe('VALIDATION_ERROR');
    expect(await codeOf(service.incrementHold({ holdId: '00000000-0000-4000-8000-0000000000f1', amount: '1' }))).toBe('HOLD_NOT_FOUND');
    expect(await codeOf(service.incrementHold({ holdId: hold.id, amount: '1' }, { asUser: uniqueUser() }))).toBe('HOLD_NOT_FOUND');
    expect(await service.getHold({ holdId: hold.id })).toEqual(hold);
    expect(await service.getWallet({ walletId: wallet.id })).toMatchObject({ balance: '900', heldAmount: '100', availableBalance: '800' });
    const key = 'grow-table-9';
    const once = await service.incrementHold({ holdId: hold.id, amount: '50' }, { idempotencyKey: key });
    expect(await service.incrementHold({ holdId: hold.id, amount: '50' }, { idempotencyKey: key })).toEqual(once);
    expect(await codeOf(service.incrementHold({ holdId: hold.id, amount: '51' }, { idempotencyKey: key }))).toBe('IDEMPOTENCY_CONFLICT');
    expect((await service.getHold({ holdId: hold.id })).amount).toBe('150');
  });

  it(`lets exactly what fits pass when ${n} increments of a hold race ${n} withdrawals`, async () => {
    const { service } = get();
    const wallet = await funded(service, '10000');
    const hold = await service.placeHold({ walletId: wallet.id, amount: '2000' });
    // 8000 available: 8 of the 2n commands of 1000 each fit, whichever they are.
    const results = await Promise.allSettled(
      Array.from({ length: 2 * n }, (_, i) =>
        i % 2 === 0 ? service.incrementHold({ holdId: hold.id, amount: '1000' }) : service.withdraw({ walletId: wallet.id, amount: '1000' }),
      ),
    );
    const passed = results.map((r, i) => (r.status === 'fulfilled' ? (i % 2 === 0 ? 'increment' : 'withdraw') : null));
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'INSUFFICIENT_FUNDS' });
    const increments = passed.filter((p) => p === 'increment').length;
    const withdrawals = passed.filter((p) => p === 'withdraw').length;
    expect(increments + withdrawals).toBe(Math.min(8, 2 * n));
    expect((await service.getHold({ holdId: hold.id })).amount).toBe(String(2000 + 1000 * increments));
    expect(await service.getWallet({ walletId: wallet.id })).toMatchObject({
      balance: String(10000 - 1000 * withdrawals),
      heldAmount: String(2000 + 1000 * increments),
      availableBalance: String(8000 - 1000 * (increments + withdrawals)),
    });
  });
}
