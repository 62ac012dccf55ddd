/**
 * The store contract: one suite of behaviour that every implementation of the storage port must
 * pass: the in-memory store, PGlite and PostgreSQL. It drives the store through the facade, the
 * way the service uses it, and asserts exact balances, ledger rows, events and error codes.
 *
 * @example
 * ```ts
 * import { describeStoreContract } from '@goodgo/wallet-core/testing';
 * describeStoreContract('memory', { setup: async () => new MemoryWalletStore() });
 * ```
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventSchemas } from '../event-schemas.js';
import { WalletService } from '../facade.js';
import { DEFAULT_MAX_AMOUNT } from '../money/money.js';
import { wasReplayed } from '../idempotency.js';
import type { WalletStore } from '../store.js';
import { isCredit } from '../wallet/ledger.js';
import { allowanceCases } from './allowance-cases.js';
import { booksCases } from './books-cases.js';
import { depositReversalCases } from './deposit-reversal-cases.js';
import { lifecycleCases } from './lifecycle-cases.js';
import { metadataCases } from './metadata-cases.js';
import { limitCases } from './limit-cases.js';
import { splitPaymentCases } from './split-payment-cases.js';
import { summaryCases } from './summary-cases.js';
import { tillCases } from './till-cases.js';
import { allEvents, codeOf, uniqueUser } from './support.js';

export interface StoreContractOptions {
  /** Makes the store under test; called once for the suite. */
  setup: () => Promise<WalletStore>;
  teardown?: (store: WalletStore) => Promise<void>;
  /** How many commands to race at once in the concurrency cases. Default 20. */
  concurrency?: number;
}

export { codeOf, uniqueUser } from './support.js';
export { HOSTILE_METADATA } from './metadata-cases.js';

