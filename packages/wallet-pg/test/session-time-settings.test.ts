import { PGlite } from '@electric-sql/pglite';
import { WalletService, type WalletStore } from '@goodgo/wallet-core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodePostgresStore } from '../src/node-postgres/index.js';
import { createPgliteStore } from '../src/pglite/index.js';
import { adminUrl, freshDatabase } from './support/postgres.js';

/**
 * PostgreSQL writes a timestamp in the session's time zone and date style, and the host's session
 * may choose either: a zone's local mean time has an offset with seconds (Asia/Ho_Chi_Minh before
 * 1906: +07:06:30; America/New_York before 1883: -04:56:02), which `Date` does not read, and
 * DateStyle `SQL, DMY` writes 8 December as `08/12/2026`, which `Date` reads as 12 August. Every
 * read, as JSON (the batched reads) or as a row (a hold, the writer's locked read), must still
 * answer the instant stored, and a write must still go through.
 */
const LONG_AGO = '1800-01-01T00:00:00.000Z';

/** An instant within the hold limit whose day of the month could be taken for its month (1–12, not the month itself). */
function ambiguousDay(): string {
  for (let days = 2; ; days++) {
    const d = new Date(Date.now() + days * 86_400_000);
    if (d.getUTCDate() <= 12 && d.getUTCDate() !== d.getUTCMonth() + 1) {
      d.setUTCHours(5, 6, 7, 89);
      return d.toISOString();
    }
  }
}

interface Setup {
  store: WalletStore;
  /** Runs SQL on the store's database, outside the store. */
  sql(text: string): Promise<void>;
  close(): Promise<void>;
}

/** `skip` for PostgreSQL without WALLET_TEST_DATABASE_URL (support/postgres.ts prints why). */
function cases(name: string, session: string, setup: (session: string) => Promise<Setup>, skip = false) {
  describe.skipIf(skip)(`timestamps under ${session} (${name})`, () => {
    let s: Setup;
    let service: WalletService;
    beforeAll(async () => {
      s = await setup(session);
      service = new WalletService({ store: s.store });
    });
    afterAll(() => s.close());

    it('reads a wallet created in local mean time as the instant stored, by id, by user and in the summary, and writes to it', async () => {
      const w = await service.createWallet({ userId: 'lmt-owner' });
      await s.sql(`UPDATE wallet.wallets SET created_at = '${LONG_AGO}' WHERE id = '${w.id}'`);
      const byId = await service.getWallet({ walletId: w.id });
      const [byUser] = await service.listWallets({ userId: 'lmt-owner' });
      const summary = await service.getBalanceSummary({ userId: 'lmt-owner' });
      expect([byId.createdAt, byUser?.createdAt, summary.wallets[0]?.createdAt]).toEqual([LONG_AGO, LONG_AGO, LONG_AGO]);
      const deposited = await service.deposit({ walletId: w.id, amount: '5' });
      expect(deposited.wallet.balance).toBe('5');
      expect((await service.getWallet({ walletId: w.id })).createdAt).toBe(LONG_AGO);
    });

    it('reads a hold with the expiry it was placed with, alone, in its page and in what its wallet holds', async () => {
      const w = await service.createWallet({ userId: 'hold-owner' });
      await service.deposit({ walletId: w.id, amount: '100' });
      const expiresAt = ambiguousDay();
      const hold = await service.placeHold({ walletId: w.id, amount: '30', expiresAt });
      expect(hold.expiresAt).toBe(expiresAt);
      expect((await service.getHold({ holdId: hold.id })).expiresAt).toBe(expiresAt);
      expect((await service.listHolds({ walletId: w.id })).items.map((h) => h.expiresAt)).toEqual([expiresAt]);
      expect((await service.getWallet({ walletId: w.id })).heldAmount).toBe('30');
      const captured = await service.captureHold({ holdId: hold.id, amount: '10' });
      expect(captured.wallet.balance).toBe('90');
    });
  });
}

/** A host's instance with its own session settings, shared with the store. */
const pglite = async (session: string): Promise<Setup> => {
  const db = await PGlite.create('memory://');
  await db.exec(session);
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
cases('PGlite', "SET TimeZone TO 'Asia/Ho_Chi_Minh'", pglite);
cases('PGlite', "SET TimeZone TO 'America/New_York'", pglite);
cases('PGlite', "SET DateStyle TO 'SQL, DMY'", pglite);

const postgres = async (session: string): Promise<Setup> => {
  const fresh = await freshDatabase('session_time');
  const m = /^SET (\w+) TO '(.*)'$/.exec(session);
  if (!m?.[1] || !m[2]) throw new Error(`not a SET: ${session}`);
  const url = new URL(fresh.url);
  url.searchParams.set('options', `-c ${m[1]}=${m[2].replace(/ /g, '')}`);
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
};
cases('PostgreSQL', "SET TimeZone TO 'Asia/Ho_Chi_Minh'", postgres, !adminUrl);
cases('PostgreSQL', "SET DateStyle TO 'SQL, DMY'", postgres, !adminUrl);
