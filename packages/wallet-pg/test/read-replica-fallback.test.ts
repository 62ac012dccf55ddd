import { WalletService } from '@goodgo/wallet-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodePostgresStore } from '../src/node-postgres/index.js';
import type { SqlWalletStore } from '../src/sql-store.js';
import { tcpProxyFor, type ProxiedDatabase } from '../src/testing.js';
import { adminUrl, freshDatabase } from './support/postgres.js';

/**
 * The replica away while it is promoted in a failover, or its host gone: the reads of the books
 * fall back to the primary instead of failing. The "replica" here is the same database behind a
 * TCP proxy the test cuts (refusing, then never answering): what matters is what the store does
 * when its read pool cannot reach its node.
 */
describe.runIf(adminUrl)('the books read from the primary while the replica is away (PostgreSQL)', () => {
  let store: SqlWalletStore;
  let proxy: ProxiedDatabase;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const db = await freshDatabase('replica_fallback');
    drop = db.drop;
    proxy = await tcpProxyFor(db.url);
    store = await createNodePostgresStore({ connectionString: db.url, readConnectionString: proxy.url, max: 2, connectTimeoutMs: 500 });
  });
  afterAll(async () => {
    await store.close();
    await proxy.close();
    await drop();
  });

  it('answers history and a balance at an instant with the replica refusing, then unreachable, then back', async () => {
    const service = new WalletService({ store });
    const wallet = await service.createWallet({ userId: 'fallback-user' });
    await service.deposit({ walletId: wallet.id, amount: '1000', reference: 'top-up' });
    const at = new Date();
    const books = async () => {
      const history = await service.listTransactions({ walletId: wallet.id, limit: 10 });
      const balance = await service.getBalanceAt({ walletId: wallet.id, at: at.toISOString() });
      return { amounts: history.items.map((t) => t.amount), balance: balance.balance };
    };
    const expected = { amounts: ['1000'], balance: '1000' };
    expect(await books()).toEqual(expected);
    proxy.down();
    expect(await books()).toEqual(expected);
    proxy.blackhole();
    expect(await books()).toEqual(expected);
    proxy.up();
    await service.deposit({ walletId: wallet.id, amount: '1', reference: 'after' });
    expect((await books()).amounts).toEqual(['1', '1000']);
  });
});