export function describeStoreContract(name: string, options: StoreContractOptions): void {
  const n = options.concurrency ?? 20;

  describe(`store contract: ${name}`, () => {
    let store: WalletStore;
    let service: WalletService;

    beforeAll(async () => {
      store = await options.setup();
      service = new WalletService({ store, defaultCurrency: 'VND', maxAmount: DEFAULT_MAX_AMOUNT });
    });
    afterAll(async () => {
      if (options.teardown) await options.teardown(store);
      else await store.close();
    });

    async function funded(amount: string, currency = 'VND', userId = uniqueUser()) {
      const wallet = await service.createWallet({ userId, currency });
      if (amount !== '0') await service.deposit({ walletId: wallet.id, amount });
      return wallet;
    }

    async function ledgerSum(walletId: string): Promise<{ count: number; net: bigint }> {
      let cursor: string | undefined;
      let count = 0;
      let net = 0n;
      do {
        const page = await service.listTransactions({ walletId, limit: 200, ...(cursor ? { cursor } : {}) });
        for (const t of page.items) {
          count += 1;
          const units = BigInt(t.amount.replace('.', ''));
          net += isCredit(t.type) ? units : -units;
        }
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return { count, net };
    }

    it('creates a wallet with a zero balance and reads it back', async () => {
      const userId = uniqueUser();
      const created = await service.createWallet({ userId });
      expect(created).toMatchObject({ userId, currency: 'VND', balance: '0', status: 'active', version: 1, closedAt: null });
      expect(await service.getWallet({ walletId: created.id })).toEqual(created);
      expect(await service.listWallets({ userId })).toEqual([created]);
    });

    it('refuses a second wallet of the same currency for one user, allows another currency', async () => {
      const userId = uniqueUser();
      await service.createWallet({ userId, currency: 'VND' });
      expect(await codeOf(service.createWallet({ userId, currency: 'VND' }))).toBe('WALLET_ALREADY_EXISTS');
      const usd = await service.createWallet({ userId, currency: 'USD' });
      expect(usd.balance).toBe('0.00');
      expect((await service.listWallets({ userId })).map((w) => w.currency).sort()).toEqual(['USD', 'VND']);
    });

    it('creates one wallet when the same user races to create it', async () => {
      const userId = uniqueUser();
      const results = await Promise.allSettled(Array.from({ length: 5 }, () => service.createWallet({ userId })));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect((r.reason as { code?: string }).code).toBe('WALLET_ALREADY_EXISTS');
      expect(await service.listWallets({ userId })).toHaveLength(1);
    });

    it('answers WALLET_NOT_FOUND for an unknown wallet', async () => {
      const id = '00000000-0000-4000-8000-000000000000';
      expect(await codeOf(service.getWallet({ walletId: id }))).toBe('WALLET_NOT_FOUND');
      expect(await codeOf(service.deposit({ walletId: id, amount: '1' }))).toBe('WALLET_NOT_FOUND');
      expect(await codeOf(service.listTransactions({ walletId: id }))).toBe('WALLET_NOT_FOUND');
    });

    it('deposits and withdraws with exact amounts and a ledger row per change', async () => {
      const wallet = await service.createWallet({ userId: uniqueUser(), currency: 'USD' });
      const dep = await service.deposit({ walletId: wallet.id, amount: '100.10', description: 'top up', reference: 'r-1' });
      expect(dep.wallet).toMatchObject({ balance: '100.10', version: 2 });
      expect(dep.transaction).toMatchObject({
        walletId: wallet.id,
        type: 'deposit',
        amount: '100.10',
        balanceAfter: '100.10',
        description: 'top up',
        reference: 'r-1',
        transferId: null,
      });
      const wd = await service.withdraw({ walletId: wallet.id, amount: '0.2' });
      expect(wd.transaction).toMatchObject({ type: 'withdrawal', amount: '0.20', balanceAfter: '99.90' });
      expect((await service.getWallet({ walletId: wallet.id })).balance).toBe('99.90');
      const history = await service.listTransactions({ walletId: wallet.id });
      expect(history.items.map((t) => [t.type, t.amount, t.balanceAfter])).toEqual([
        ['withdrawal', '0.20', '99.90'],
        ['deposit', '100.10', '100.10'],
      ]);
      expect(history.nextCursor).toBeNull();
    });

    it('keeps hostile text byte for byte: quotes, backslashes, placeholders, unicode', async () => {
      const wallet = await funded('0');
      const description = "O'Brien \\ '); DROP TABLE wallets; -- $1 $$ E'\\x00' đồng 🧾";
      const reference = 'ref\\\'"$2';
      const res = await service.deposit({ walletId: wallet.id, amount: '1', description, reference }, { idempotencyKey: "key'$1\\" });
      expect(res.transaction).toMatchObject({ description, reference });
      const [row] = (await service.listTransactions({ walletId: wallet.id })).items;
      expect(row).toMatchObject({ description, reference });
      const again = await service.deposit({ walletId: wallet.id, amount: '1', description, reference }, { idempotencyKey: "key'$1\\" });
      expect(wasReplayed(again)).toBe(true);
      expect((await service.getWallet({ walletId: wallet.id })).balance).toBe('1');
      const userId = uniqueUser("o'hara\\");
      await service.earnPoints({ userId, points: 3, source: "src'$1" });
      expect((await service.getPointAccount({ userId })).availablePoints).toBe(3);
    });

    it('rejects an overdraft and changes nothing, events included', async () => {
      const wallet = await funded('1000');
      const before = await allEvents(store);
      expect(await codeOf(service.withdraw({ walletId: wallet.id, amount: '1001' }))).toBe('INSUFFICIENT_FUNDS');
      expect((await service.getWallet({ walletId: wallet.id })).balance).toBe('1000');
      expect(await ledgerSum(wallet.id)).toEqual({ count: 1, net: 1000n });
      expect((await allEvents(store)).length).toBe(before.length);
    });

    it('rejects amounts with more digits than the currency has, before touching the wallet', async () => {
      const wallet = await funded('1000');
      expect(await codeOf(service.deposit({ walletId: wallet.id, amount: '1.5' }))).toBe('VALIDATION_ERROR');
      expect(await codeOf(service.deposit({ walletId: wallet.id, amount: '1000000000001' }))).toBe('VALIDATION_ERROR');
      expect((await service.getWallet({ walletId: wallet.id })).version).toBe(2);
    });

    it('transfers between two wallets: both balances, two ledger rows sharing one transfer id', async () => {
      const from = await funded('500000');
      const to = await funded('0');
      const res = await service.transfer({ fromWalletId: from.id, toWalletId: to.id, amount: '125000', description: 'lunch' });
      expect(res.wallet).toMatchObject({ id: from.id, balance: '375000' });
      expect(res.transaction).toMatchObject({ type: 'transfer_out', amount: '125000', balanceAfter: '375000', transferId: res.transferId });
      const [credit] = (await service.listTransactions({ walletId: to.id })).items;
      expect(credit).toMatchObject({ type: 'transfer_in', amount: '125000', balanceAfter: '125000', transferId: res.transferId, description: 'lunch' });
      expect((await service.getWallet({ walletId: to.id })).balance).toBe('125000');
    });

    it('refuses transfers to itself, across currencies, to frozen or closed wallets, and beyond the balance', async () => {
      const userB = uniqueUser();
      const from = await funded('1000');
      const usd = await service.createWallet({ userId: userB, currency: 'USD' });
      const frozen = await funded('0');
      await service.freeze({ walletId: frozen.id });
      const closed = await funded('0');
      await service.close({ walletId: closed.id });
      const t = (toWalletId: string, amount = '10') => service.transfer({ fromWalletId: from.id, toWalletId, amount });
      expect(await codeOf(t(from.id))).toBe('SAME_WALLET');
      expect(await codeOf(t(usd.id))).toBe('CURRENCY_MISMATCH');
      expect(await codeOf(t(frozen.id))).toBe('WALLET_FROZEN');
      expect(await codeOf(t(closed.id))).toBe('WALLET_CLOSED');
      expect(await codeOf(t('00000000-0000-4000-8000-000000000001'))).toBe('WALLET_NOT_FOUND');
      const other = await funded('0');
      expect(await codeOf(t(other.id, '1001'))).toBe('INSUFFICIENT_FUNDS');
      expect((await service.getWallet({ walletId: from.id })).balance).toBe('1000');
      expect((await service.getWallet({ walletId: other.id })).balance).toBe('0');
    });

    it('hides wallets of other users from a command acting as a user', async () => {
      const wallet = await funded('100');
      const stranger = uniqueUser();
      expect(await codeOf(service.getWallet({ walletId: wallet.id }, { asUser: stranger }))).toBe('WALLET_NOT_FOUND');
      expect(await codeOf(service.withdraw({ walletId: wallet.id, amount: '1' }, { asUser: stranger }))).toBe('WALLET_NOT_FOUND');
      const target = await funded('0');
      expect(await codeOf(service.transfer({ fromWalletId: wallet.id, toWalletId: target.id, amount: '1' }, { asUser: stranger }))).toBe('WALLET_NOT_FOUND');
      expect((await service.withdraw({ walletId: wallet.id, amount: '1' }, { asUser: wallet.userId })).wallet.balance).toBe('99');
    });

    it('freezes, unfreezes and closes with their rules; a closed wallet stays readable', async () => {
      const wallet = await funded('10');
      const frozen = await service.freeze({ walletId: wallet.id, reason: 'fraud check' });
      expect(frozen.status).toBe('frozen');
      expect(await codeOf(service.deposit({ walletId: wallet.id, amount: '1' }))).toBe('WALLET_FROZEN');
      expect(await codeOf(service.withdraw({ walletId: wallet.id, amount: '1' }))).toBe('WALLET_FROZEN');
      expect((await service.freeze({ walletId: wallet.id })).version).toBe(frozen.version);
      expect((await service.unfreeze({ walletId: wallet.id })).status).toBe('active');
      expect(await codeOf(service.close({ walletId: wallet.id }))).toBe('WALLET_NOT_EMPTY');
      await service.withdraw({ walletId: wallet.id, amount: '10' });
      const closed = await service.close({ walletId: wallet.id });
      expect(closed.status).toBe('closed');
      expect(closed.closedAt).not.toBeNull();
      expect(await codeOf(service.deposit({ walletId: wallet.id, amount: '1' }))).toBe('WALLET_CLOSED');
      expect(await codeOf(service.freeze({ walletId: wallet.id }))).toBe('WALLET_CLOSED');
      expect(await codeOf(service.close({ walletId: wallet.id }))).toBe('WALLET_CLOSED');
      expect((await service.getWallet({ walletId: wallet.id })).status).toBe('closed');
      expect((await service.listTransactions({ walletId: wallet.id })).items).toHaveLength(2);
    });

    it('replays a command with the same idempotency key: same result, applied once', async () => {
      const wallet = await funded('0');
      const first = await service.deposit({ walletId: wallet.id, amount: '5000' }, { idempotencyKey: 'dep-1' });
      expect(wasReplayed(first)).toBe(false);
      const again = await service.deposit({ walletId: wallet.id, amount: '5000' }, { idempotencyKey: 'dep-1' });
      expect(wasReplayed(again)).toBe(true);
      expect(again).toEqual(first);
      expect(JSON.stringify(again)).toBe(JSON.stringify(first));
      expect((await service.getWallet({ walletId: wallet.id })).balance).toBe('5000');
      expect(await codeOf(service.deposit({ walletId: wallet.id, amount: '5001' }, { idempotencyKey: 'dep-1' }))).toBe('IDEMPOTENCY_CONFLICT');
      expect(await codeOf(service.withdraw({ walletId: wallet.id, amount: '5000' }, { idempotencyKey: 'dep-1' }))).toBe('IDEMPOTENCY_CONFLICT');
      // Keys are scoped: another caller may use the same key for its own command.
      await service.deposit({ walletId: wallet.id, amount: '1' }, { idempotencyKey: 'dep-1', idempotencyScope: 'someone-else' });
      expect((await service.getWallet({ walletId: wallet.id })).balance).toBe('5001');
    });

    it('purges idempotency keys older than a cutoff in bounded batches, oldest first; a purged key runs anew', async () => {
      const scope = uniqueUser('purge-scope');
      const past = new WalletService({ store, clock: () => new Date('2001-01-01T00:00:00Z') });
      const wallet = await service.createWallet({ userId: uniqueUser('purge') });
      for (let i = 0; i < 5; i++) await past.deposit({ walletId: wallet.id, amount: '1' }, { idempotencyKey: `old-${i}`, idempotencyScope: scope });
      await service.deposit({ walletId: wallet.id, amount: '1' }, { idempotencyKey: 'recent', idempotencyScope: scope });
      const cutoff = new Date('2001-01-02T00:00:00Z');
      const batches: number[] = [];
      for (let n = -1; n !== 0;) batches.push((n = await store.purgeIdempotencyKeys(cutoff, 2)));
      expect(batches).toEqual([2, 2, 1, 0]);
      // The recent key still replays; an old one is new again and executes.
      expect(wasReplayed(await service.deposit({ walletId: wallet.id, amount: '1' }, { idempotencyKey: 'recent', idempotencyScope: scope }))).toBe(true);
      const rerun = await service.deposit({ walletId: wallet.id, amount: '1' }, { idempotencyKey: 'old-0', idempotencyScope: scope });
      expect([wasReplayed(rerun), rerun.wallet.balance]).toEqual([false, '7']);
    });

    it('does not keep the key of a failed command, so the retry can succeed', async () => {
      const wallet = await funded('0');
      const key = `pay-${uniqueUser()}`;
      expect(await codeOf(service.withdraw({ walletId: wallet.id, amount: '10' }, { idempotencyKey: key }))).toBe('INSUFFICIENT_FUNDS');
      await service.deposit({ walletId: wallet.id, amount: '10' });
      const paid = await service.withdraw({ walletId: wallet.id, amount: '10' }, { idempotencyKey: key });
      expect(wasReplayed(paid)).toBe(false);
      expect(paid.wallet.balance).toBe('0');
    });

    it(`applies ${n} concurrent duplicates of one idempotent command once`, async () => {
      const wallet = await funded('0');
      const key = `race-${uniqueUser()}`;
      const results = await Promise.all(Array.from({ length: n }, () => service.deposit({ walletId: wallet.id, amount: '7' }, { idempotencyKey: key })));
      expect(results.filter((r) => !wasReplayed(r))).toHaveLength(1);
      for (const r of results) expect(r).toEqual(results[0]);
      expect((await service.getWallet({ walletId: wallet.id })).balance).toBe('7');
      expect(await ledgerSum(wallet.id)).toEqual({ count: 1, net: 7n });
    });

    it(`lets exactly the affordable ones of ${n + 10} concurrent withdrawals through`, async () => {
      const wallet = await funded(String(n));
      const results = await Promise.allSettled(Array.from({ length: n + 10 }, () => service.withdraw({ walletId: wallet.id, amount: '1' })));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(n);
      for (const r of results) if (r.status === 'rejected') expect((r.reason as { code?: string }).code).toBe('INSUFFICIENT_FUNDS');
      expect((await service.getWallet({ walletId: wallet.id })).balance).toBe('0');
      expect(await ledgerSum(wallet.id)).toEqual({ count: n + 1, net: 0n });
    });

    it('conserves money under concurrent transfers in both directions', async () => {
      const a = await funded('1000');
      const b = await funded('1000');
      const moves = Array.from({ length: n }, (_, i) =>
        service.transfer(i % 2 === 0 ? { fromWalletId: a.id, toWalletId: b.id, amount: '3' } : { fromWalletId: b.id, toWalletId: a.id, amount: '5' }),
      );
      const results = await Promise.allSettled(moves);
      for (const r of results) if (r.status === 'rejected') throw r.reason;
      const [wa, wb] = [await service.getWallet({ walletId: a.id }), await service.getWallet({ walletId: b.id })];
      expect(BigInt(wa.balance) + BigInt(wb.balance)).toBe(2000n);
      expect(BigInt(wa.balance)).toBe(1000n - 3n * BigInt(Math.ceil(n / 2)) + 5n * BigInt(Math.floor(n / 2)));
      expect((await ledgerSum(a.id)).net).toBe(BigInt(wa.balance));
      expect((await ledgerSum(b.id)).net).toBe(BigInt(wb.balance));
    });

    it('pages history newest first by keyset, stable while rows are added, with a type filter', async () => {
      const wallet = await funded('0');
      for (let i = 1; i <= 7; i++) await service.deposit({ walletId: wallet.id, amount: String(i) });
      await service.withdraw({ walletId: wallet.id, amount: '1' });
      const p1 = await service.listTransactions({ walletId: wallet.id, limit: 3 });
      expect(p1.items.map((t) => t.amount)).toEqual(['1', '7', '6']);
      await service.deposit({ walletId: wallet.id, amount: '100' });
      const p2 = await service.listTransactions({ walletId: wallet.id, limit: 3, cursor: p1.nextCursor as string });
      expect(p2.items.map((t) => t.amount)).toEqual(['5', '4', '3']);
      const p3 = await service.listTransactions({ walletId: wallet.id, limit: 3, cursor: p2.nextCursor as string });
      expect(p3.items.map((t) => t.amount)).toEqual(['2', '1']);
      expect(p3.nextCursor).toBeNull();
      const withdrawals = await service.listTransactions({ walletId: wallet.id, type: 'withdrawal' });
      expect(withdrawals.items.map((t) => t.amount)).toEqual(['1']);
      expect(await codeOf(service.listTransactions({ walletId: wallet.id, cursor: 'not-a-cursor' }))).toBe('VALIDATION_ERROR');
    });

    it('writes one outbox event per change, in the same unit as the change', async () => {
      const before = await allEvents(store);
      const last = before[before.length - 1]?.position;
      const wallet = await funded('250');
      const events = (await allEvents(store, last)).map((e) => e.row).filter((e) => e.aggregateId === wallet.id);
      expect(events.map((e) => e.type)).toEqual(['WalletCreated', 'BalanceChanged']);
      expect(events[1]?.payload).toMatchObject({ amount: '250', balanceAfter: '250', transactionType: 'deposit' });
    });

    it('opens a point account on the first earn and spends the earliest-expiring lots first', async () => {
      const userId = uniqueUser();
      expect(await codeOf(service.getPointAccount({ userId }))).toBe('POINT_ACCOUNT_NOT_FOUND');
      expect(await codeOf(service.spendPoints({ userId, points: 1, source: 'order:1' }))).toBe('POINT_ACCOUNT_NOT_FOUND');
      const year = new Date().getUTCFullYear();
      await service.earnPoints({ userId, points: 100, source: 'order:1' });
      await service.earnPoints({ userId, points: 50, source: 'order:2', expiresAt: `${year + 2}-01-01T00:00:00Z` });
      const e3 = await service.earnPoints({ userId, points: 30, source: 'order:3', expiresAt: `${year + 1}-01-01T00:00:00Z` });
      expect(e3.account).toMatchObject({ totalPoints: 180, availablePoints: 180, pendingPoints: 0 });
      const spent = await service.spendPoints({ userId, points: 60, source: 'order:4' });
      expect(spent.transaction).toMatchObject({ type: 'spend', points: -60, balanceAfter: 120 });
      expect(await codeOf(service.spendPoints({ userId, points: 121, source: 'order:5' }))).toBe('INSUFFICIENT_POINTS');
      const account = await service.getPointAccount({ userId });
      expect(account).toMatchObject({ totalPoints: 180, availablePoints: 120 });
      const history = await service.listPointTransactions({ userId });
      expect(history.items.map((t) => [t.type, t.points, t.balanceAfter])).toEqual([
        ['spend', -60, 120],
        ['earn', 30, 180],
        ['earn', 50, 150],
        ['earn', 100, 100],
      ]);
      expect(history.items[1]?.expiresAt).toBe(`${year + 1}-01-01T00:00:00.000Z`);
    });

    it('holds pending points until confirmed, drops them on cancel', async () => {
      const userId = uniqueUser();
      const pending = await service.earnPoints({ userId, points: 40, source: 'order:9', pending: true });
      expect(pending.account).toMatchObject({ totalPoints: 0, availablePoints: 0, pendingPoints: 40 });
      expect(pending.transaction).toMatchObject({ type: 'pending', points: 40, balanceAfter: 0 });
      expect(await codeOf(service.spendPoints({ userId, points: 1, source: 'x' }))).toBe('INSUFFICIENT_POINTS');
      const confirmed = await service.confirmPendingPoints({ transactionId: pending.transaction.id });
      expect(confirmed.account).toMatchObject({ totalPoints: 40, availablePoints: 40, pendingPoints: 0 });
      expect(confirmed.transaction).toMatchObject({ type: 'confirm', points: 40, balanceAfter: 40, source: 'order:9' });
      expect(await codeOf(service.confirmPendingPoints({ transactionId: pending.transaction.id }))).toBe('TRANSACTION_NOT_FOUND');
      const other = await service.earnPoints({ userId, points: 15, source: 'order:10', pending: true });
      const cancelled = await service.cancelPendingPoints({ transactionId: other.transaction.id });
      expect(cancelled.account).toMatchObject({ totalPoints: 40, availablePoints: 40, pendingPoints: 0 });
      expect(cancelled.transaction).toMatchObject({ type: 'cancel', points: -15, balanceAfter: 40 });
      expect(await codeOf(service.cancelPendingPoints({ transactionId: other.transaction.id }))).toBe('TRANSACTION_NOT_FOUND');
      expect(await codeOf(service.confirmPendingPoints({ transactionId: '00000000-0000-4000-8000-000000000002' }))).toBe('TRANSACTION_NOT_FOUND');
    });

    it('adjusts points both ways; a debit cannot go below zero', async () => {
      const userId = uniqueUser();
      const up = await service.adjustPoints({ userId, points: 25, source: 'support', description: 'goodwill' });
      expect(up.account).toMatchObject({ totalPoints: 25, availablePoints: 25 });
      const down = await service.adjustPoints({ userId, points: -10, source: 'support', description: 'correction' });
      expect(down.transaction).toMatchObject({ type: 'adjust', points: -10, balanceAfter: 15 });
      expect(down.account).toMatchObject({ totalPoints: 25, availablePoints: 15 });
      expect(await codeOf(service.adjustPoints({ userId, points: -16, source: 'support', description: 'too much' }))).toBe('INSUFFICIENT_POINTS');
    });

    it('expires lots at their expiry, earliest first, once', async () => {
      let now = new Date('2001-01-01T00:00:00Z');
      const clocked = new WalletService({ store, clock: () => now });
      const userId = uniqueUser();
      await clocked.earnPoints({ userId, points: 10, source: 'a', expiresAt: '2001-02-01T00:00:00Z' });
      await clocked.earnPoints({ userId, points: 20, source: 'b', expiresAt: '2001-03-01T00:00:00Z' });
      await clocked.earnPoints({ userId, points: 5, source: 'c' });
      await clocked.spendPoints({ userId, points: 4, source: 'order' });
      now = new Date('2001-02-15T00:00:00Z');
      expect(await codeOf(clocked.expirePoints({ asOf: '2001-02-16T00:00:00Z' }))).toBe('VALIDATION_ERROR');
      const run = await clocked.expirePoints({ asOf: '2001-02-01T00:00:00Z' });
      // Each store of the suite is fresh and no other case earns lots due by then: this account is the only one.
      expect(run).toEqual({ expiredPoints: 6, accounts: 1 });
      expect(await clocked.getPointAccount({ userId })).toMatchObject({ availablePoints: 25, totalPoints: 35 });
      expect((await clocked.expirePoints({ asOf: '2001-02-01T00:00:00Z' })).expiredPoints).toBe(0);
      // A spend after an expiry date expires that lot first: expired points are never spendable.
      now = new Date('2001-03-02T00:00:00Z');
      expect(await codeOf(clocked.spendPoints({ userId, points: 6, source: 'order' }))).toBe('INSUFFICIENT_POINTS');
      const spent = await clocked.spendPoints({ userId, points: 5, source: 'order' });
      expect(spent.account).toMatchObject({ availablePoints: 0, totalPoints: 35 });
      const types = (await clocked.listPointTransactions({ userId })).items.map((t) => [t.type, t.points]);
      expect(types).toEqual([
        ['spend', -5],
        ['expire', -20],
        ['expire', -6],
        ['spend', -4],
        ['earn', 5],
        ['earn', 20],
        ['earn', 10],
      ]);
    });

    it(`opens one point account when ${n} first earns race`, async () => {
      const userId = uniqueUser();
      await Promise.all(Array.from({ length: n }, (_, i) => service.earnPoints({ userId, points: i + 1, source: `order:${i}` })));
      const sum = (n * (n + 1)) / 2;
      expect(await service.getPointAccount({ userId })).toMatchObject({ totalPoints: sum, availablePoints: sum });
      expect((await service.listPointTransactions({ userId, limit: 200 })).items).toHaveLength(n);
    });

    it('never takes points below zero when concurrent spends drain an account', async () => {
      const userId = uniqueUser();
      await service.earnPoints({ userId, points: n, source: 'seed' });
      const results = await Promise.allSettled(Array.from({ length: n + 10 }, () => service.spendPoints({ userId, points: 1, source: 'drain' })));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(n);
      // The ten that came too late are refused for the domain's reason, not for a lock or a conflict.
      expect(results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as { code?: string }).code] : []))).toEqual(Array(10).fill('INSUFFICIENT_POINTS'));
      expect(await service.getPointAccount({ userId })).toMatchObject({ availablePoints: 0, totalPoints: n });
      // One spend row per point, each leaving one point less: n-1 down to 0, each once, in ledger order.
      const rows = (await service.listPointTransactions({ userId, limit: 200 })).items;
      expect(rows.map((t) => [t.type, t.points])).toEqual([...Array.from({ length: n }, () => ['spend', -1]), ['earn', n]]);
      expect(rows.slice(0, n).map((t) => t.balanceAfter)).toEqual(Array.from({ length: n }, (_, i) => i));
    });

    it('lists committed events as versioned envelopes in position order, each valid against its schema, resuming after nextAfter', async () => {
      const start = await service.listEvents({ limit: 1 });
      let after = start.nextAfter ?? undefined;
      // Skip to the end of what the suite wrote so far.
      for (;;) {
        const page = await service.listEvents({ ...(after ? { after } : {}), limit: 200 });
        if (page.items.length === 0) break;
        after = page.nextAfter ?? undefined;
      }
      const userId = uniqueUser();
      const wallet = await service.createWallet({ userId });
      await service.deposit({ walletId: wallet.id, amount: '900', reference: 'order-1' });
      await service.freeze({ walletId: wallet.id, reason: 'check' });
      await service.earnPoints({ userId, points: 5, source: 'order:1' });

      const first = await service.listEvents({ ...(after ? { after } : {}), limit: 2 });
      expect(first.items.map((i) => i.event.type)).toEqual(['WalletCreated', 'BalanceChanged']);
      const rest = await service.listEvents({ after: first.nextAfter as string, limit: 50 });
      expect(rest.items.map((i) => i.event.type)).toEqual(['WalletFrozen', 'PointAccountCreated', 'PointsEarned']);
      const items = [...first.items, ...rest.items];
      const positions = items.map((i) => BigInt(i.position));
      expect(positions.every((p, i) => i === 0 || p > (positions[i - 1] as bigint))).toBe(true);
      for (const { event } of items) {
        expect(eventSchemas[event.type].parse(event)).toEqual(event);
        expect(event).toMatchObject({ version: 1, actor: null, requestId: null });
      }
      expect(items[1]?.event).toMatchObject({
        aggregateType: 'wallet',
        aggregateId: wallet.id,
        payload: { userId, currency: 'VND', transactionType: 'deposit', amount: '900', balanceAfter: '900', reference: 'order-1', transferId: null },
      });
      // Caught up: an empty page hands back the same position to poll with.
      const empty = await service.listEvents({ after: rest.nextAfter as string });
      expect(empty).toEqual({ items: [], nextAfter: rest.nextAfter });
      expect(await codeOf(service.listEvents({ after: 'abc' }))).toBe('VALIDATION_ERROR');
      expect(await codeOf(service.listEvents({ after: '99999999999999999999' }))).toBe('VALIDATION_ERROR');
    });

    lifecycleCases(() => ({ store, service }), n);
    booksCases(() => ({ store }));
    allowanceCases(() => ({ store, service }), n);
    splitPaymentCases(() => ({ store, service }), n);
    tillCases(() => ({ store, service }), n);
    depositReversalCases(() => ({ store, service }), n);
    metadataCases(() => ({ store, service }));
    limitCases(() => ({ store, service }), n);
    summaryCases(() => ({ store }));
    it("reconciles the books the suite wrote: every check passes, with the store's counts", async () => {
      const before = await service.reconcile();
      const userId = uniqueUser();
      const a = await funded('1000');
      const b = await funded('0');
      await service.transfer({ fromWalletId: a.id, toWalletId: b.id, amount: '400' });
      await service.earnPoints({ userId, points: 9, source: 'order:r' });
      await service.spendPoints({ userId, points: 4, source: 'order:s' });
      const report = await service.reconcile();
      expect(report.problems).toEqual([]);
      expect(report.ok).toBe(true);
      // Exactly what this case wrote: two wallets, one account, a deposit, a transfer pair, an earn and a spend.
      expect({
        wallets: report.wallets - before.wallets,
        pointAccounts: report.pointAccounts - before.pointAccounts,
        ledgerRows: report.ledgerRows - before.ledgerRows,
      }).toEqual({
        wallets: 2,
        pointAccounts: 1,
        ledgerRows: 5,
      });
      expect(Number.isNaN(Date.parse(report.checkedAt))).toBe(false);
    });

    it('answers ping while open', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}
