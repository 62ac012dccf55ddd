/**
 * The store contract for metadata: every row kind a command writes keeps the command's metadata
 * and answers it, events carry it, history filters on it (one exact match per key, several keys
 * all), hostile metadata is refused before anything is written, and a replay with other metadata
 * is a conflict. Registered by `describeStoreContract`, so that every store runs them. @internal
 */
import { expect, it } from 'vitest';
import type { WalletService } from '../facade.js';
import type { WalletStore } from '../store.js';
import { allEvents, codeOf, uniqueUser } from './support.js';

const STORE = { store: 'S12', till: '3', cashier: 'c-0042' } as const;

/** Metadata a caller may not send, each refused as VALIDATION_ERROR. */
export const HOSTILE_METADATA: readonly (readonly [string, unknown])[] = [
  ['21 keys', Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v']))],
  ['a value of 201 characters', { store: 'x'.repeat(201) }],
  ['a value of 201 characters outside the BMP', { store: '😀'.repeat(201) }],
  ['a key of 41 characters', { ['k'.repeat(41)]: 'v' }],
  ['an empty key', { '': 'v' }],
  ['a key with a space', { 'store id': 'S12' }],
  ['a key with a slash', { 'store/till': 'S12' }],
  ['a key with a non-ASCII letter', { cửahàng: 'S12' }],
  ['a number value', { store: 12 }],
  ['a boolean value', { store: true }],
  ['a null value', { store: null }],
  ['an object value', { store: { id: 'S12' } }],
  ['an array value', { store: ['S12'] }],
  ['a NUL in a value', { store: 'S12\u0000' }],
  ['a control character in a value', { store: 'S12\u001b[2J' }],
  ['a lone high surrogate in a value', { store: 'S12\ud800' }],
  ['a lone low surrogate in a value', { store: '\udc00S12' }],
  ['an array', ['S12']],
  ['a string', 'S12'],
];

export function metadataCases(get: () => { store: WalletStore; service: WalletService }): void {
  async function funded(amount: string, userId = uniqueUser('meta')) {
    const { service } = get();
    const wallet = await service.createWallet({ userId });
    if (amount !== '0') await service.deposit({ walletId: wallet.id, amount });
    return wallet;
  }

  it('keeps metadata on deposit, withdrawal and both rows of a transfer: answered, read back and carried in their events', async () => {
    const { service, store } = get();
    const a = await funded('0');
    const b = await funded('0');
    const before = (await allEvents(store)).at(-1)?.position;
    const dep = await service.deposit({ walletId: a.id, amount: '1000', metadata: STORE });
    expect(dep.transaction.metadata).toEqual(STORE);
    const wd = await service.withdraw({ walletId: a.id, amount: '100', metadata: { order: 'A-1' } });
    expect(wd.transaction.metadata).toEqual({ order: 'A-1' });
    const tr = await service.transfer({ fromWalletId: a.id, toWalletId: b.id, amount: '200', metadata: { order: 'A-2', store: 'S12' } });
    expect(tr.transaction.metadata).toEqual({ order: 'A-2', store: 'S12' });
    const plain = await service.deposit({ walletId: a.id, amount: '1' });
    expect(plain.transaction.metadata).toBeNull();
    const rows = (await service.listTransactions({ walletId: a.id })).items;
    expect(rows.map((r) => [r.type, r.metadata])).toEqual([
      ['deposit', null],
      ['transfer_out', { order: 'A-2', store: 'S12' }],
      ['withdrawal', { order: 'A-1' }],
      ['deposit', STORE],
    ]);
    expect((await service.listTransactions({ walletId: b.id })).items.map((r) => [r.type, r.metadata])).toEqual([
      ['transfer_in', { order: 'A-2', store: 'S12' }],
    ]);
    const changed = (await allEvents(store, before)).filter((e) => e.row.type === 'BalanceChanged' && e.row.aggregateId === a.id);
    expect(changed.map((e) => (e.row.payload as { metadata?: unknown }).metadata)).toEqual([
      STORE,
      { order: 'A-1' },
      { order: 'A-2', store: 'S12' },
      undefined,
    ]);
  });

  it("keeps metadata on a hold, answers it, and a capture that names none books the hold's on its rows", async () => {
    const { service, store } = get();
    const wallet = await funded('10000');
    const merchant = await funded('0');
    const before = (await allEvents(store)).at(-1)?.position;
    const hold = await service.placeHold({ walletId: wallet.id, amount: '3000', metadata: { table: '7', store: 'S12' } });
    expect(hold.metadata).toEqual({ store: 'S12', table: '7' });
    expect((await service.getHold({ holdId: hold.id })).metadata).toEqual({ store: 'S12', table: '7' });
    expect((await service.listHolds({ walletId: wallet.id })).items[0]?.metadata).toEqual({ store: 'S12', table: '7' });
    const grown = await service.incrementHold({ holdId: hold.id, amount: '500', metadata: { round: '2' } });
    // An increment's metadata goes to its event; the hold keeps what it was placed with.
    expect(grown.metadata).toEqual({ store: 'S12', table: '7' });
    const captured = await service.captureHold({ holdId: hold.id, amount: '2000', toWalletId: merchant.id });
    expect(captured.transaction.metadata).toEqual({ store: 'S12', table: '7' });
    expect((await service.listTransactions({ walletId: merchant.id })).items[0]?.metadata).toEqual({ store: 'S12', table: '7' });
    const second = await service.placeHold({ walletId: wallet.id, amount: '1000', metadata: { table: '8' } });
    const own = await service.captureHold({ holdId: second.id, metadata: { order: 'B-9' } });
    expect(own.transaction.metadata).toEqual({ order: 'B-9' });
    const third = await service.placeHold({ walletId: wallet.id, amount: '1000' });
    expect(third.metadata).toBeNull();
    const voided = await service.voidHold({ holdId: third.id, metadata: { reason: 'walked-out' } });
    expect(voided.hold.metadata).toBeNull();
    const events = (await allEvents(store, before)).filter((e) => e.row.aggregateId === wallet.id && e.row.type.startsWith('Hold'));
    expect(events.map((e) => [e.row.type, (e.row.payload as { metadata?: unknown }).metadata])).toEqual([
      ['HoldPlaced', { store: 'S12', table: '7' }],
      ['HoldIncremented', { round: '2' }],
      ['HoldCaptured', undefined],
      ['HoldPlaced', { table: '8' }],
      ['HoldCaptured', { order: 'B-9' }],
      ['HoldPlaced', undefined],
      ['HoldVoided', { reason: 'walked-out' }],
    ]);
  });

  it("keeps metadata on an allowance and on its spends' rows (a spend's own, else the allowance's); a replay with other metadata is a seq conflict", async () => {
    const { service } = get();
    const wallet = await funded('10000');
    const allowance = await service.openAllowance({ walletId: wallet.id, tillId: 'S12/till-3', amount: '5000', metadata: { store: 'S12', till: '3' } });
    expect(allowance.metadata).toEqual({ store: 'S12', till: '3' });
    expect((await service.getAllowance({ allowanceId: allowance.id })).metadata).toEqual({ store: 'S12', till: '3' });
    const at = new Date(Date.now() - 60_000).toISOString();
    const spends = [
      { seq: 1, amount: '100', occurredAt: at },
      { seq: 2, amount: '200', occurredAt: at, metadata: { order: 'T-2' } },
    ];
    const synced = await service.syncAllowance({ allowanceId: allowance.id, spends });
    const [first, second] = synced.results;
    const rows = (await service.listTransactions({ walletId: wallet.id })).items;
    expect(rows.find((r) => r.id === first?.transactionId)?.metadata).toEqual({ store: 'S12', till: '3' });
    expect(rows.find((r) => r.id === second?.transactionId)?.metadata).toEqual({ order: 'T-2' });
    const again = await service.syncAllowance({ allowanceId: allowance.id, spends });
    expect(again.results.map((r) => r.status)).toEqual(['replayed', 'replayed']);
    // A till restored from an old copy that labelled the sale otherwise: not the sale that was booked.
    const other = [{ ...spends[1], seq: 2, amount: '200', occurredAt: at, metadata: { order: 'T-3' } }];
    expect(await codeOf(service.syncAllowance({ allowanceId: allowance.id, spends: other }))).toBe('ALLOWANCE_SEQ_CONFLICT');
    expect(
      await codeOf(service.syncAllowance({ allowanceId: allowance.id, spends: [{ seq: 1, amount: '100', occurredAt: at, metadata: { store: 'S13' } }] })),
    ).toBe('ALLOWANCE_SEQ_CONFLICT');
    const settled = await service.settleAllowance({ allowanceId: allowance.id, lastSeq: 2, metadata: { shift: 'late' } });
    expect(settled.metadata).toEqual({ store: 'S12', till: '3' });
  });

  it('keeps metadata on points rows, on a refund and on both rows of a split payment', async () => {
    const { service, store } = get();
    const userId = uniqueUser('meta-points');
    const wallet = await funded('100000', userId);
    const before = (await allEvents(store)).at(-1)?.position;
    const earned = await service.earnPoints({ userId, points: 500, source: 'order:1', metadata: { store: 'S12' } });
    expect(earned.transaction.metadata).toEqual({ store: 'S12' });
    const spent = await service.spendPoints({ userId, points: 100, source: 'order:2', metadata: { store: 'S13' } });
    const refunded = await service.refundPoints({ transactionId: spent.transaction.id, points: 40, metadata: { reason: 'damaged' } });
    expect(refunded.transaction.metadata).toEqual({ reason: 'damaged' });
    const reversed = await service.reversePoints({ transactionId: earned.transaction.id, points: 10, metadata: { audit: 'x-1' } });
    expect(reversed.transaction.metadata).toEqual({ audit: 'x-1' });
    const paid = await service.pay({ walletId: wallet.id, amount: '30000', points: 50, reference: 'order-3', metadata: { store: 'S12', order: '3' } });
    expect(paid.transaction.metadata).toEqual({ order: '3', store: 'S12' });
    expect(paid.pointTransaction?.metadata).toEqual({ order: '3', store: 'S12' });
    const refund = await service.refund({ transactionId: paid.transaction.id, amount: '1000', metadata: { store: 'S12', order: '3-r' } });
    expect(refund.transaction.metadata).toEqual({ order: '3-r', store: 'S12' });
    const history = (await service.listPointTransactions({ userId })).items;
    expect(history.map((r) => [r.type, r.metadata])).toEqual([
      ['spend', { order: '3', store: 'S12' }],
      ['reversal', { audit: 'x-1' }],
      ['refund', { reason: 'damaged' }],
      ['spend', { store: 'S13' }],
      ['earn', { store: 'S12' }],
    ]);
    // The points history filters like the money history.
    expect((await service.listPointTransactions({ userId, metadata: { store: 'S12' } })).items.map((r) => r.type)).toEqual(['spend', 'earn']);
    const events = (await allEvents(store, before)).filter((e) => e.row.aggregateType === 'point_account');
    expect(events.find((e) => e.row.type === 'PointsEarned')?.row.payload).toMatchObject({ metadata: { store: 'S12' } });
    expect(events.find((e) => e.row.type === 'PointsRefunded')?.row.payload).toMatchObject({ metadata: { reason: 'damaged' } });
  });

  it("keeps metadata on a deposit reversal: answered, read back, carried in its event and found by the filter; one naming none does not take the deposit's", async () => {
    const { service, store } = get();
    const wallet = await funded('0');
    const deposit = await service.deposit({ walletId: wallet.id, amount: '5000', metadata: { store: 'S12', till: '3' } });
    const before = (await allEvents(store)).at(-1)?.position;
    const reversed = await service.reverseDeposit({
      transactionId: deposit.transaction.id,
      amount: '1200',
      reason: 'typed 5000 for 3800',
      metadata: { store: 'S12', ticket: 'INC-7' },
    });
    expect(reversed.transaction.type).toBe('deposit_reversal');
    expect(reversed.transaction.metadata).toEqual({ store: 'S12', ticket: 'INC-7' });
    expect(reversed.wallet.balance).toBe('3800');
    const plain = await service.reverseDeposit({ transactionId: deposit.transaction.id, amount: '100', reason: 'second look' });
    expect(plain.transaction.metadata).toBeNull();
    const rows = (await service.listTransactions({ walletId: wallet.id })).items;
    expect(rows.map((r) => [r.type, r.amount, r.metadata])).toEqual([
      ['deposit_reversal', '100', null],
      ['deposit_reversal', '1200', { store: 'S12', ticket: 'INC-7' }],
      ['deposit', '5000', { store: 'S12', till: '3' }],
    ]);
    const found = async (metadata: Record<string, string>) => (await service.listTransactions({ walletId: wallet.id, metadata })).items.map((r) => r.id);
    expect(await found({ ticket: 'INC-7' })).toEqual([reversed.transaction.id]);
    expect(await found({ store: 'S12' })).toEqual([reversed.transaction.id, deposit.transaction.id]);
    const changed = (await allEvents(store, before)).filter((e) => e.row.type === 'BalanceChanged' && e.row.aggregateId === wallet.id);
    expect(changed.map((e) => (e.row.payload as { metadata?: unknown }).metadata)).toEqual([{ store: 'S12', ticket: 'INC-7' }, undefined]);
  });

  it('filters history by metadata: one exact match per key, several keys all of them, with the other filters and across pages', async () => {
    const { service } = get();
    const wallet = await funded('0');
    const labels = [
      { store: 'S12', till: '1' },
      { store: 'S12', till: '2' },
      { store: 'S13', till: '1' },
      { store: 'S120' },
      { store: 's12' },
      null,
      { store: 'S12', till: '1', order: 'Z' },
    ];
    const ids: string[] = [];
    for (const [i, metadata] of labels.entries()) {
      const { transaction } = await service.deposit({ walletId: wallet.id, amount: String(i + 1), ...(metadata === null ? {} : { metadata }) });
      ids.push(transaction.id);
    }
    const amounts = async (metadata: Record<string, string>, extra: { type?: 'deposit' | 'withdrawal'; limit?: number } = {}) =>
      (await service.listTransactions({ walletId: wallet.id, metadata, ...extra })).items.map((r) => r.amount);
    expect(await amounts({ store: 'S12' })).toEqual(['7', '2', '1']);
    expect(await amounts({ store: 'S12', till: '1' })).toEqual(['7', '1']);
    expect(await amounts({ till: '1' })).toEqual(['7', '3', '1']);
    expect(await amounts({ store: 'S14' })).toEqual([]);
    expect(await amounts({ order: 'Z', store: 'S13' })).toEqual([]);
    expect(await amounts({ store: 'S12' }, { type: 'withdrawal' })).toEqual([]);
    expect(await amounts({})).toEqual(['7', '6', '5', '4', '3', '2', '1']);
    // Pages of a filtered history: the cursor resumes within the filter.
    const first = await service.listTransactions({ walletId: wallet.id, metadata: { store: 'S12' }, limit: 2 });
    expect(first.items.map((r) => r.amount)).toEqual(['7', '2']);
    const next = await service.listTransactions({ walletId: wallet.id, metadata: { store: 'S12' }, limit: 2, cursor: first.nextCursor });
    expect(next.items.map((r) => r.amount)).toEqual(['1']);
    expect(next.nextCursor).toBeNull();
    // With a period, pages run by time and still filter.
    const period = await service.listTransactions({ walletId: wallet.id, metadata: { till: '1' }, from: new Date(0), to: new Date('9999-01-01T00:00:00Z') });
    expect(period.items.map((r) => r.amount)).toEqual(['7', '3', '1']);
    expect(await codeOf(service.listTransactions({ walletId: wallet.id, metadata: { 'bad key': 'x' } }))).toBe('VALIDATION_ERROR');
  });

  it('refuses hostile metadata on every kind of command, and nothing changes', async () => {
    const { service } = get();
    const userId = uniqueUser('meta-hostile');
    const wallet = await funded('10000', userId);
    const other = await funded('0');
    await service.earnPoints({ userId, points: 100, source: 'seed' });
    const hold = await service.placeHold({ walletId: wallet.id, amount: '100' });
    const allowance = await service.openAllowance({ walletId: wallet.id, tillId: 'hostile-till', amount: '100' });
    const snapshot = async () => ({
      wallet: await service.getWallet({ walletId: wallet.id }),
      rows: (await service.listTransactions({ walletId: wallet.id })).items,
      other: (await service.listTransactions({ walletId: other.id })).items,
      points: await service.getPointAccount({ userId }),
      pointRows: (await service.listPointTransactions({ userId })).items,
      hold: await service.getHold({ holdId: hold.id }),
      allowance: await service.getAllowance({ allowanceId: allowance.id }),
    });
    const before = await snapshot();
    const at = new Date(Date.now() - 60_000).toISOString();
    // Each command of the facade, given `metadata` (typed loosely: the point is what a caller may send).
    const commands: [string, (metadata: never) => Promise<unknown>][] = [
      ['deposit', (metadata) => service.deposit({ walletId: wallet.id, amount: '1', metadata })],
      ['withdraw', (metadata) => service.withdraw({ walletId: wallet.id, amount: '1', metadata })],
      ['transfer', (metadata) => service.transfer({ fromWalletId: wallet.id, toWalletId: other.id, amount: '1', metadata })],
      ['pay', (metadata) => service.pay({ walletId: wallet.id, amount: '1', points: 1, reference: 'r', metadata })],
      ['placeHold', (metadata) => service.placeHold({ walletId: wallet.id, amount: '1', metadata })],
      ['captureHold', (metadata) => service.captureHold({ holdId: hold.id, metadata })],
      ['voidHold', (metadata) => service.voidHold({ holdId: hold.id, metadata })],
      ['incrementHold', (metadata) => service.incrementHold({ holdId: hold.id, amount: '1', metadata })],
      ['refund', (metadata) => service.refund({ transactionId: before.rows[0]?.id ?? '', metadata })],
      ['reverseDeposit', (metadata) => service.reverseDeposit({ transactionId: before.rows[0]?.id ?? '', amount: '1', reason: 'hostile', metadata })],
      ['earnPoints', (metadata) => service.earnPoints({ userId, points: 1, source: 's', metadata })],
      ['spendPoints', (metadata) => service.spendPoints({ userId, points: 1, source: 's', metadata })],
      ['adjustPoints', (metadata) => service.adjustPoints({ userId, points: 1, source: 's', description: 'd', metadata })],
      ['refundPoints', (metadata) => service.refundPoints({ transactionId: before.pointRows[0]?.id ?? '', metadata })],
      ['reversePoints', (metadata) => service.reversePoints({ transactionId: before.pointRows[0]?.id ?? '', metadata })],
      ['openAllowance', (metadata) => service.openAllowance({ walletId: wallet.id, tillId: 'other-till', amount: '1', metadata })],
      ['syncAllowance', (metadata) => service.syncAllowance({ allowanceId: allowance.id, spends: [{ seq: 1, amount: '1', occurredAt: at }], metadata })],
      [
        'a spend of syncAllowance',
        (metadata) => service.syncAllowance({ allowanceId: allowance.id, spends: [{ seq: 1, amount: '1', occurredAt: at, metadata }] }),
      ],
      ['settleAllowance', (metadata) => service.settleAllowance({ allowanceId: allowance.id, lastSeq: 0, metadata })],
      ['freeze', (metadata) => service.freeze({ walletId: wallet.id, metadata })],
      ['createWallet', (metadata) => service.createWallet({ userId: uniqueUser(), metadata })],
      ['expirePoints', (metadata) => service.expirePoints({ metadata })],
      ['listTransactions', (metadata) => service.listTransactions({ walletId: wallet.id, metadata })],
      ['listPointTransactions', (metadata) => service.listPointTransactions({ userId, metadata })],
    ];
    const outcomes: string[] = [];
    for (const [command, run] of commands) {
      for (const [name, metadata] of HOSTILE_METADATA) outcomes.push(`${command} with ${name}: ${await codeOf(run(metadata as never))}`);
    }
    expect(outcomes.filter((o) => !o.endsWith(': VALIDATION_ERROR'))).toEqual([]);
    expect(await snapshot()).toEqual(before);
  });

  it('never fails a batch for one command: concurrent deposits with one hostile among them all book but that one', async () => {
    const { service } = get();
    const wallet = await funded('0');
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        service.deposit({ walletId: wallet.id, amount: '1', metadata: i === 4 ? { till: 'x\u0000' } : { till: String(i) } }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected', ...Array(5).fill('fulfilled')]);
    expect((await service.getWallet({ walletId: wallet.id })).balance).toBe('9');
  });

  it('puts metadata in the idempotency fingerprint: the same key with other metadata is a conflict; the same metadata in another key order replays', async () => {
    const { service } = get();
    const wallet = await funded('0');
    const key = `meta-${uniqueUser()}`;
    const first = await service.deposit({ walletId: wallet.id, amount: '10', metadata: { store: 'S12', till: '3' } }, { idempotencyKey: key });
    expect(await codeOf(service.deposit({ walletId: wallet.id, amount: '10', metadata: { store: 'S12', till: '4' } }, { idempotencyKey: key }))).toBe(
      'IDEMPOTENCY_CONFLICT',
    );
    expect(await codeOf(service.deposit({ walletId: wallet.id, amount: '10' }, { idempotencyKey: key }))).toBe('IDEMPOTENCY_CONFLICT');
    const replay = await service.deposit({ walletId: wallet.id, amount: '10', metadata: { till: '3', store: 'S12' } }, { idempotencyKey: key });
    expect(replay).toEqual(first);
    expect((await service.getWallet({ walletId: wallet.id })).balance).toBe('10');
  });

  it("fingerprints metadata {} as no metadata: a capture naming {} books the hold's, and its replay naming none replays", async () => {
    const { service } = get();
    const wallet = await funded('100');
    const hold = await service.placeHold({ walletId: wallet.id, amount: '40', metadata: { order: 'H-1' } });
    const key = `meta-empty-${uniqueUser()}`;
    const captured = await service.captureHold({ holdId: hold.id, metadata: {} }, { idempotencyKey: key });
    expect(captured.transaction.metadata).toEqual({ order: 'H-1' });
    expect(await service.captureHold({ holdId: hold.id }, { idempotencyKey: key })).toEqual(captured);
    const depKey = `meta-empty-dep-${uniqueUser()}`;
    const dep = await service.deposit({ walletId: wallet.id, amount: '5' }, { idempotencyKey: depKey });
    expect(await service.deposit({ walletId: wallet.id, amount: '5', metadata: {} }, { idempotencyKey: depKey })).toEqual(dep);
    expect((await service.getWallet({ walletId: wallet.id })).balance).toBe('65');
  });

  it('answers metadata that cannot be edited: changing an answer changes neither the ledger, nor a capture, nor reconciliation', async () => {
    const { service } = get();
    const wallet = await funded('0');
    const dep = await service.deposit({ walletId: wallet.id, amount: '10', metadata: { store: 'S12', order: 'A-1' } });
    const answered = dep.transaction.metadata as Record<string, string>;
    expect(() => delete answered['order']).toThrow(TypeError);
    expect(() => (answered['store'] = 'S99')).toThrow(TypeError);
    const hold = await service.placeHold({ walletId: wallet.id, amount: '5', metadata: { order: 'H-1' } });
    expect(() => Object.defineProperty(hold.metadata, 'order', { value: 'EDITED' })).toThrow(TypeError);
    expect((await service.captureHold({ holdId: hold.id })).transaction.metadata).toEqual({ order: 'H-1' });
    const rows = (await service.listTransactions({ walletId: wallet.id })).items;
    expect(rows.at(-1)?.metadata).toEqual({ order: 'A-1', store: 'S12' });
    expect((await service.reconcile()).problems).toEqual([]);
  });
}
