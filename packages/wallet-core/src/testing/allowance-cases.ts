/**
 * The store contract for offline allowances: opening, syncing a till's spends exactly once in seq
 * order, caps, settling, the window and its grace, frozen and closed wallets, and races between
 * syncs and online payments. Registered by `describeStoreContract`, so that every store runs them.
 * @internal
 */
import { expect, it } from 'vitest';
import { eventEnvelope, eventEnvelopeSchema } from '../event-schemas.js';
import { WalletService } from '../facade.js';
import { wasReplayed } from '../idempotency.js';
import type { WalletStore } from '../store.js';
import { allEvents, clockedService, codeOf, figuresOf, funded, uniqueUser } from './support.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MISSING = '00000000-0000-4000-8000-0000000000a1';

export function allowanceCases(get: () => { store: WalletStore; service: WalletService }, n: number): void {
  /** A service on the suite's store whose clock the case moves. */
  const clocked = (start = '2031-06-01T08:00:00Z') => clockedService(get().store, start);

  const at = (minute: number) => `2031-06-01T09:${String(minute).padStart(2, '0')}:00+07:00`;
  const spend = (seq: number, amount: string, extra: Record<string, string> = {}) => ({ seq, amount, occurredAt: at(seq % 60), ...extra });

  it('opens an allowance that reserves available balance for one till; online payments see only the rest', async () => {
    const { service } = clocked();
    const wallet = await funded(service, '100000');
    const allowance = await service.openAllowance({ walletId: wallet.id, tillId: 'store-1/till-1', amount: '60000', maxSpends: 20 });
    expect(allowance).toMatchObject({
      walletId: wallet.id,
      tillId: 'store-1/till-1',
      amount: '60000',
      spentAmount: '0',
      spendCount: 0,
      lastSeq: 0,
      status: 'active',
      spendUntil: '2031-06-02T08:00:00.000Z',
      settleBy: '2031-06-05T08:00:00.000Z',
      maxSpendAmount: null,
      maxSpends: 20,
    });
    expect(await service.getWallet({ walletId: wallet.id })).toMatchObject({ balance: '100000', heldAmount: '60000', availableBalance: '40000' });
    expect(await codeOf(service.withdraw({ walletId: wallet.id, amount: '40001' }))).toBe('INSUFFICIENT_FUNDS');
    expect(await codeOf(service.openAllowance({ walletId: wallet.id, tillId: 'store-1/till-1', amount: '1' }))).toBe('ALLOWANCE_EXISTS');
    expect(await codeOf(service.openAllowance({ walletId: wallet.id, tillId: 'store-1/till-2', amount: '40001' }))).toBe('INSUFFICIENT_FUNDS');
    const second = await service.openAllowance({ walletId: wallet.id, tillId: 'store-1/till-2', amount: '10000', spendUntil: '2031-06-01T20:00:00Z' });
    expect(second).toMatchObject({ spendUntil: '2031-06-01T20:00:00.000Z', settleBy: '2031-06-04T20:00:00.000Z' });
    expect(await service.getAllowance({ allowanceId: allowance.id })).toEqual(allowance);
    expect((await service.listAllowances({ walletId: wallet.id })).items).toEqual([second, allowance]);
    const firstPage = await service.listAllowances({ walletId: wallet.id, limit: 1 });
    expect(firstPage.items).toEqual([second]);
    expect((await service.listAllowances({ walletId: wallet.id, limit: 1, cursor: firstPage.nextCursor })).items).toEqual([allowance]);
    expect(await codeOf(service.getAllowance({ allowanceId: MISSING }))).toBe('ALLOWANCE_NOT_FOUND');
    expect(await codeOf(service.getAllowance({ allowanceId: allowance.id }, { asUser: uniqueUser() }))).toBe('ALLOWANCE_NOT_FOUND');
    expect(await codeOf(service.listAllowances({ walletId: wallet.id }, { asUser: uniqueUser() }))).toBe('WALLET_NOT_FOUND');
    expect((await service.getAllowance({ allowanceId: allowance.id }, { asUser: wallet.userId })).id).toBe(allowance.id);
  });

  it('refuses a spendUntil in the past or more than 7 days ahead', async () => {
    const { service } = clocked();
    const wallet = await funded(service, '10');
    const open = (spendUntil: string) => service.openAllowance({ walletId: wallet.id, tillId: 't', amount: '1', spendUntil });
    expect(await codeOf(open('2031-06-01T08:00:00Z'))).toBe('VALIDATION_ERROR');
    expect(await codeOf(open('2031-06-08T08:00:01Z'))).toBe('VALIDATION_ERROR');
    expect((await open('2031-06-08T08:00:00Z')).status).toBe('active');
  });

  it("books a sync's spends in seq order, each a capture with holdId, allowanceId, allowanceSeq and the till's occurredAt", async () => {
    const { service } = get();
    const wallet = await funded(service, '100000');
    const merchant = await funded(service, '0');
    const allowance = await service.openAllowance({ walletId: wallet.id, tillId: 'till-a', amount: '50000' });
    const synced = await service.syncAllowance({
      allowanceId: allowance.id,
      spends: [spend(2, '20000', { toWalletId: merchant.id, reference: 'sale-2' }), spend(1, '12000', { reference: 'sale-1', description: 'coffee' })],
    });
    expect(synced.allowance).toMatchObject({ spentAmount: '32000', spendCount: 2, lastSeq: 2, status: 'active' });
    expect(synced.results.map((r) => [r.seq, r.status])).toEqual([
      [1, 'booked'],
      [2, 'booked'],
    ]);
    expect(await service.getWallet({ walletId: wallet.id })).toMatchObject({ balance: '68000', heldAmount: '18000', availableBalance: '50000' });
    expect((await service.getWallet({ walletId: merchant.id })).balance).toBe('20000');
    const rows = (await service.listTransactions({ walletId: wallet.id })).items;
    expect(rows.map((t) => [t.type, t.amount, t.balanceAfter, t.holdId, t.allowanceId, t.allowanceSeq, t.occurredAt, t.reference])).toEqual([
      ['transfer_out', '20000', '68000', allowance.id, allowance.id, 2, '2031-06-01T02:02:00.000Z', 'sale-2'],
      ['withdrawal', '12000', '88000', allowance.id, allowance.id, 1, '2031-06-01T02:01:00.000Z', 'sale-1'],
      ['deposit', '100000', '100000', null, null, null, rows[2]?.createdAt, null],
    ]);
    expect(rows.map((t) => t.id).slice(0, 2)).toEqual([synced.results[1]?.transactionId, synced.results[0]?.transactionId]);
    expect(rows[1]?.description).toBe('coffee');
    const [credit] = (await service.listTransactions({ walletId: merchant.id })).items;
    expect(credit).toMatchObject({
      type: 'transfer_in',
      amount: '20000',
      transferId: rows[0]?.transferId,
      holdId: allowance.id,
      allowanceId: allowance.id,
      allowanceSeq: 2,
      occurredAt: '2031-06-01T02:02:00.000Z',
    });
    // A booked spend is refunded like any payment.
    const refunded = await service.refund({ transactionId: synced.results[0]?.transactionId as string, amount: '2000' });
    expect(refunded.wallet).toMatchObject({ balance: '70000', heldAmount: '18000', availableBalance: '52000' });
  });

  it('books each seq exactly once: a replay with the same content answers replayed, other content is ALLOWANCE_SEQ_CONFLICT', async () => {
    const { service } = get();
    const wallet = await funded(service, '10000');
    const merchant = await funded(service, '0');
    const allowance = await service.openAllowance({ walletId: wallet.id, tillId: 'till-b', amount: '9000' });
    const first = await service.syncAllowance({ allowanceId: allowance.id, spends: [spend(1, '1000'), spend(2, '2000', { toWalletId: merchant.id })] });
    // The same instant written in another offset is the same spend.
    const again = await service.syncAllowance({
      allowanceId: allowance.id,
      spends: [{ seq: 1, amount: '1000', occurredAt: '2031-06-01T02:01:00Z' }, spend(2, '2000', { toWalletId: merchant.id }), spend(3, '500')],
    });
    expect(again.results).toEqual([
      { seq: 1, status: 'replayed', transactionId: first.results[0]?.transactionId },
      { seq: 2, status: 'replayed', transactionId: first.results[1]?.transactionId },
      { seq: 3, status: 'booked', transactionId: expect.any(String) },
    ]);
    expect(again.allowance).toMatchObject({ spentAmount: '3500', spendCount: 3, lastSeq: 3 });
    const before = await service.listTransactions({ walletId: wallet.id });
    for (const other of [
      spend(2, '2001', { toWalletId: merchant.id }),
      spend(2, '2000'),
      spend(2, '2000', { toWalletId: merchant.id, reference: 'x' }),
      { ...spend(2, '2000', { toWalletId: merchant.id }), occurredAt: at(59) },
    ]) {
      expect(await figuresOf(service.syncAllowance({ allowanceId: allowance.id, spends: [other, spend(4, '1')] }))).toEqual({
        code: 'ALLOWANCE_SEQ_CONFLICT',
        figures: { seq: 2, lastSeq: 3 },
      });
    }
    expect(await figuresOf(service.syncAllowance({ allowanceId: allowance.id, spends: [spend(5, '1')] }))).toEqual({
      code: 'ALLOWANCE_SEQ_GAP',
      figures: { expectedSeq: 4 },
    });
    expect(await figuresOf(service.syncAllowance({ allowanceId: allowance.id, spends: [spend(4, '1'), spend(6, '1')] }))).toEqual({
      code: 'ALLOWANCE_SEQ_GAP',
      figures: { expectedSeq: 5 },
    });
    expect(await service.listTransactions({ walletId: wallet.id })).toEqual(before);
    expect(await service.getAllowance({ allowanceId: allowance.id })).toEqual(again.allowance);
    expect(await codeOf(service.syncAllowance({ allowanceId: allowance.id, spends: [spend(4, '1'), spend(4, '1')] }))).toBe('VALIDATION_ERROR');
    expect(await codeOf(service.syncAllowance({ allowanceId: allowance.id, spends: [] }))).toBe('VALIDATION_ERROR');
    expect(await codeOf(service.syncAllowance({ allowanceId: MISSING, spends: [spend(1, '1')] }))).toBe('ALLOWANCE_NOT_FOUND');
  });

  it('never books past the amount, maxSpendAmount or maxSpends: ALLOWANCE_EXCEEDED, and nothing of that sync', async () => {
    const { service } = get();
    const wallet = await funded(service, '100000');
    const allowance = await service.openAllowance({ walletId: wallet.id, tillId: 'till-c', amount: '10000', maxSpendAmount: '4000', maxSpends: 3 });
    expect(await figuresOf(service.syncAllowance({ allowanceId: allowance.id, spends: [spend(1, '1000'), spend(2, '4001')] }))).toEqual({
      code: 'ALLOWANCE_EXCEEDED',
      figures: { cap: 'maxSpendAmount', limit: '4000', requested: '4001' },
    });
    await service.syncAllowance({ allowanceId: allowance.id, spends: [spend(1, '4000'), spend(2, '4000')] });
    expect(await figuresOf(service.syncAllowance({ allowanceId: allowance.id, spends: [spend(3, '2001')] }))).toEqual({
      code: 'ALLOWANCE_EXCEEDED',
      figures: { cap: 'amount', limit: '10000', requested: '10001' },
    });
    expect(await figuresOf(service.syncAllowance({ allowanceId: allowance.id, spends: [spend(3, '1'), spend(4, '1')] }))).toEqual({
      code: 'ALLOWANCE_EXCEEDED',
      figures: { cap: 'maxSpends', limit: '3', requested: '4' },
    });
    expect(await service.getAllowance({ allowanceId: allowance.id })).toMatchObject({ spentAmount: '8000', spendCount: 2, lastSeq: 2 });
    const last = await service.syncAllowance({ allowanceId: allowance.id, spends: [spend(3, '2000')] });
    expect(last.allowance).toMatchObject({ spentAmount: '10000', spendCount: 3, status: 'active' });
    expect(await service.getWallet({ walletId: wallet.id })).toMatchObject({ balance: '90000', heldAmount: '0', availableBalance: '90000' });
    expect(await codeOf(service.syncAllowance({ allowanceId: allowance.id, spends: [spend(4, '1')] }))).toBe('ALLOWANCE_EXCEEDED');
  });

  it('settles once every spend is booked: the rest is released; later syncs and settles are ALLOWANCE_NOT_ACTIVE', async () => {
    const { service } = get();
    const wallet = await funded(service, '50000');
    const allowance = await service.openAllowance({ walletId: wallet.id, tillId: 'till-d', amount: '30000' });
    await service.syncAllowance({ allowanceId: allowance.id, spends: [spend(1, '5000'), spend(2, '7000')] });
    expect(await figuresOf(service.settleAllowance({ allowanceId: allowance.id, lastSeq: 3 }))).toEqual({
      code: 'ALLOWANCE_SEQ_GAP',
      figures: { expectedSeq: 3 },
    });
    expect(await codeOf(service.settleAllowance({ allowanceId: allowance.id, lastSeq: 1 }))).toBe('ALLOWANCE_SEQ_CONFLICT');
    const settled = await service.settleAllowance({ allowanceId: allowance.id, lastSeq: 2 });
    expect(settled).toMatchObject({ status: 'settled', spentAmount: '12000', spendCount: 2, lastSeq: 2 });
    expect(await service.getWallet({ walletId: wallet.id })).toMatchObject({ balance: '38000', heldAmount: '0', availableBalance: '38000' });
    expect(await figuresOf(service.syncAllowance({ allowanceId: allowance.id, spends: [spend(1, '5000')] }))).toEqual({
      code: 'ALLOWANCE_NOT_ACTIVE',
      figures: { allowanceStatus: 'settled' },
    });
    expect(await codeOf(service.settleAllowance({ allowanceId: allowance.id, lastSeq: 2 }))).toBe('ALLOWANCE_NOT_ACTIVE');
    // The till is free to open another.
    expect((await service.openAllowance({ walletId: wallet.id, tillId: 'till-d', amount: '38000' })).status).toBe('active');
    const events = (await allEvents(get().store)).map((e) => e.row).filter((e) => e.aggregateId === wallet.id);
    const types = events.map((e) => e.type);
    expect(types).toEqual(['WalletCreated', 'BalanceChanged', 'AllowanceOpened', 'BalanceChanged', 'BalanceChanged', 'AllowanceSettled', 'AllowanceOpened']);
    expect(events[3]?.payload).toMatchObject({
      transactionType: 'withdrawal',
      amount: '5000',
      holdId: allowance.id,
      allowanceId: allowance.id,
      allowanceSeq: 1,
    });
    expect(events[5]?.payload).toEqual({
      userId: wallet.userId,
      currency: 'VND',
      allowanceId: allowance.id,
      tillId: 'till-d',
      amount: '30000',
      spentAmount: '12000',
      releasedAmount: '18000',
      lastSeq: 2,
    });
    for (const e of events) expect(eventEnvelopeSchema.safeParse(eventEnvelope(e)).success).toBe(true);
  });

  it('keeps the rest reserved through the grace: a late sync is booked; at settleBy it is released and a sync is refused', async () => {
    const { service, advance } = clocked();
    const wallet = await funded(service, '20000');
    const allowance = await service.openAllowance({ walletId: wallet.id, tillId: 'till-e', amount: '15000', spendUntil: '2031-06-01T12:00:00Z' });
    advance(10 * HOUR);
    // Past spendUntil, within the grace: a sale made in the window and forwarded late is covered.
    const late = await service.syncAllowance({ allowanceId: allowance.id, spends: [spend(1, '3000')] });
    expect(late.allowance).toMatchObject({ status: 'active', spentAmount: '3000' });
    expect(await service.getWallet({ walletId: wallet.id })).toMatchObject({ balance: '17000', heldAmount: '12000', availableBalance: '5000' });
    advance(3 * DAY - 6 * HOUR - 1);
    expect((await service.getAllowance({ allowanceId: allowance.id })).status).toBe('active');
    advance(1);
    // The very instant of settleBy: released without any sweep.
    expect(await service.getWallet({ walletId: wallet.id })).toMatchObject({ balance: '17000', heldAmount: '0', availableBalance: '17000' });
    expect((await service.getAllowance({ allowanceId: allowance.id })).status).toBe('expired');
    expect((await service.listAllowances({ walletId: wallet.id, status: 'expired' })).items.map((a) => a.id)).toEqual([allowance.id]);
    expect((await service.listAllowances({ walletId: wallet.id, status: 'active' })).items).toEqual([]);
    expect(await figuresOf(service.syncAllowance({ allowanceId: allowance.id, spends: [spend(2, '1000')] }))).toEqual({
      code: 'ALLOWANCE_NOT_ACTIVE',
      figures: { allowanceStatus: 'expired' },
    });
    expect(await codeOf(service.settleAllowance({ allowanceId: allowance.id, lastSeq: 1 }))).toBe('ALLOWANCE_NOT_ACTIVE');
    // The next change of the wallet writes the expiry down.
    await service.withdraw({ walletId: wallet.id, amount: '17000' });
    const expired = (await allEvents(get().store)).map((e) => e.row).find((e) => e.aggregateId === wallet.id && e.type === 'AllowanceExpired');
    expect(expired?.payload).toMatchObject({ allowanceId: allowance.id, spentAmount: '3000', releasedAmount: '12000', settleBy: '2031-06-04T12:00:00.000Z' });
    expect(await service.getAllowance({ allowanceId: allowance.id })).toMatchObject({ status: 'expired', spentAmount: '3000' });
    expect((await service.close({ walletId: wallet.id })).status).toBe('closed');
  });

  it('takes the syncs of a wallet frozen after the allowance opened; refuses new allowances; never closes with one active', async () => {
    const { service } = get();
    const wallet = await funded(service, '9000');
    const merchant = await funded(service, '0');
    const allowance = await service.openAllowance({ walletId: wallet.id, tillId: 'till-f', amount: '9000' });
    await service.freeze({ walletId: wallet.id, reason: 'fraud check' });
    expect(await codeOf(service.openAllowance({ walletId: wallet.id, tillId: 'till-g', amount: '1' }))).toBe('WALLET_FROZEN');
    expect(await codeOf(service.withdraw({ walletId: wallet.id, amount: '1' }))).toBe('WALLET_FROZEN');
    const synced = await service.syncAllowance({ allowanceId: allowance.id, spends: [spend(1, '4000'), spend(2, '5000', { toWalletId: merchant.id })] });
    expect(synced.allowance).toMatchObject({ spentAmount: '9000', status: 'active' });
    expect(await service.getWallet({ walletId: wallet.id })).toMatchObject({ status: 'frozen', balance: '0', heldAmount: '0' });
    await service.unfreeze({ walletId: wallet.id });
    // Spent to the last đồng, but active: its till may still forward, so the wallet does not close.
    expect(await codeOf(service.close({ walletId: wallet.id }))).toBe('WALLET_HAS_HOLDS');
    await service.freeze({ walletId: wallet.id });
    expect((await service.settleAllowance({ allowanceId: allowance.id, lastSeq: 2 })).status).toBe('settled');
    await service.unfreeze({ walletId: wallet.id });
    expect((await service.close({ walletId: wallet.id })).status).toBe('closed');
    // A frozen merchant takes nothing: the sync is refused whole.
    const payer = await funded(service, '1000');
    const other = await service.openAllowance({ walletId: payer.id, tillId: 'till-f', amount: '1000' });
    await service.freeze({ walletId: merchant.id });
    expect(await codeOf(service.syncAllowance({ allowanceId: other.id, spends: [spend(1, '10'), spend(2, '10', { toWalletId: merchant.id })] }))).toBe(
      'WALLET_FROZEN',
    );
    expect(await codeOf(service.syncAllowance({ allowanceId: other.id, spends: [spend(1, '10', { toWalletId: payer.id })] }))).toBe('SAME_WALLET');
    const usd = await funded(service, '0', 'USD');
    expect(await codeOf(service.syncAllowance({ allowanceId: other.id, spends: [spend(1, '10', { toWalletId: usd.id })] }))).toBe('CURRENCY_MISMATCH');
    expect(await codeOf(service.syncAllowance({ allowanceId: other.id, spends: [spend(1, '10', { toWalletId: MISSING })] }))).toBe('WALLET_NOT_FOUND');
    expect((await service.getAllowance({ allowanceId: other.id })).spendCount).toBe(0);
  });

  it('answers a keyed sync replay from the stored response', async () => {
    const { service } = get();
    const wallet = await funded(service, '5000');
    const allowance = await service.openAllowance({ walletId: wallet.id, tillId: 'till-h', amount: '5000' });
    const first = await service.syncAllowance({ allowanceId: allowance.id, spends: [spend(1, '100')] }, { idempotencyKey: 'sync-1' });
    const replay = await service.syncAllowance({ allowanceId: allowance.id, spends: [spend(1, '100')] }, { idempotencyKey: 'sync-1' });
    expect(wasReplayed(replay)).toBe(true);
    expect(replay).toEqual(first);
    expect((await service.getAllowance({ allowanceId: allowance.id })).spentAmount).toBe('100');
  });

  it('books every spend once when syncs of the same spends race', async () => {
    const { service } = get();
    const wallet = await funded(service, '1000000');
    const merchant = await funded(service, '0');
    const allowance = await service.openAllowance({ walletId: wallet.id, tillId: 'till-r', amount: '500000' });
    const spends = Array.from({ length: 10 }, (_, i) => spend(i + 1, String(1000 * (i + 1)), i % 2 ? { toWalletId: merchant.id } : {}));
    const results = await Promise.all(Array.from({ length: Math.min(n, 8) }, () => service.syncAllowance({ allowanceId: allowance.id, spends })));
    const ids = results[0]?.results.map((r) => r.transactionId);
    for (const r of results) expect(r.results.map((x) => x.transactionId)).toEqual(ids);
    expect(results.flatMap((r) => r.results).filter((r) => r.status === 'booked')).toHaveLength(10);
    expect(await service.getAllowance({ allowanceId: allowance.id })).toMatchObject({ spentAmount: '55000', spendCount: 10, lastSeq: 10 });
    expect(await service.getWallet({ walletId: wallet.id })).toMatchObject({ balance: '945000', heldAmount: '445000', availableBalance: '500000' });
    expect((await service.getWallet({ walletId: merchant.id })).balance).toBe('30000');
    expect((await service.listTransactions({ walletId: wallet.id, limit: 200 })).items).toHaveLength(11);
  });

  it('never lets online payments racing a sync dip into the reserved money', async () => {
    const { service } = get();
    const wallet = await funded(service, '100000');
    const allowance = await service.openAllowance({ walletId: wallet.id, tillId: 'till-s', amount: '60000' });
    const syncs = Array.from({ length: 6 }, (_, i) => service.syncAllowance({ allowanceId: allowance.id, spends: [spend(i + 1, '10000')] }));
    const payments = Array.from({ length: n }, () => service.withdraw({ walletId: wallet.id, amount: '5000' }));
    const [synced, paid] = await Promise.all([Promise.allSettled(syncs), Promise.allSettled(payments)]);
    // Seqs sent out of order meet gaps; whatever got through was booked in order and inside the allowance.
    for (const r of synced) if (r.status === 'rejected') expect((r.reason as { code?: string }).code).toBe('ALLOWANCE_SEQ_GAP');
    for (const r of paid) if (r.status === 'rejected') expect((r.reason as { code?: string }).code).toBe('INSUFFICIENT_FUNDS');
    expect(paid.filter((r) => r.status === 'fulfilled')).toHaveLength(Math.min(n, 8));
    const now = await service.getAllowance({ allowanceId: allowance.id });
    const rest = Array.from({ length: 6 - now.lastSeq }, (_, i) => spend(now.lastSeq + i + 1, '10000'));
    if (rest.length > 0) await service.syncAllowance({ allowanceId: allowance.id, spends: rest });
    expect(await service.getWallet({ walletId: wallet.id })).toMatchObject({
      balance: String(100000 - 60000 - 5000 * Math.min(n, 8)),
      heldAmount: '0',
      availableBalance: String(40000 - 5000 * Math.min(n, 8)),
    });
    expect(await service.getAllowance({ allowanceId: allowance.id })).toMatchObject({ spentAmount: '60000', lastSeq: 6 });
  });
}
