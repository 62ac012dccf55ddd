import { PGlite } from '@electric-sql/pglite';
import { WalletService, type WalletStore } from '@goodgo/wallet-core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodePostgresStore } from '../src/node-postgres/index.js';
import { createPgliteStore } from '../src/pglite/index.js';
import { adminUrl, freshDatabase } from './support/postgres.js';

/**
 * The batched reads arrive as JSON, whose timestamps PostgreSQL writes in the session's time zone.
 * A zone's local mean time has an offset with seconds (Asia/Ho_Chi_Minh before 1906: +07:06:30;
 * America/New_York before 1883: -04:56:02), which `Date` does not read: each read must still
 * answer the instant stored.
 */
const LONG_AGO = '1800-01-01T00:00:00.000Z';

interface Setup {
  store: WalletStore;
  /** Runs SQL on the store's database, outside the store. */
  sql(text: string): Promise<void>;
  close(): Promise<void>;
}

function cases(name: string, zone: string, setup: (zone: string) => Promise<Setup>) {
  describe(`JSON timestamps under ${zone} (${name})`, () => {
    let s: Setup;
    let service: WalletService;
    beforeAll(async () => {
      s = await setup(zone);
      service = new WalletService({ store: s.store });
    });
    afterAll(() => s.close());

    it('reads a wallet created in local mean time as the instant stored, by id, by user and in the summary', async () => {
      const w = await service.createWallet({ userId: 'lmt-owner' });
      await service.deposit({ walletId: w.id, amount: '5' });
      await s.sql(`UPDATE wallet.wallets SET created_at = '${LONG_AGO}' WHERE id = '${w.id}'`);
      const byId = await service.getWallet({ walletId: w.id });
      const [byUser] = await service.listWallets({ userId: 'lmt-owner' });
      const summary = await service.getBalanceSummary({ userId: 'lmt-owner' });
      expect([byId.createdAt, byUser?.createdAt, summary.wallets[0]?.createdAt]).toEqual([LONG_AGO, LONG_AGO, LONG_AGO]);
      expect(byId.balance).toBe('5');
    });

    it('reads a modern instant under the same zone unchanged', async () => {
      const w = await service.createWallet({ userId: 'modern-owner' });
      await s.sql(`UPDATE wallet.wallets SET created_at = '2026-12-07T21:00:00.123456Z' WHERE id = '${w.id}'`);
      expect((await service.getWallet({ walletId: w.id })).createdAt).toBe('2026-12-07T21:00:00.123Z');
    });
  });
}

const pglite = async (zone: string): Promise<Setup> => {
  const db = await PGlite.create('memory://');
  await db.exec(`SET TimeZone TO '${zone}'`);
  const store = await createPgliteStore({ db });
  return {
    store,
    sql: async (text) => void (await db.exec(text)),
    close: async () => {
      await store.close();
      await db.close();
    },
  };
};
cases('PGlite', 'Asia/Ho_Chi_Minh', pglite);
cases('PGlite', 'America/New_York', pglite);

if (adminUrl) {
  cases('PostgreSQL', 'Asia/Ho_Chi_Minh', async (zone) => {
    const fresh = await freshDatabase('json_timestamps');
    const url = new URL(fresh.url);
    url.searchParams.set('options', `-c TimeZone=${zone}`);
    const store = await createNodePostgresStore({ connectionString: url.toString(), max: 4 });
    const admin = new pg.Client({ connectionString: fresh.url });
    await admin.connect();
    return {
      store,
      sql: async (text) => void (await admin.query(text)),
      close: async () => {
        await store.close();
        await admin.end();
        await fresh.drop();
      },
    };
  });
}
