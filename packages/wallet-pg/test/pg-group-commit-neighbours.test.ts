import { WalletService, wasReplayed, type UnitOfWork, type WalletView } from '@goodgo/wallet-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodePostgresStore } from '../src/node-postgres/index.js';
import type { SqlWalletStore } from '../src/sql-store.js';
import { adminUrl, freshDatabase } from './support/postgres.js';

const codeOf = (e: unknown) => (e as { code?: string }).code;
const settle = <T>(p: Promise<T>) =>
  p.then(
    () => 'ok',
    (e: unknown) => codeOf(e) ?? String(e),
  );

describe.runIf(adminUrl)('group commit against neighbours and a second instance (PostgreSQL)', () => {
  let one: SqlWalletStore;
  let two: SqlWalletStore;
  let a: WalletService;
  let b: WalletService;
  let drop: () => Promise<void>;
  let users = 0;
  beforeAll(async () => {
    const db = await freshDatabase('gc_neighbours');
    drop = db.drop;
    one = await createNodePostgresStore({ connectionString: db.url, max: 4, lockTimeoutMs: 300 });
    two = await createNodePostgresStore({ connectionString: db.url, max: 4, lockTimeoutMs: 10_000, migrate: false });
    a = new WalletService({ store: one });
    b = new WalletService({ store: two });
  });
  afterAll(async () => {
    await one.close();
    await two.close();
    await drop();
  });

  async function walletWith(balance: string): Promise<WalletView> {
    const w = await a.createWallet({ userId: `gcn-${++users}` });
    if (balance !== '0') await a.deposit({ walletId: w.id, amount: balance });
    return w;
  }

  it('fails only the command whose wallet stays locked past the lock timeout; its batch neighbours commit', async () => {
    const stuck = await walletWith('50');
    const x = await walletWith('0');
    const y = await walletWith('0');
    const other = await walletWith('0');
    let release: () => void = () => undefined;
    let locked: () => void = () => undefined;
    const isLocked = new Promise<void>((r) => (locked = r));
    const holder = two.driver.transaction(async (s) => {
      await s.query('SELECT id FROM wallets WHERE id = $1 FOR UPDATE', [stuck.id]);
      locked();
      await new Promise<void>((r) => (release = r));
    });
    await isLocked;
    await new Promise((r) => setImmediate(r));
    // The first leaves alone; the three after it queue as one batch behind it.
    const first = settle(a.deposit({ walletId: other.id, amount: '1' }));
    const burst = [
      settle(a.withdraw({ walletId: stuck.id, amount: '10' }, { idempotencyKey: 'gcn-stuck' })),
      settle(a.deposit({ walletId: x.id, amount: '7' })),
      settle(a.deposit({ walletId: y.id, amount: '8' }, { idempotencyKey: 'gcn-y' })),
    ];
    expect(await first).toBe('ok');
    const outcomes = await Promise.all(burst);
    release();
    await holder;
    expect(outcomes).toEqual(['SERVICE_UNAVAILABLE', 'ok', 'ok']);
    expect((await a.getWallet({ walletId: stuck.id })).balance).toBe('50');
    expect((await a.getWallet({ walletId: x.id })).balance).toBe('7');
    expect((await a.getWallet({ walletId: y.id })).balance).toBe('8');
    // The stuck command's key was not kept: its retry executes.
    const retried = await a.withdraw({ walletId: stuck.id, amount: '10' }, { idempotencyKey: 'gcn-stuck' });
    expect(wasReplayed(retried)).toBe(false);
    expect(retried.wallet.balance).toBe('40');
    expect((await a.reconcile()).problems).toEqual([]);
  });

  it('two instances batching opposite transfers under shared keys in opposite orders: each key applied once, the books balanced', async () => {
    const wallets = await Promise.all(Array.from({ length: 4 }, () => walletWith('10000')));
    const n = 120;
    const plan = (i: number) => {
      const from = wallets[i % 4] as WalletView;
      const to = wallets[(i + 1) % 4] as WalletView;
      return { fromWalletId: from.id, toWalletId: to.id, amount: String(1 + (i % 5)) };
    };
    // Instance one sends keys 0..n-1, instance two n-1..0, and both send the reverse transfers unkeyed.
    const sent: Promise<unknown>[] = [];
    for (let i = 0; i < n; i++) {
      const j = n - 1 - i;
      sent.push(a.transfer(plan(i), { idempotencyKey: `gcn-k-${i}` }));
      sent.push(b.transfer(plan(j), { idempotencyKey: `gcn-k-${j}` }));
      const back = plan(i);
      sent.push((i % 2 === 0 ? a : b).transfer({ fromWalletId: back.toWalletId, toWalletId: back.fromWalletId, amount: '1' }));
    }
    const results = await Promise.allSettled(sent);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const keyed = results.filter((_, i) => i % 3 !== 2) as PromiseFulfilledResult<{ transaction: { id: string } }>[];
    const executed = keyed.filter((r) => !wasReplayed(r.value));
    expect(executed).toHaveLength(n);
    const total = (await Promise.all(wallets.map((w) => a.getWallet({ walletId: w.id })))).reduce((s, w) => s + Number(w.balance), 0);
    expect(total).toBe(40000);
    let rows = 0;
    for (const w of wallets) rows += (await a.listTransactions({ walletId: w.id, limit: 200 })).items.length;
    // Each wallet's opening deposit, and two rows per transfer executed: n keyed, n unkeyed.
    expect(rows).toBe(4 + 2 * (2 * n));
    expect((await a.reconcile()).problems).toEqual([]);
  });
  it('fails a unit that locks outside its plan, alone: there is no other road; its key is free again and its neighbour commits', async () => {
    const x = await walletWith('10');
    const y = await walletWith('0');
    const other = await walletWith('0');
    const request = { scope: '', key: 'gcn-outside', fingerprint: 'outside', now: new Date() };
    let runs = 0;
    const unit = async (uow: UnitOfWork) => {
      runs++;
      const claim = await uow.claimIdempotencyKey(request);
      if (claim.status === 'replay') return 'replayed';
      const locked = await uow.lockWallets([x.id, y.id]);
      const value = `locked ${locked.size}`;
      uow.completeIdempotencyKey(value);
      return value;
    };
    await new Promise((r) => setImmediate(r));
    const first = a.deposit({ walletId: other.id, amount: '1' });
    const outside = settle(one.transaction(unit, { wallets: [x.id], pointAccounts: [], idempotency: request }));
    const neighbour = a.deposit({ walletId: x.id, amount: '5' });
    await first;
    expect(await Promise.all([outside, neighbour.then((r) => r.wallet.balance)])).toEqual(['INTERNAL_ERROR', '15']);
    expect(runs).toBe(1);
    const rows = await one.driver.query('SELECT response FROM idempotency_keys WHERE key = $1', ['gcn-outside']);
    expect(rows).toEqual([]);
    // Planned right, the same key runs anew.
    expect(await one.transaction(unit, { wallets: [x.id, y.id], pointAccounts: [], idempotency: request })).toBe('locked 2');
    expect((await a.reconcile()).problems).toEqual([]);
  });
});
