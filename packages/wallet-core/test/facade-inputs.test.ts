import { describe, expect, it } from 'vitest';
import { MemoryWalletStore, WalletService, type WalletTransactionView } from '../src/index.js';

// This file is type-checked under the repository's strict tsconfig (exactOptionalPropertyTypes
// included) by `npm run typecheck`: what the facade hands out must compile when handed back.

function serviceAt(now: { value: Date }) {
  return new WalletService({ store: new MemoryWalletStore(), clock: () => now.value });
}

describe('the facade takes back what it hands out', () => {
  it("pages through a history by passing each nextCursor back, the last page's null included", async () => {
    const service = serviceAt({ value: new Date('2026-11-25T06:00:00Z') });
    const wallet = await service.createWallet({ userId: 'pager' });
    for (const amount of ['1', '2', '3', '4', '5']) await service.deposit({ walletId: wallet.id, amount });

    const seen: WalletTransactionView[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { items: WalletTransactionView[]; nextCursor: string | null } = await service.listTransactions({ walletId: wallet.id, limit: 2, cursor });
      seen.push(...page.items);
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== null);
    expect(pages).toBe(3);
    expect(seen.map((t) => t.amount)).toEqual(['5', '4', '3', '2', '1']);
    // null, as the last page returns it, reads as the first page.
    expect((await service.listTransactions({ walletId: wallet.id, limit: 2, cursor: null })).items.map((t) => t.amount)).toEqual(['5', '4']);

    await service.earnPoints({ userId: 'pager', points: 3, source: 'order:1' });
    await service.earnPoints({ userId: 'pager', points: 4, source: 'order:2' });
    const first = await service.listPointTransactions({ userId: 'pager', limit: 1 });
    const second = await service.listPointTransactions({ userId: 'pager', limit: 1, cursor: first.nextCursor });
    expect([first.items[0]?.points, second.items[0]?.points]).toEqual([4, 3]);
    expect(second.nextCursor).toBeNull();
  });

  it("follows the event feed by passing each nextAfter back, an empty feed's null included", async () => {
    const service = serviceAt({ value: new Date('2026-11-25T06:00:00Z') });
    const empty = await service.listEvents({});
    expect(empty).toEqual({ items: [], nextAfter: null });
    const wallet = await service.createWallet({ userId: 'feed' });
    // null: from the start, as a cursor's null is the first page.
    const first = await service.listEvents({ after: empty.nextAfter, limit: 1 });
    expect(first.items.map((i) => i.event.type)).toEqual(['WalletCreated']);
    await service.deposit({ walletId: wallet.id, amount: '5' });
    const next = await service.listEvents({ after: first.nextAfter });
    expect(next.items.map((i) => i.event.type)).toEqual(['BalanceChanged']);
    expect(await service.listEvents({ after: next.nextAfter })).toEqual({ items: [], nextAfter: next.nextAfter });
  });

  it('takes a Date wherever it takes a time: expiresAt and asOf', async () => {
    const now = { value: new Date('2026-11-25T06:00:00Z') };
    const service = serviceAt(now);
    const expiresAt = new Date('2026-12-01T00:00:00Z');
    const earned = await service.earnPoints({ userId: 'dated', points: 10, source: 'order:1', expiresAt });
    expect(earned.transaction.expiresAt).toBe('2026-12-01T00:00:00.000Z');
    // A string still works, and is the same instant. (Past the clock's 5 December below, so that it
    // still counts then: available points never include a lot past its expiry.)
    await service.earnPoints({ userId: 'dated', points: 5, source: 'order:2', expiresAt: '2026-12-31T00:00:00Z' });

    now.value = new Date('2026-12-05T00:00:00Z');
    expect(await service.expirePoints({ asOf: new Date('2026-12-01T12:00:00Z') })).toEqual({ expiredPoints: 10, accounts: 1 });
    expect((await service.getPointAccount({ userId: 'dated' })).availablePoints).toBe(5);
    await expect(service.expirePoints({ asOf: new Date('2027-01-01T00:00:00Z') })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
  });

  it('refuses an invalid Date as a validation error of its field, changing nothing', async () => {
    const service = serviceAt({ value: new Date('2026-11-25T06:00:00Z') });
    await expect(service.earnPoints({ userId: 'bad-date', points: 1, source: 'order:1', expiresAt: new Date('not a date') })).rejects.toMatchObject({
      code: 'VALIDATION_ERROR',
    });
    await expect(service.getPointAccount({ userId: 'bad-date' })).rejects.toMatchObject({ code: 'POINT_ACCOUNT_NOT_FOUND' });
  });

  it('takes one input object for every command and query, ids included', async () => {
    const service = serviceAt({ value: new Date('2026-11-25T06:00:00Z') });
    const wallet = await service.createWallet({ userId: 'objects' });
    expect((await service.getWallet({ walletId: wallet.id })).id).toBe(wallet.id);
    expect((await service.listWallets({ userId: 'objects' })).map((w) => w.id)).toEqual([wallet.id]);
    expect((await service.getBalanceSummary({ userId: 'objects' })).wallets).toHaveLength(1);
    const pending = await service.earnPoints({ userId: 'objects', points: 8, source: 'order:1', pending: true });
    const other = await service.earnPoints({ userId: 'objects', points: 2, source: 'order:2', pending: true });
    expect((await service.confirmPendingPoints({ transactionId: pending.transaction.id })).account.availablePoints).toBe(8);
    expect((await service.cancelPendingPoints({ transactionId: other.transaction.id })).account.pendingPoints).toBe(0);
    expect((await service.freeze({ walletId: wallet.id })).status).toBe('frozen');
  });
});
