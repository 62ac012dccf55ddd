import { WalletService, wasReplayed, type WalletView } from '@goodgo/wallet-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SqlStoreOptions, SqlWalletStore } from '../../src/sql-store.js';

/** What the cases count: the size of every batch that left, and every statement sent by name. */
export interface Counters {
  batches: number[];
  statements: Map<string, number>;
}

export interface GroupCommitSetup {
  /** A store made with these options (the counters' callbacks, a batch size limit). */
  open(options: SqlStoreOptions): Promise<SqlWalletStore>;
  /** Ends what `open` made beyond the store (a database). */
  cleanup?(): Promise<void>;
}

const codeOf = (e: unknown) => (e as { code?: string }).code;
const settle = <T>(p: Promise<T>) =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (e: unknown) => ({ ok: false as const, code: codeOf(e) }),
  );

/**
 * Group commit on a SQL store: many commands in one database transaction. A batch forms
 * deterministically here: the first command of a burst leaves alone, and every command called in
 * the same tick after it queues, in call order, for the batch that leaves when it returns.
 */
export function describeGroupCommit(name: string, setup: GroupCommitSetup): void {
  describe(`group commit (${name})`, () => {
    const counters: Counters = { batches: [], statements: new Map() };
    let store: SqlWalletStore;
    let service: WalletService;
    let users = 0;

    beforeAll(async () => {
      store = await setup.open({
        maxBatchSize: 64,
        onBatch: (size) => counters.batches.push(size),
        onStatement: (statement) => {
          const key = statement.startsWith('wallet_flush_') ? 'wallet_flush' : statement;
          counters.statements.set(key, (counters.statements.get(key) ?? 0) + 1);
        },
      });
      service = new WalletService({ store });
    });
    afterAll(async () => {
      await store.close();
      await setup.cleanup?.();
    });
    beforeEach(() => {
      counters.batches.length = 0;
      counters.statements.clear();
    });

    async function walletWith(balance: string): Promise<WalletView> {
      const w = await service.createWallet({ userId: `gc-${++users}` });
      if (balance !== '0') await service.deposit({ walletId: w.id, amount: balance });
      return w;
    }
    const balanceOf = async (walletId: string) => (await service.getWallet({ walletId })).balance;
    /** Occupies the batch slot: the burst called right after it queues behind it as one batch. */
    const opener = async (w: WalletView) => {
      // One turn of the event loop: the set-up's last batch has fully left the slot.
      await new Promise((resolve) => setImmediate(resolve));
      counters.batches.length = 0;
      counters.statements.clear();
      return { done: service.deposit({ walletId: w.id, amount: '1' }) };
    };
    async function booksBalance(): Promise<void> {
      const report = await service.reconcile();
      expect(report.problems).toEqual([]);
    }

    it('commits a burst of transfers in both directions between two wallets as one batch, every ledger row chained in order', async () => {
      const a = await walletWith('1000');
      const b = await walletWith('1000');
      const other = await walletWith('0');
      const first = (await opener(other)).done;
      const burst = Array.from({ length: 40 }, (_, i) =>
        i % 2 === 0
          ? service.transfer({ fromWalletId: a.id, toWalletId: b.id, amount: '7' })
          : service.transfer({ fromWalletId: b.id, toWalletId: a.id, amount: '3' }),
      );
      await first;
      const results = await Promise.all(burst);
      expect(counters.batches).toEqual([1, 40]);
      expect(counters.statements.get('batch_fallback')).toBeUndefined();
      // Each answer is the source wallet's balance right after its own transfer, in call order.
      let balanceA = 1000;
      let balanceB = 1000;
      for (const [i, r] of results.entries()) {
        if (i % 2 === 0) {
          balanceA -= 7;
          balanceB += 7;
          expect(r.wallet.balance).toBe(String(balanceA));
        } else {
          balanceB -= 3;
          balanceA += 3;
          expect(r.wallet.balance).toBe(String(balanceB));
        }
      }
      expect(await balanceOf(a.id)).toBe(String(balanceA));
      expect(await balanceOf(b.id)).toBe(String(balanceB));
      const page = await service.listTransactions({ walletId: a.id, limit: 100 });
      // 40 transfer rows and the opening deposit, newest first, each balanceAfter its predecessor's plus its amount.
      expect(page.items).toHaveLength(41);
      expect(page.items[0]?.balanceAfter).toBe(String(balanceA));
      await booksBalance();
    });

    it('applies exactly one of two same-key commands of one burst; the other replays its answer after it committed', async () => {
      const w = await walletWith('100');
      const other = await walletWith('0');
      const first = (await opener(other)).done;
      const one = service.withdraw({ walletId: w.id, amount: '30' }, { idempotencyKey: 'gc-dup-1' });
      const neighbour = service.deposit({ walletId: w.id, amount: '5' });
      const two = service.withdraw({ walletId: w.id, amount: '30' }, { idempotencyKey: 'gc-dup-1' });
      await first;
      const [r1, rn, r2] = await Promise.all([one, neighbour, two]);
      expect(wasReplayed(r1)).toBe(false);
      expect(wasReplayed(r2)).toBe(true);
      expect(r2.transaction.id).toBe(r1.transaction.id);
      expect(r2.wallet.balance).toBe(r1.wallet.balance);
      expect(rn.wallet.balance).toBe('75');
      // The duplicate waited for the next batch instead of joining the first one.
      expect(counters.batches).toEqual([1, 2, 1]);
      expect(await balanceOf(w.id)).toBe('75');
      const page = await service.listTransactions({ walletId: w.id, type: 'withdrawal', limit: 10 });
      expect(page.items).toHaveLength(1);
      await booksBalance();
    });

    it('fails the commands after a freeze in the same batch with WALLET_FROZEN and applies those before it', async () => {
      const w = await walletWith('100');
      const other = await walletWith('0');
      const first = (await opener(other)).done;
      const burst = [
        settle(service.withdraw({ walletId: w.id, amount: '10' })),
        settle(service.withdraw({ walletId: w.id, amount: '10' })),
        settle(service.freeze({ walletId: w.id, reason: 'fraud check' })),
        settle(service.withdraw({ walletId: w.id, amount: '10' })),
        settle(service.deposit({ walletId: w.id, amount: '10' })),
      ];
      await first;
      const [a, b, freeze, c, d] = await Promise.all(burst);
      expect(counters.batches).toEqual([1, 5]);
      expect([a?.ok, b?.ok, freeze?.ok]).toEqual([true, true, true]);
      expect([c?.ok ? 'ok' : c?.code, d?.ok ? 'ok' : d?.code]).toEqual(['WALLET_FROZEN', 'WALLET_FROZEN']);
      const wallet = await service.getWallet({ walletId: w.id });
      expect(wallet.status).toBe('frozen');
      expect(wallet.balance).toBe('80');
      expect((await service.listTransactions({ walletId: w.id, limit: 10 })).items).toHaveLength(3);
      await booksBalance();
    });

    it('leaves the neighbours of a failing command applied, and a failed keyed command free to run again', async () => {
      const a = await walletWith('50');
      const b = await walletWith('50');
      const other = await walletWith('0');
      const first = (await opener(other)).done;
      const burst = [
        settle(service.deposit({ walletId: a.id, amount: '10' })),
        settle(service.transfer({ fromWalletId: a.id, toWalletId: b.id, amount: '500' }, { idempotencyKey: 'gc-too-much' })),
        settle(service.transfer({ fromWalletId: a.id, toWalletId: b.id, amount: '20' })),
        settle(service.withdraw({ walletId: b.id, amount: '1000' })),
        settle(service.withdraw({ walletId: b.id, amount: '5' })),
      ];
      await first;
      const outcomes = await Promise.all(burst);
      expect(counters.batches).toEqual([1, 5]);
      expect(outcomes.map((o) => (o.ok ? 'ok' : o.code))).toEqual(['ok', 'INSUFFICIENT_FUNDS', 'ok', 'INSUFFICIENT_FUNDS', 'ok']);
      expect(await balanceOf(a.id)).toBe('40');
      expect(await balanceOf(b.id)).toBe('65');
      // The failed command's key was released with its batch: the retry runs anew.
      await service.deposit({ walletId: a.id, amount: '1000' });
      const retry = await service.transfer({ fromWalletId: a.id, toWalletId: b.id, amount: '500' }, { idempotencyKey: 'gc-too-much' });
      expect(wasReplayed(retry)).toBe(false);
      expect(await balanceOf(b.id)).toBe('565');
      await booksBalance();
    });

    it('fails a duplicate wallet alone, found before the write: the batch commits its neighbours without falling back', async () => {
      const w = await walletWith('0');
      const other = await walletWith('0');
      const first = (await opener(other)).done;
      const burst = [
        settle(service.createWallet({ userId: 'gc-twin', currency: 'VND' })),
        settle(service.deposit({ walletId: w.id, amount: '9' })),
        settle(service.createWallet({ userId: 'gc-twin', currency: 'VND' })),
      ];
      await first;
      const [one, deposit, two] = await Promise.all(burst);
      expect(counters.statements.get('batch_fallback')).toBeUndefined();
      expect(counters.batches).toEqual([1, 3]);
      expect([one, two].filter((o) => o?.ok)).toHaveLength(1);
      expect([one, two].flatMap((o) => (o?.ok ? [] : [o?.code]))).toEqual(['WALLET_ALREADY_EXISTS']);
      expect(deposit?.ok).toBe(true);
      expect(await balanceOf(w.id)).toBe('9');
      expect(await service.listWallets({ userId: 'gc-twin' })).toHaveLength(1);
    });

    it('batches points with wallets: an account opened and earned into twice in one batch, then spent', async () => {
      const w = await walletWith('100');
      const other = await walletWith('0');
      const first = (await opener(other)).done;
      const burst = [
        service.earnPoints({ userId: 'gc-points', points: 100, source: 'order-1' }),
        service.withdraw({ walletId: w.id, amount: '1' }),
        service.earnPoints({ userId: 'gc-points', points: 50, source: 'order-2' }),
        service.spendPoints({ userId: 'gc-points', points: 120, source: 'redeem' }),
        service.adjustPoints({ userId: 'gc-points', points: -10, source: 'support', description: 'correction' }),
      ];
      await first;
      const results = await Promise.all(burst);
      expect(counters.batches).toEqual([1, 5]);
      expect(counters.statements.get('batch_fallback')).toBeUndefined();
      const account = await service.getPointAccount({ userId: 'gc-points' });
      expect(account.availablePoints).toBe(20);
      expect((results[3] as { account: { availablePoints: number } }).account.availablePoints).toBe(30);
      const rows = await service.listPointTransactions({ userId: 'gc-points', limit: 10 });
      expect(rows.items.map((t) => t.type)).toEqual(['adjust', 'spend', 'earn', 'earn']);
      expect(await balanceOf(w.id)).toBe('99');
      await booksBalance();
    });

    it('batches captures, voids and refunds after their resolve step: partial refunds of one payment in one batch never exceed it', async () => {
      const payer = await walletWith('1000');
      const shop = await walletWith('0');
      const holds = await Promise.all(Array.from({ length: 12 }, () => service.placeHold({ walletId: payer.id, amount: '10' })));
      const paid = await service.transfer({ fromWalletId: payer.id, toWalletId: shop.id, amount: '100' });
      const opened = await service.withdraw({ walletId: payer.id, amount: '50' });
      counters.batches.length = 0;
      counters.statements.clear();
      const outcomes = await Promise.all([
        ...holds.slice(0, 8).map((h) => settle(service.captureHold({ holdId: h.id, toWalletId: shop.id }))),
        ...holds.slice(8).map((h) => settle(service.voidHold({ holdId: h.id }))),
        // Five refunds of 30 against a payment of 100: three fit, the other two find it refunded.
        ...Array.from({ length: 5 }, () => settle(service.refund({ transactionId: paid.transaction.id, amount: '30' }))),
        settle(service.refund({ transactionId: opened.transaction.id })),
      ]);
      const codes = outcomes.map((o) => (o.ok ? 'ok' : o.code));
      expect(codes.slice(0, 12)).toEqual(Array(12).fill('ok'));
      expect(codes.slice(12, 17).filter((c) => c === 'ok')).toHaveLength(3);
      expect(codes.at(-1)).toBe('ok');
      // The resolve reads coalesce: the first leaves alone, the eleven asked meanwhile in one statement.
      expect(counters.statements.get('wallet_get_hold')).toBeLessThanOrEqual(2);
      // The writes are fewer than the commands.
      expect(counters.statements.get('wallet_flush')).toBeLessThan(outcomes.length);
      expect(Math.max(...counters.batches)).toBeGreaterThan(1);
      expect(counters.statements.get('batch_fallback')).toBeUndefined();
      // 1000 - 120 held - 100 paid - 50 withdrawn; 80 captured to the shop, 40 released; 90 + 50 refunded.
      expect(await balanceOf(payer.id)).toBe(String(1000 - 80 - 100 - 50 + 90 + 50));
      expect(await balanceOf(shop.id)).toBe(String(100 + 80 - 90));
      await booksBalance();
    });

    it('batches points refunds, reversals and pending confirmations after their resolve step, each claim counted once', async () => {
      const userId = `gc-pts-${++users}`;
      await service.earnPoints({ userId, points: 100, source: 'order-1' });
      const pending = await service.earnPoints({ userId, points: 40, source: 'order-2', pending: true });
      const spend = await service.spendPoints({ userId, points: 60, source: 'redeem' });
      counters.batches.length = 0;
      counters.statements.clear();
      const outcomes = await Promise.all([
        // Three refunds of 25 against a spend of 60: two fit whole, the third finds 10 left and asks 25.
        settle(service.refundPoints({ transactionId: spend.transaction.id, points: 25 })),
        settle(service.refundPoints({ transactionId: spend.transaction.id, points: 25 })),
        settle(service.refundPoints({ transactionId: spend.transaction.id, points: 25 })),
        settle(service.confirmPendingPoints({ transactionId: pending.transaction.id })),
      ]);
      expect(outcomes.map((o) => (o.ok ? 'ok' : 'failed'))).toEqual(['ok', 'ok', 'failed', 'ok']);
      expect(counters.statements.get('batch_fallback')).toBeUndefined();
      const account = await service.getPointAccount({ userId });
      expect(account.availablePoints).toBe(100 - 60 + 50 + 40);
      await booksBalance();
    });

    it('forms batches under load: far fewer writes than commands, the books balanced', async () => {
      const wallets = await Promise.all(Array.from({ length: 6 }, () => walletWith('100000')));
      counters.batches.length = 0;
      counters.statements.clear();
      const n = 300;
      const results = await Promise.allSettled(
        Array.from({ length: n }, (_, i) => {
          const from = wallets[i % 6] as WalletView;
          const to = wallets[(i % 6) + 1 === 6 ? 0 : (i % 6) + 1] as WalletView;
          return service.transfer({ fromWalletId: from.id, toWalletId: to.id, amount: String(1 + (i % 7)) }, { idempotencyKey: `gc-load-${i}` });
        }),
      );
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      expect(counters.batches.reduce((s, x) => s + x, 0)).toBe(n);
      const flushes = counters.statements.get('wallet_flush') ?? 0;
      expect(flushes).toBe(counters.batches.length);
      expect(flushes).toBeLessThan(n / 4);
      expect(counters.statements.get('batch_fallback')).toBeUndefined();
      const total = (await Promise.all(wallets.map((w) => balanceOf(w.id)))).reduce((s, b) => s + Number(b), 0);
      expect(total).toBe(600000);
      // Every key answers with its own committed result on a retry.
      const again = await service.transfer({ fromWalletId: wallets[0]!.id, toWalletId: wallets[1]!.id, amount: '1' }, { idempotencyKey: 'gc-load-0' });
      expect(wasReplayed(again)).toBe(true);
      expect(again.transaction.id).toBe((results[0] as PromiseFulfilledResult<{ transaction: { id: string } }>).value.transaction.id);
      await booksBalance();
    });
  });
}
