import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { WalletService } from '@goodgo/wallet-core';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { Row } from '../src/driver.js';
import { migrate } from '../src/migrate.js';
import { createNodePostgresStore } from '../src/node-postgres/index.js';
import { createPgliteStore } from '../src/pglite/index.js';
import type { SqlWalletStore } from '../src/sql-store.js';
import { adminUrl, freshDatabase } from './support/postgres.js';

const OUR_TABLES = [
  'allowances',
  'holds',
  'idempotency_keys',
  'ledger_chain_start',
  'ledger_checkpoints',
  'outbox_dead_letters',
  'outbox_events',
  'outbox_sink_cursors',
  'point_accounts',
  'point_allocations',
  'point_lots',
  'point_transactions',
  'wallet_transactions',
  'wallets',
];
/** The tables release 0.1 had. */
const RELEASE_0_1_TABLES = ['idempotency_keys', 'outbox_events', 'point_accounts', 'point_lots', 'point_transactions', 'wallet_transactions', 'wallets'];
/** The migrations exactly as release 0.1 shipped them (tables in `public`, record in `drizzle`). */
const RELEASE_0_1 = join(import.meta.dirname, 'fixtures', 'release-0.1');

/** A host application's database: its own connection(s), search path and drizzle migrations. */
interface Host {
  /** drizzle's migrator as the host runs it: default record `drizzle.__drizzle_migrations`, the host's search path. */
  migrate(folder: string): Promise<void>;
  query(sql: string): Promise<Row[]>;
  /** Our store on the host's own pool or instance. */
  store(options?: { schema?: string; migrate?: boolean }): Promise<SqlWalletStore>;
  /** Our store on a pool of its own (PostgreSQL only). */
  ownStore?(): Promise<SqlWalletStore>;
  close(): Promise<void>;
}

async function pgliteHost(): Promise<Host> {
  const db = await PGlite.create();
  return {
    migrate: (folder) => migratePglite(drizzlePglite({ client: db }), { migrationsFolder: folder }),
    query: async (sql) => (await db.query<Row>(sql)).rows,
    store: (options = {}) => createPgliteStore({ db, ...options }),
    close: () => db.close(),
  };
}

async function postgresHost(): Promise<Host> {
  const fresh = await freshDatabase('isolation');
  const pool = new pg.Pool({ connectionString: fresh.url, max: 4 });
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return {
    migrate: (folder) => migratePg(drizzlePg({ client: pool }), { migrationsFolder: folder }),
    query: async (sql) => (await pool.query<Row>(sql)).rows,
    store: (options = {}) => createNodePostgresStore({ pool, ...options }),
    ownStore: () => createNodePostgresStore({ connectionString: fresh.url, max: 2 }),
    close: async () => {
      await pool.end();
      await fresh.drop();
    },
  };
}

interface HostMigration {
  tag: string;
  when: number;
  sql: string;
}
// Ours were generated in November 2026 (1795588108314 …): one of the host's is older, two newer.
const HOST_OLDER: HostMigration = {
  tag: '0000_host_tables',
  when: 1700000000000,
  // The host has a table called `wallets` of its own, in `public`.
  sql: 'CREATE TABLE "wallets" ("id" serial PRIMARY KEY, "owner" text NOT NULL);\n--> statement-breakpoint\nCREATE TABLE "orders" ("id" serial PRIMARY KEY, "total" integer NOT NULL);',
};
const HOST_NEWER: HostMigration = { tag: '0001_host_note', when: 1900000000000, sql: 'ALTER TABLE "orders" ADD COLUMN "note" text;' };
const HOST_LATER: HostMigration = { tag: '0002_host_invoices', when: 1900000001000, sql: 'CREATE TABLE "invoices" ("id" serial PRIMARY KEY);' };

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function hostFolder(migrations: HostMigration[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'host-migrations-'));
  dirs.push(dir);
  await mkdir(join(dir, 'meta'));
  for (const m of migrations) await writeFile(join(dir, `${m.tag}.sql`), m.sql);
  const entries = migrations.map((m, idx) => ({ idx, version: '7', when: m.when, tag: m.tag, breakpoints: true }));
  await writeFile(join(dir, 'meta', '_journal.json'), JSON.stringify({ version: '7', dialect: 'postgresql', entries }));
  return dir;
}

