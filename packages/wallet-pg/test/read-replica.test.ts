import { WalletService } from '@goodgo/wallet-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodePostgresStore } from '../src/node-postgres/index.js';
import type { SqlWalletStore } from '../src/sql-store.js';
import { adminUrl } from './support/postgres.js';
import { replicaUnavailable, startReplica, type Replica } from './support/replica.js';

const unavailable = replicaUnavailable();
if (unavailable) console.log(`[wallet-pg] read replica test skipped: ${unavailable}`);

/**
 * With a read replica, the reads of the books (history, balance at an instant, statement, admin
 * search) are answered by the standby and everything else by the primary. Shown on a real
 * streaming replica: with the standby's replay paused, a payment committed on the primary is in
 * the wallet (primary) and not yet in the books (standby); once replay resumes, it is in both.
 */
describe.runIf(!unavailable)('a store with a read replica (a real hot standby)', () => {
  let replica: Replica | undefined;
  let store: SqlWalletStore;
  let service: WalletService;

  beforeAll(async () => {
    replica = await startReplica(adminUrl);
    console.log(`[wallet-pg] read replica test: a primary and a standby of its own in a temporary directory, because ${replica.note}`);
    store = await createNodePostgresStore({ connectionString: replica.primaryUrl, readConnectionString: replica.standbyUrl, max: 2 });
    service = new WalletService({ store });
  }, 120_000);
  afterAll(async () => {
    await store?.close();
    await replica?.stop();
  }, 60_000);

  it('reads history, balances at an instant, statements and the search from the standby; commands and wallets from the primary', async () => {
    const r = replica as Replica;
    const userId = 'replica-user';
    const wallet = await service.createWallet({ userId });
    await service.deposit({ walletId: wallet.id, amount: '1000', reference: 'top-up' });
    await r.caughtUp();
    const at = new Date();
    const from = new Date(at.getTime() - 3_600_000);
    expect((await service.listTransactions({ walletId: wallet.id })).items.map((t) => t.amount)).toEqual(['1000']);

    await r.pauseReplay();
    try {
      const paid = await service.withdraw({ walletId: wallet.id, amount: '300', reference: 'order-1' });
      expect(paid.wallet.balance).toBe('700');
      const later = await service.createWallet({ userId, currency: 'USD' });
      // The primary has both; the paused standby has neither.
      expect((await service.getWallet({ walletId: wallet.id })).balance).toBe('700');
      expect((await service.listTransactions({ walletId: wallet.id })).items.map((t) => t.amount)).toEqual(['1000']);
      expect((await service.listTransactions({ walletId: wallet.id, reference: 'order-1' })).items).toEqual([]);
      const now = new Date(Date.now() + 1);
      await new Promise((resolve) => setTimeout(resolve, 2));
      expect((await service.getBalanceAt({ walletId: wallet.id, at: now })).balance).toBe('1000');
      expect(await service.getStatement({ walletId: wallet.id, from, to: now })).toMatchObject({ closingBalance: '1000', count: 1 });
      expect((await service.searchWallets({ userId })).items.map((w) => w.id)).toEqual([wallet.id]);
      expect(later.currency).toBe('USD');
    } finally {
      await r.resumeReplay();
    }

    await r.caughtUp();
    expect((await service.listTransactions({ walletId: wallet.id })).items.map((t) => t.amount)).toEqual(['300', '1000']);
    expect((await service.listTransactions({ walletId: wallet.id, reference: 'order-1' })).items).toHaveLength(1);
    const end = new Date(Date.now() + 1);
    await new Promise((resolve) => setTimeout(resolve, 2));
    expect((await service.getBalanceAt({ walletId: wallet.id, at: end })).balance).toBe('700');
    expect(await service.getStatement({ walletId: wallet.id, from, to: end })).toMatchObject({ openingBalance: '0', closingBalance: '700', count: 2 });
    expect((await service.searchWallets({ userId })).items).toHaveLength(2);
  }, 60_000);
});
