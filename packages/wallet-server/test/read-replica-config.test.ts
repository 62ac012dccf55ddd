import { WalletService, type WalletStore } from '@goodgo/wallet-core';
import { createNodePostgresStore } from '@goodgo/wallet-pg/node-postgres';
import { freshDatabase } from '@goodgo/wallet-pg/testing';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { openStore } from '../src/server.js';

const adminUrl = process.env.WALLET_TEST_DATABASE_URL;

describe('DATABASE_READ_URL', () => {
  it('is a PostgreSQL URL, and only beside DATABASE_URL', () => {
    const primary = 'postgres://wallet@db:5432/wallet';
    expect(loadConfig({ DATABASE_URL: primary, DATABASE_READ_URL: 'postgres://wallet@replica:5432/wallet' }).DATABASE_READ_URL).toBe(
      'postgres://wallet@replica:5432/wallet',
    );
    expect(loadConfig({ DATABASE_URL: primary }).DATABASE_READ_URL).toBeUndefined();
    expect(() => loadConfig({ DATABASE_READ_URL: 'postgres://wallet@replica:5432/wallet' })).toThrow(/DATABASE_READ_URL needs DATABASE_URL/);
    expect(() => loadConfig({ DATABASE_URL: primary, DATABASE_READ_URL: 'mysql://replica/wallet' })).toThrow(/DATABASE_READ_URL/);
  });

  // The real replica test (a hot standby, replay paused and resumed) is the store's, in wallet-pg;
  // here two databases stand for primary and replica, to show the server wires the second one in:
  // the wallet is read from the primary, the books from the other.
  it.runIf(adminUrl)('sends the reads of the books to the database it names, and everything else to DATABASE_URL', async () => {
    const primary = await freshDatabase(adminUrl as string, 'read_primary');
    const other = await freshDatabase(adminUrl as string, 'read_other');
    let store: WalletStore | undefined;
    try {
      // The stand-in replica has the schema and none of the rows.
      await (await createNodePostgresStore({ connectionString: other.url, max: 1 })).close();
      const config = loadConfig({ DATABASE_URL: primary.url, DATABASE_READ_URL: other.url, DATABASE_POOL_MAX: '2' });
      store = await openStore(config, pino({ level: 'silent' }));
      const service = new WalletService({ store });
      const wallet = await service.createWallet({ userId: 'read-url-user' });
      await service.deposit({ walletId: wallet.id, amount: '500' });
      expect((await service.getWallet({ walletId: wallet.id })).balance).toBe('500');
      expect((await service.listTransactions({ walletId: wallet.id })).items).toEqual([]);
      expect((await service.getBalanceAt({ walletId: wallet.id, at: new Date() })).balance).toBe('0');
      expect((await service.searchWallets({ userId: 'read-url-user' })).items).toEqual([]);
    } finally {
      await store?.close();
      await primary.drop();
      await other.drop();
    }
  });
});