async function tablesIn(host: Host, schema: string): Promise<string[]> {
  const rows = await host.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = '${schema}' ORDER BY table_name`);
  return rows.map((r) => String(r.table_name));
}

async function hostRecord(host: Host): Promise<string[]> {
  return (await host.query('SELECT created_at::text AS at FROM drizzle.__drizzle_migrations ORDER BY id')).map((r) => String(r.at));
}

async function useWallet(store: SqlWalletStore, userId: string): Promise<string> {
  const service = new WalletService({ store });
  const wallet = await service.createWallet({ userId });
  await service.deposit({ walletId: wallet.id, amount: '125000' });
  await service.withdraw({ walletId: wallet.id, amount: '25000' });
  expect((await service.getWallet({ walletId: wallet.id })).balance).toBe('100000');
  return wallet.id;
}

const backends: [string, () => Promise<Host>, boolean][] = [
  ['PGlite', pgliteHost, true],
  ['PostgreSQL', postgresHost, adminUrl !== undefined],
];

describe.each(backends)('schema isolation on %s', (_name, open, available) => {
  it.runIf(available)('a host with its own drizzle migrations, older and newer than ours, applied first: both keep working', async () => {
    const host = await open();
    try {
      const searchPath = await host.query('SHOW search_path');
      await host.migrate(await hostFolder([HOST_OLDER, HOST_NEWER]));
      const store = await host.store();
      const walletId = await useWallet(store, 'host-first');
      // Every one of our tables is in `wallet`; the host's `wallets` is its own and untouched.
      expect(await tablesIn(host, 'wallet')).toEqual([...OUR_TABLES, '__drizzle_migrations'].sort());
      expect(await tablesIn(host, 'public')).toEqual(['orders', 'wallets']);
      await host.query(`INSERT INTO wallets (owner) VALUES ('host')`);
      expect(await host.query('SELECT owner FROM wallets')).toEqual([{ owner: 'host' }]);
      // The host's record holds only its own rows, so its next migration applies.
      expect(await hostRecord(host)).toEqual([String(HOST_OLDER.when), String(HOST_NEWER.when)]);
      await host.migrate(await hostFolder([HOST_OLDER, HOST_NEWER, HOST_LATER]));
      expect(await tablesIn(host, 'public')).toEqual(['invoices', 'orders', 'wallets']);
      if (host.ownStore) {
        // A pool of the store's own sees the same books.
        const own = await host.ownStore();
        expect((await new WalletService({ store: own }).getWallet({ walletId })).balance).toBe('100000');
        await own.close();
      }
      expect((await migrate(store.driver)).applied).toEqual([]);
      expect((await new WalletService({ store }).getWallet({ walletId })).balance).toBe('100000');
      // The host's connection still has the host's search path.
      expect(await host.query('SHOW search_path')).toEqual(searchPath);
      await store.close();
    } finally {
      await host.close();
    }
  });

  it.runIf(available)('a host whose older migration runs after ours still gets it applied', async () => {
    const host = await open();
    try {
      const store = await host.store();
      await useWallet(store, 'ours-first');
      await host.migrate(await hostFolder([HOST_OLDER, HOST_NEWER]));
      expect(await tablesIn(host, 'public')).toEqual(['orders', 'wallets']);
      expect(await hostRecord(host)).toEqual([String(HOST_OLDER.when), String(HOST_NEWER.when)]);
      await useWallet(store, 'ours-first-again');
      await store.close();
    } finally {
      await host.close();
    }
  });

  it.runIf(available)('moves a database laid out by release 0.1 (in public) into the schema, losing nothing', async () => {
    const host = await open();
    try {
      // A host migration older than ours, in the shared record, as a monolith would have it.
      await host.migrate(await hostFolder([{ ...HOST_OLDER, sql: 'CREATE TABLE "orders" ("id" serial PRIMARY KEY);' }]));
      await host.migrate(RELEASE_0_1);
      expect(await tablesIn(host, 'public')).toEqual([...RELEASE_0_1_TABLES, 'orders'].sort());
      // Rows as release 0.1's store wrote them into `public` (this store writes columns 0.1 lacks).
      const a = { id: '10000000-0000-4000-8000-00000000000a' };
      const b = { id: '10000000-0000-4000-8000-00000000000b' };
      const deposited = { transaction: { id: '20000000-0000-4000-8000-00000000000a' } };
      const fingerprint = JSON.stringify({ asUser: null, command: 'deposit', input: { amount: '70000', walletId: a.id } });
      const response = JSON.stringify({
        wallet: { id: a.id, balance: '70000' },
        transaction: { id: deposited.transaction.id, type: 'deposit', amount: '70000' },
      });
      const rows0_1 = `
        INSERT INTO public.wallets (id, user_id, currency, balance, status, version, created_at, updated_at) VALUES
          ('${a.id}', 'upgrade-a', 'VND', 50000, 'active', 3, now(), now()), ('${b.id}', 'upgrade-b', 'VND', 20000, 'active', 2, now(), now());
        INSERT INTO public.wallet_transactions (id, wallet_id, type, amount, balance_after, transfer_id, created_at) VALUES
          ('${deposited.transaction.id}', '${a.id}', 'deposit', 70000, 70000, NULL, now()),
          ('20000000-0000-4000-8000-00000000000b', '${a.id}', 'transfer_out', 20000, 50000, '30000000-0000-4000-8000-00000000000a', now()),
          ('20000000-0000-4000-8000-00000000000c', '${b.id}', 'transfer_in', 20000, 20000, '30000000-0000-4000-8000-00000000000a', now());
        INSERT INTO public.idempotency_keys (scope, key, fingerprint, response, created_at) VALUES ('', 'slip-9', '${fingerprint}', '${response}', now());
        INSERT INTO public.point_accounts (id, user_id, total_points, available_points, pending_points, version, created_at, updated_at) VALUES
          ('40000000-0000-4000-8000-00000000000a', 'upgrade-a', 7, 7, 0, 2, now(), now());
        INSERT INTO public.point_lots (id, account_id, points, remaining, status, source, created_at) VALUES
          ('50000000-0000-4000-8000-00000000000a', '40000000-0000-4000-8000-00000000000a', 7, 7, 'active', 'order:1', now());
        INSERT INTO public.point_transactions (id, account_id, type, points, balance_after, source, created_at) VALUES
          ('50000000-0000-4000-8000-00000000000a', '40000000-0000-4000-8000-00000000000a', 'earn', 7, 7, 'order:1', now());
        INSERT INTO public.outbox_events (id, type, aggregate_type, aggregate_id, payload, occurred_at) VALUES
          ('60000000-0000-4000-8000-00000000000a', 'WalletCreated', 'wallet', '${a.id}', '{}', now())`;
      for (const statement of rows0_1.split(';\n')) await host.query(statement);
      const [events] = await host.query('SELECT count(*)::int AS n FROM public.outbox_events');

      const store = await host.store();
      const after = new WalletService({ store });
      expect((await after.getWallet({ walletId: a.id })).balance).toBe('50000');
      expect((await after.getWallet({ walletId: b.id })).balance).toBe('20000');
      expect((await after.listTransactions({ walletId: a.id })).items.map((t) => t.type)).toEqual(['transfer_out', 'deposit']);
      expect((await after.getPointAccount({ userId: 'upgrade-a' })).availablePoints).toBe(7);
      // The idempotency key moved with its table: the replay answers the first result and changes nothing.
      const replay = await after.deposit({ walletId: a.id, amount: '70000' }, { idempotencyKey: 'slip-9' });
      expect(replay.transaction.id).toBe(deposited.transaction.id);
      expect((await after.getWallet({ walletId: a.id })).balance).toBe('50000');
      // The ledger keeps counting where it was, and stays append-only.
      await after.deposit({ walletId: a.id, amount: '1000' });
      expect((await after.listTransactions({ walletId: a.id })).items).toHaveLength(3);
      await expect(host.query('UPDATE wallet.wallet_transactions SET amount = 1')).rejects.toThrow(/append-only/);
      expect((await host.query('SELECT count(*)::int AS n FROM wallet.outbox_events'))[0]).toEqual({ n: Number(events?.n) + 1 });

      expect(await tablesIn(host, 'public')).toEqual(['orders']);
      expect(await tablesIn(host, 'wallet')).toEqual([...OUR_TABLES, '__drizzle_migrations'].sort());
      expect(await hostRecord(host)).toEqual([String(HOST_OLDER.when)]);
      const ours = await host.query('SELECT count(*)::int AS n FROM wallet.__drizzle_migrations');
      expect(ours[0]?.n).toBeGreaterThanOrEqual(4);
      expect(await migrate(store.driver)).toEqual({ applied: [], adopted: false });
      await store.close();
    } finally {
      await host.close();
    }
  });
});

describe('schema names', () => {
  it('refuses a schema name that would need quoting', async () => {
    await expect(createPgliteStore({ schema: 'Wallet"; DROP' })).rejects.toThrow(/invalid schema name/);
    await expect(createPgliteStore({ schema: 'pg_wallet' })).rejects.toThrow(/invalid schema name/);
  });

  it('keeps two stores in two schemas of one database apart', async () => {
    const db = await PGlite.create();
    const left = await createPgliteStore({ db, schema: 'shop_a' });
    const right = await createPgliteStore({ db, schema: 'shop_b' });
    const id = await useWallet(left, 'same-user');
    expect(await new WalletService({ store: right }).listWallets({ userId: 'same-user' })).toEqual([]);
    await useWallet(right, 'same-user');
    expect((await new WalletService({ store: left }).getWallet({ walletId: id })).balance).toBe('100000');
    await db.close();
  });
});
