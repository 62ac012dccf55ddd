/**
 * The store contract for e-money limits (API.md, "What a till needs next"): a cap on the balance
 * and on what is deposited or spent per local day and calendar month, counted with the money.
 * Registered by `describeStoreContract`, so that every store runs them. @internal
 */
import { expect, it } from 'vitest';
import { WalletService } from '../facade.js';
import type { WalletStore } from '../store.js';
import type { LimitsInput } from '../wallet/limits.js';
import { codeOf, figuresOf, uniqueUser } from './support.js';

const DAY = 86_400_000;

export function limitCases(get: () => { store: WalletStore; service: WalletService }, n: number): void {
  /** A service on the suite's store with VND defaults `limits` and a clock the case moves (Ho Chi Minh time: UTC+7). */
  function limited(limits: LimitsInput, start: string) {
    const clock = { now: new Date(start) };
    const service = new WalletService({ store: get().store, clock: () => clock.now, limits: { VND: limits } });
    return { service, clock, at: (iso: string) => (clock.now = new Date(iso)), advance: (ms: number) => (clock.now = new Date(clock.now.getTime() + ms)) };
  }

  async function opened(service: WalletService, deposit?: string) {
    const wallet = await service.createWallet({ userId: uniqueUser(), currency: 'VND' });
    if (deposit !== undefined) await service.deposit({ walletId: wallet.id, amount: deposit });
    return wallet;
  }

  async function ledgerTypes(service: WalletService, walletId: string) {
    return (await service.listTransactions({ walletId, limit: 100 })).items.map((t) => `${t.type} ${t.amount}`).reverse();
  }

  it('refuses a deposit past the daily deposit limit with its figures, changing nothing; the next local midnight starts a new day', async () => {
    // 16:59:59Z is 23:59:59 in Ho Chi Minh; 17:00:00Z is midnight.
    const { service, at } = limited({ daily: { deposit: '1000' } }, '2031-03-01T10:00:00Z');
    const wallet = await opened(service, '600');
    at('2031-03-01T16:59:59Z');
    expect(await figuresOf(service.deposit({ walletId: wallet.id, amount: '401' }))).toEqual({
      code: 'LIMIT_EXCEEDED',
      figures: { limit: '1000', period: 'daily', kind: 'deposit', used: '600', requested: '401' },
    });
    expect(await service.getWallet({ walletId: wallet.id })).toMatchObject({ balance: '600' });
    expect(await ledgerTypes(service, wallet.id)).toEqual(['deposit 600']);
    await service.deposit({ walletId: wallet.id, amount: '400' });
    expect(await codeOf(service.deposit({ walletId: wallet.id, amount: '1' }))).toBe('LIMIT_EXCEEDED');
    at('2031-03-01T17:00:00Z');
    await service.deposit({ walletId: wallet.id, amount: '1000' });
    expect(await service.getLimits({ walletId: wallet.id })).toEqual({
      walletId: wallet.id,
      currency: 'VND',
      timeZone: 'Asia/Ho_Chi_Minh',
      own: null,
      maxBalance: { limit: null, used: '2000' },
      daily: { period: '2031-03-02', deposit: { limit: '1000', used: '1000' }, spend: { limit: null, used: '0' } },
      monthly: { period: '2031-03', deposit: { limit: null, used: '2000' }, spend: { limit: null, used: '0' } },
    });
  });

  it('refuses a spend past the monthly limit; the first of the month (local) starts a new month', async () => {
    const { service, at } = limited({ monthly: { spend: '1000' } }, '2031-03-20T05:00:00Z');
    const wallet = await opened(service, '5000');
    await service.withdraw({ walletId: wallet.id, amount: '700' });
    // 2031-03-31T16:59:59Z is the last second of March in Ho Chi Minh.
    at('2031-03-31T16:59:59Z');
    expect(await figuresOf(service.withdraw({ walletId: wallet.id, amount: '301' }))).toEqual({
      code: 'LIMIT_EXCEEDED',
      figures: { limit: '1000', period: 'monthly', kind: 'spend', used: '700', requested: '301' },
    });
    expect(await service.getWallet({ walletId: wallet.id })).toMatchObject({ balance: '4300' });
    at('2031-03-31T17:00:00Z');
    await service.withdraw({ walletId: wallet.id, amount: '1000' });
    const limits = await service.getLimits({ walletId: wallet.id });
    expect(limits.monthly).toEqual({ period: '2031-04', deposit: { limit: null, used: '0' }, spend: { limit: '1000', used: '1000' } });
    expect(limits.daily.period).toBe('2031-04-01');
  });

  it('transfers out, captures and split payments count as spend; a hold reserves without counting, and one that could not be captured now is refused', async () => {
    const { service } = limited({ daily: { spend: '1000' } }, '2031-05-02T03:00:00Z');
    const wallet = await opened(service, '10000');
    const shop = await opened(service);
    await service.withdraw({ walletId: wallet.id, amount: '200' });
    await service.transfer({ fromWalletId: wallet.id, toWalletId: shop.id, amount: '200' });
    const hold = await service.placeHold({ walletId: wallet.id, amount: '300' });
    expect((await service.getLimits({ walletId: wallet.id })).daily.spend).toEqual({ limit: '1000', used: '400' });
    expect(await figuresOf(service.placeHold({ walletId: wallet.id, amount: '601' }))).toMatchObject({
      code: 'LIMIT_EXCEEDED',
      figures: { period: 'daily', kind: 'spend', used: '400', requested: '601' },
    });
    await service.captureHold({ holdId: hold.id, amount: '250' });
    await service.pay({ walletId: wallet.id, amount: '300', reference: 'order-1' });
    expect((await service.getLimits({ walletId: wallet.id })).daily.spend).toEqual({ limit: '1000', used: '950' });
    expect(await figuresOf(service.pay({ walletId: wallet.id, amount: '51', reference: 'order-2', toWalletId: shop.id }))).toEqual({
      code: 'LIMIT_EXCEEDED',
      figures: { limit: '1000', period: 'daily', kind: 'spend', used: '950', requested: '51' },
    });
    // The merchant's side counts toward nothing of its deposits.
    expect((await service.getLimits({ walletId: shop.id })).daily.deposit.used).toBe('0');
    expect(await service.getWallet({ walletId: wallet.id })).toMatchObject({ balance: '9050', heldAmount: '0' });
  });

  it('keeps the balance within maxBalance after any credit: deposits, transfers in, refunds', async () => {
    const { service } = limited({ maxBalance: '1000' }, '2031-05-02T03:00:00Z');
    const wallet = await opened(service, '800');
    const payer = await opened(service);
    await service.setLimits({ walletId: payer.id, maxBalance: '100000' });
    await service.deposit({ walletId: payer.id, amount: '5000' });
    expect(await figuresOf(service.transfer({ fromWalletId: payer.id, toWalletId: wallet.id, amount: '201' }))).toEqual({
      code: 'LIMIT_EXCEEDED',
      figures: { limit: '1000', period: 'balance', kind: 'balance', used: '800', requested: '201' },
    });
    expect(await service.getWallet({ walletId: payer.id })).toMatchObject({ balance: '5000' });
    await service.transfer({ fromWalletId: payer.id, toWalletId: wallet.id, amount: '200' });
    expect(await figuresOf(service.deposit({ walletId: wallet.id, amount: '1' }))).toMatchObject({ code: 'LIMIT_EXCEEDED', figures: { period: 'balance' } });
    const paid = await service.withdraw({ walletId: wallet.id, amount: '300' });
    await service.deposit({ walletId: wallet.id, amount: '250' });
    expect(await codeOf(service.refund({ transactionId: paid.transaction.id }))).toBe('LIMIT_EXCEEDED');
    await service.refund({ transactionId: paid.transaction.id, amount: '50' });
    expect(await service.getWallet({ walletId: wallet.id })).toMatchObject({ balance: '1000' });
    // A transfer in counts toward the balance only, not toward what was deposited.
    expect((await service.getLimits({ walletId: wallet.id })).daily.deposit.used).toBe('1050');
  });

  it('refunds give back spend to the day and month the payment was counted in, while they are current', async () => {
    const { service, advance } = limited({ daily: { spend: '1000' }, monthly: { spend: '5000' } }, '2031-06-10T02:00:00Z');
    const wallet = await opened(service, '10000');
    const paid = await service.withdraw({ walletId: wallet.id, amount: '1000' });
    expect(await codeOf(service.withdraw({ walletId: wallet.id, amount: '1' }))).toBe('LIMIT_EXCEEDED');
    await service.refund({ transactionId: paid.transaction.id, amount: '400' });
    expect((await service.getLimits({ walletId: wallet.id })).daily.spend.used).toBe('600');
    await service.withdraw({ walletId: wallet.id, amount: '400' });
    advance(DAY);
    await service.withdraw({ walletId: wallet.id, amount: '1000' });
    // Yesterday's payment refunded today: today's use stays, the month's goes down.
    await service.refund({ transactionId: paid.transaction.id });
    const limits = await service.getLimits({ walletId: wallet.id });
    expect(limits.daily.spend.used).toBe('1000');
    expect(limits.monthly.spend.used).toBe('1400');
    expect(await codeOf(service.withdraw({ walletId: wallet.id, amount: '1' }))).toBe('LIMIT_EXCEEDED');
  });

  it('deposit reversals give back deposit use to the day and month the deposit was counted in, while current; a reversal is no spend', async () => {
    // A daily spend limit of 1: a reversal takes money out, yet is not a payment and never meets it.
    const { service, advance, at } = limited({ daily: { deposit: '1000', spend: '1' }, monthly: { deposit: '3000' } }, '2031-09-10T02:00:00Z');
    const wallet = await opened(service);
    const keyedWrong = (await service.deposit({ walletId: wallet.id, amount: '1000', metadata: { till: '3' } })).transaction;
    expect(await codeOf(service.deposit({ walletId: wallet.id, amount: '1' }))).toBe('LIMIT_EXCEEDED');
    const back = await service.reverseDeposit({
      transactionId: keyedWrong.id,
      amount: '400',
      reason: 'cashier keyed 1000 for 600',
      metadata: { ticket: 'OPS-9' },
    });
    // The rows keep their labels; the counters live on the wallet beside them.
    expect([keyedWrong.metadata, back.transaction.metadata]).toEqual([{ till: '3' }, { ticket: 'OPS-9' }]);
    expect((await service.getLimits({ walletId: wallet.id })).daily.deposit).toEqual({ limit: '1000', used: '600' });
    const right = (await service.deposit({ walletId: wallet.id, amount: '400' })).transaction;
    expect(await figuresOf(service.deposit({ walletId: wallet.id, amount: '1' }))).toEqual({
      code: 'LIMIT_EXCEEDED',
      figures: { limit: '1000', period: 'daily', kind: 'deposit', used: '1000', requested: '1' },
    });
    advance(DAY);
    await service.deposit({ walletId: wallet.id, amount: '1000' });
    // Yesterday's deposit reversed today: today's use stays, the month's goes down.
    await service.reverseDeposit({ transactionId: keyedWrong.id, reason: 'the rest was a mistake too' });
    let limits = await service.getLimits({ walletId: wallet.id });
    expect([limits.daily.deposit.used, limits.monthly.deposit.used]).toEqual(['1000', '1400']);
    expect(limits.daily.spend.used).toBe('0');
    expect(await codeOf(service.deposit({ walletId: wallet.id, amount: '1' }))).toBe('LIMIT_EXCEEDED');
    // Last month's deposit reversed this month gives back nothing of this month's use.
    at('2031-10-01T00:00:00Z');
    await service.deposit({ walletId: wallet.id, amount: '500' });
    await service.reverseDeposit({ transactionId: right.id, reason: 'refused at the counter' });
    limits = await service.getLimits({ walletId: wallet.id });
    expect([limits.daily.period, limits.daily.deposit.used, limits.monthly.deposit.used]).toEqual(['2031-10-01', '500', '500']);
    expect(await service.getWallet({ walletId: wallet.id })).toMatchObject({ balance: '1500' });
    expect(await ledgerTypes(service, wallet.id)).toEqual([
      'deposit 1000',
      'deposit_reversal 400',
      'deposit 400',
      'deposit 1000',
      'deposit_reversal 600',
      'deposit 500',
      'deposit_reversal 400',
    ]);
  });

  it("a wallet's own limits override its currency's defaults field by field; {} restores the defaults; recorded as an event", async () => {
    const { service } = limited({ maxBalance: '5000', daily: { deposit: '1000' } }, '2031-07-01T03:00:00Z');
    const wallet = await opened(service);
    const set = await service.setLimits({ walletId: wallet.id, daily: { deposit: '3000', spend: '200' } }, { actor: { sub: 'admin-1', role: 'admin' } });
    expect(set).toMatchObject({
      own: { daily: { deposit: '3000', spend: '200' } },
      maxBalance: { limit: '5000', used: '0' },
      daily: { deposit: { limit: '3000', used: '0' }, spend: { limit: '200', used: '0' } },
    });
    await service.deposit({ walletId: wallet.id, amount: '2500' });
    expect(await service.getLimits({ walletId: wallet.id })).toEqual({
      ...set,
      maxBalance: { limit: '5000', used: '2500' },
      daily: { ...set.daily, deposit: { limit: '3000', used: '2500' } },
      monthly: { ...set.monthly, deposit: { limit: null, used: '2500' } },
    });
    // Labelled like any command: the event carries the metadata.
    const reset = await service.setLimits({ walletId: wallet.id, metadata: { ticket: 'OPS-7' } });
    expect(reset.own).toBeNull();
    expect(reset.daily.deposit).toEqual({ limit: '1000', used: '2500' });
    expect(await codeOf(service.deposit({ walletId: wallet.id, amount: '1' }))).toBe('LIMIT_EXCEEDED');
    expect(await codeOf(service.setLimits({ walletId: wallet.id, maxBalance: '1.5' }))).toBe('VALIDATION_ERROR');
    expect(await codeOf(service.setLimits({ walletId: wallet.id, maxBalance: '0' }))).toBe('VALIDATION_ERROR');
    expect(await codeOf(service.getLimits({ walletId: wallet.id }, { asUser: 'someone-else' }))).toBe('WALLET_NOT_FOUND');
    const events = [];
    for (let after: string | undefined; ;) {
      const page = await get().store.listEvents(after, 1000);
      events.push(...page.map((e) => e.row).filter((e) => e.aggregateId === wallet.id && e.type === 'WalletLimitsSet'));
      if (page.length < 1000) break;
      after = page[page.length - 1]?.position;
    }
    expect(events.map((e) => [e.payload, e.actor])).toEqual([
      [
        { userId: wallet.userId, currency: 'VND', limits: { daily: { deposit: '3000', spend: '200' } } },
        { sub: 'admin-1', role: 'admin' },
      ],
      [{ userId: wallet.userId, currency: 'VND', limits: null, metadata: { ticket: 'OPS-7' } }, null],
    ]);
  });

  it(`racing deposits never jointly pass a daily limit: of ${n} at once, exactly those that fit pass`, async () => {
    const fit = Math.floor(n / 2);
    const { service } = limited({ daily: { deposit: String(fit * 100) } }, '2031-08-01T03:00:00Z');
    const wallet = await opened(service);
    const outcomes = await Promise.allSettled(Array.from({ length: n }, () => service.deposit({ walletId: wallet.id, amount: '100' })));
    const passed = outcomes.filter((o) => o.status === 'fulfilled').length;
    const refused = outcomes.map((o) => (o.status === 'rejected' ? (o.reason as { code?: string }).code : null)).filter((c) => c !== null);
    expect(passed).toBe(fit);
    expect(refused).toEqual(Array.from({ length: n - fit }, () => 'LIMIT_EXCEEDED'));
    expect(await service.getWallet({ walletId: wallet.id })).toMatchObject({ balance: String(fit * 100) });
    expect((await service.getLimits({ walletId: wallet.id })).daily.deposit).toEqual({ limit: String(fit * 100), used: String(fit * 100) });
  });

  it('refuses to start with a time zone or a default it cannot use', () => {
    const store = get().store;
    expect(() => new WalletService({ store, limitsTimeZone: 'Mars/Olympus_Mons' })).toThrow(/IANA time zone/);
    expect(() => new WalletService({ store, limits: { VND: { maxBalance: '1.5' } } })).toThrow(/limits of VND/);
    expect(() => new WalletService({ store, limits: { XXX: { maxBalance: '1' } } })).toThrow(/limits of XXX/);
  });
}
