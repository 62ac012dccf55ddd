import { WalletService, type WalletView } from '@goodgo/wallet-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createNodePostgresStore } from '../src/node-postgres/index.js';
import type { SqlWalletStore } from '../src/sql-store.js';
import { holdWalletRow } from './support/held-row.js';
import { adminUrl, freshDatabase } from './support/postgres.js';

const codeOf = (e: unknown) => (e as { code?: string }).code;
const settle = <T>(p: Promise<T>) =>
  p.then(
    () => 'ok',
    (e: unknown) => codeOf(e) ?? String(e),
  );

/**
 * A give-back batch (refunds, a deposit's reversals) reads what was given back so far in its
 * locking statement. That statement's snapshot is taken before it waits for a lock: a give-back
 * committed by the lock's previous holder is not in it. Two stores (two instances) race two
 * refunds that together exceed the payment, both queued for a wallet another connection holds:
 * whichever locks second must count the first.
 */
describe.runIf(adminUrl)('what was given back, read with the lock (PostgreSQL)', () => {
  let one: SqlWalletStore;
  let two: SqlWalletStore;
  let service: WalletService;
  let other: WalletService;
  let drop: () => Promise<void>;
  let users = 0;
  const statements = new Map<string, number>();
  const count = (name: string): void => {
    const key = name.startsWith('wallet_flush_') ? 'wallet_flush' : name;
    statements.set(key, (statements.get(key) ?? 0) + 1);
  };

  beforeAll(async () => {
    const db = await freshDatabase('give_back_snapshot');
    drop = db.drop;
    one = await createNodePostgresStore({ connectionString: db.url, max: 4, lockTimeoutMs: 120_000, onStatement: count });
    two = await createNodePostgresStore({ connectionString: db.url, max: 4, lockTimeoutMs: 120_000, migrate: false, onStatement: count });
    service = new WalletService({ store: one });
    other = new WalletService({ store: two });
  });
  afterAll(async () => {
    await one.close();
    await two.close();
    await drop();
  });
  beforeEach(() => statements.clear());

  async function walletWith(balance: string): Promise<WalletView> {
    const w = await service.createWallet({ userId: `gb-${++users}` });
    if (balance !== '0') await service.deposit({ walletId: w.id, amount: balance });
    return w;
  }

  const hold = (walletId: string) => holdWalletRow(two.driver, walletId);

  /** Until `n` of the database's backends wait for a row lock. */
  async function waiting(n: number): Promise<void> {
    for (let i = 0; i < 500; i++) {
      const [row] = await one.driver.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");
      if (Number(row?.n) >= n) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`never ${n} waiting for a lock`);
  }

  const givenBack = async (rowId: string, type: string) => {
    const [row] = await one.driver.query('SELECT coalesce(sum(amount), 0)::text AS s FROM wallet_transactions WHERE refund_of = $1 AND type = $2', [
      rowId,
      type,
    ]);
    return row?.s;
  };

  it('reads a refund in three statements: the resolve read, the lock with what was given back, the write', async () => {
    const w = await walletWith('100');
    const shop = await walletWith('0');
    const paid = await service.transfer({ fromWalletId: w.id, toWalletId: shop.id, amount: '40' });
    statements.clear();
    await service.refund({ transactionId: paid.transaction.id, amount: '15' });
    expect(Object.fromEntries(statements)).toEqual({ wallet_find_wtx: 1, wallet_lock_wallets_given_back: 1, wallet_flush: 1 });
    statements.clear();
    // The second refund sees the first, read with the lock.
    await expect(service.refund({ transactionId: paid.transaction.id, amount: '26' })).rejects.toMatchObject({ code: 'REFUND_EXCEEDS_ORIGINAL' });
    await service.refund({ transactionId: paid.transaction.id, amount: '25' });
    expect(statements.get('wallet_refunded_amounts')).toBeUndefined();
    expect(await givenBack(paid.transaction.id, 'refund_in')).toBe('40');
    expect((await service.getWallet({ walletId: w.id })).balance).toBe('100');
    expect((await service.getWallet({ walletId: shop.id })).balance).toBe('0');
  });

  it('counts a refund committed while the other waited for the lock: the two never give back more than was paid', async () => {
    const w = await walletWith('100');
    const paid = await service.withdraw({ walletId: w.id, amount: '100' });
    const release = await hold(w.id);
    const first = settle(service.refund({ transactionId: paid.transaction.id, amount: '60' }));
    const second = settle(other.refund({ transactionId: paid.transaction.id, amount: '60' }));
    // Both locking statements have taken their snapshots and wait for the row.
    await waiting(2);
    statements.clear();
    await release();
    expect([await first, await second].sort()).toEqual(['REFUND_EXCEEDS_ORIGINAL', 'ok']);
    expect(await givenBack(paid.transaction.id, 'refund_in')).toBe('60');
    expect((await service.getWallet({ walletId: w.id })).balance).toBe('60');
    // The one that locked second found the wallet written since its snapshot and read the sum again.
    expect(statements.get('wallet_refunded_amounts')).toBe(1);
    expect((await service.reconcile()).problems).toEqual([]);
  });

  it('runs a refund set aside for a held wallet again without reading its ledger row again', async () => {
    const held = await walletWith('100');
    const free = await walletWith('100');
    const opener = await walletWith('0');
    const heldPaid = await service.withdraw({ walletId: held.id, amount: '50' });
    const freePaid = await service.withdraw({ walletId: free.id, amount: '50' });
    const release = await hold(held.id);
    await new Promise((resolve) => setImmediate(resolve));
    statements.clear();
    // The opener leaves alone; the two refunds queue behind it and leave together, as one batch.
    const first = service.deposit({ walletId: opener.id, amount: '1' });
    const refunds = [
      settle(service.refund({ transactionId: heldPaid.transaction.id, amount: '20' })),
      settle(service.refund({ transactionId: freePaid.transaction.id, amount: '20' })),
    ];
    await first;
    expect(await refunds[1]).toBe('ok');
    // The held wallet's refund was set aside and now waits for the row.
    await waiting(1);
    await release();
    expect(await refunds[0]).toBe('ok');
    expect(statements.get('set_aside')).toBe(1);
    expect(statements.get('wallet_find_wtx')).toBe(1);
    expect((await service.getWallet({ walletId: held.id })).balance).toBe('70');
    expect((await service.getWallet({ walletId: free.id })).balance).toBe('70');
  });

  it("counts a deposit's reversal committed while the other waited for the lock", async () => {
    const w = await walletWith('0');
    const deposit = await service.deposit({ walletId: w.id, amount: '100' });
    const release = await hold(w.id);
    const first = settle(service.reverseDeposit({ transactionId: deposit.transaction.id, amount: '70', reason: 'keyed twice' }));
    const second = settle(other.reverseDeposit({ transactionId: deposit.transaction.id, amount: '70', reason: 'keyed twice' }));
    await waiting(2);
    await release();
    expect([await first, await second].sort()).toEqual(['REFUND_EXCEEDS_ORIGINAL', 'ok']);
    expect(await givenBack(deposit.transaction.id, 'deposit_reversal')).toBe('70');
    expect((await service.getWallet({ walletId: w.id })).balance).toBe('30');
  });
});
