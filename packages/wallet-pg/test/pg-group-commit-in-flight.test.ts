import { WalletService, type WalletView } from '@goodgo/wallet-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodePostgresStore } from '../src/node-postgres/index.js';
import type { SqlWalletStore } from '../src/sql-store.js';
import { adminUrl, freshDatabase } from './support/postgres.js';

describe.runIf(adminUrl)('two batches in flight on one pool (PostgreSQL, the default)', () => {
  let store: SqlWalletStore;
  let service: WalletService;
  let drop: () => Promise<void>;
  const batches: number[] = [];
  beforeAll(async () => {
    const db = await freshDatabase('gc_in_flight');
    drop = db.drop;
    store = await createNodePostgresStore({ connectionString: db.url, max: 8, onBatch: (n) => batches.push(n) });
    service = new WalletService({ store });
  });
  afterAll(async () => {
    await store.close();
    await drop();
  });

  it('keeps a queue whose commands share their wallets in one batch: two batches would only wait for each other', async () => {
    const wallets: WalletView[] = [];
    for (let i = 0; i < 6; i++) {
      const w = await service.createWallet({ userId: `in-flight-${i}` });
      await service.deposit({ walletId: w.id, amount: '1000' });
      wallets.push(w);
    }
    const expected = new Map(wallets.map((w) => [w.id, 1000]));
    // One turn of the event loop: the set-up's last command has fully left its slot.
    await new Promise((resolve) => setImmediate(resolve));
    batches.length = 0;
    // The opener takes a slot; the 60 queued behind it lock the same six wallets in both
    // directions: split over two slots, one batch would only wait for the other's row locks.
    const opener = service.deposit({ walletId: wallets[0]!.id, amount: '1' });
    expected.set(wallets[0]!.id, 1001);
    const burst = Array.from({ length: 60 }, (_, i) => {
      const from = wallets[i % 6]!;
      const to = wallets[(i * 5 + 1) % 6 === i % 6 ? (i + 1) % 6 : (i * 5 + 1) % 6]!;
      const amount = 1 + (i % 7);
      expected.set(from.id, expected.get(from.id)! - amount);
      expected.set(to.id, expected.get(to.id)! + amount);
      return service.transfer({ fromWalletId: from.id, toWalletId: to.id, amount: String(amount) });
    });
    await opener;
    const results = await Promise.allSettled(burst);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(batches.slice(0, 2)).toEqual([1, 60]);
    for (const w of wallets) expect((await service.getWallet({ walletId: w.id })).balance).toBe(String(expected.get(w.id)));
    const report = await service.reconcile();
    expect(report.problems).toEqual([]);
  });

  it('splits a queue of commands on rows of their own over both slots, and batches in flight together share no row', async () => {
    const pairs: [WalletView, WalletView][] = [];
    for (let i = 0; i < 60; i++) {
      const from = await service.createWallet({ userId: `in-flight-a-${i}` });
      await service.deposit({ walletId: from.id, amount: '100' });
      pairs.push([from, await service.createWallet({ userId: `in-flight-b-${i}` })]);
    }
    await new Promise((resolve) => setImmediate(resolve));
    batches.length = 0;
    const opener = service.deposit({ walletId: pairs[0]![0].id, amount: '1' });
    const burst = pairs.map(([from, to], i) => service.transfer({ fromWalletId: from.id, toWalletId: to.id, amount: String(1 + (i % 7)) }));
    await opener;
    const results = await Promise.allSettled(burst);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(batches.slice(0, 3)).toEqual([1, 30, 30]);
    for (const [i, [from, to]] of pairs.entries()) {
      expect((await service.getWallet({ walletId: from.id })).balance).toBe(String((i === 0 ? 101 : 100) - (1 + (i % 7))));
      expect((await service.getWallet({ walletId: to.id })).balance).toBe(String(1 + (i % 7)));
    }
    expect((await service.reconcile()).problems).toEqual([]);
  });
});
