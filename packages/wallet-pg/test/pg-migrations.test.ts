import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../src/migrate.js';
import { NodePostgresDriver } from '../src/node-postgres/driver.js';
import { adminUrl, freshDatabase } from './support/postgres.js';

const run = promisify(execFile);
const journal = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'drizzle', 'meta', '_journal.json'), 'utf8')) as { entries: { tag: string }[] };
const shipped = journal.entries.map((e) => e.tag);

describe.runIf(adminUrl)('migrations on PostgreSQL', () => {
  let url: string;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    ({ url, drop } = await freshDatabase('migrations'));
  });
  afterAll(async () => drop());

  async function withDriver<T>(fn: (d: NodePostgresDriver) => Promise<T>): Promise<T> {
    const driver = new NodePostgresDriver(new pg.Pool({ connectionString: url, max: 2 }), true);
    try {
      return await fn(driver);
    } finally {
      await driver.close();
    }
  }

  it('lets two processes migrate one fresh database at once: the schema is applied exactly once', async () => {
    // The built package, as another service process would load it.
    const script = `import('@goodgo/wallet-pg').then(async ({ migrate }) => {
      const { NodePostgresDriver } = await import('@goodgo/wallet-pg/node-postgres');
      const pg = (await import('pg')).default;
      const d = new NodePostgresDriver(new pg.Pool({ connectionString: process.env.URL, max: 1 }), true);
      const r = await migrate(d);
      await d.close();
      console.log(JSON.stringify(r.applied));
    })`;
    const env = { ...process.env, URL: url };
    const outputs = await Promise.all([1, 2].map(() => run(process.execPath, ['-e', script], { env, cwd: import.meta.dirname })));
    const applied = outputs.map((o) => JSON.parse(o.stdout.trim()) as string[]);
    expect(shipped.length).toBeGreaterThanOrEqual(4);
    expect(applied.flat().sort()).toEqual([...shipped].sort());
    expect(applied.some((a) => a.length === 0)).toBe(true);
  });

  it('does nothing when run again', async () => {
    const result = await withDriver((d) => migrate(d));
    expect(result.applied).toEqual([]);
    const rows = await withDriver((d) => d.query('SELECT count(*)::int AS n FROM wallet.__drizzle_migrations'));
    expect(rows[0]?.n).toBe(shipped.length);
  });

  it('creates every table with its constraints in the schema, and nothing anywhere else', async () => {
    const tables = await withDriver((d) => d.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'wallet' ORDER BY table_name`));
    expect(tables.map((t) => t.table_name)).toEqual([
      '__drizzle_migrations',
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
    ]);
    const [numeric] = await withDriver((d) =>
      d.query(`SELECT data_type FROM information_schema.columns WHERE table_schema = 'wallet' AND table_name = 'wallets' AND column_name = 'balance'`),
    );
    expect(numeric?.data_type).toBe('numeric');
    // Functions, triggers, sequences and indexes too: the public and drizzle schemas stay empty.
    const elsewhere = await withDriver((d) =>
      d.query(`SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('public', 'drizzle')
               UNION ALL SELECT n.nspname, p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname IN ('public', 'drizzle')`),
    );
    expect(elsewhere).toEqual([]);
    const functions = await withDriver((d) =>
      d.query(`SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'wallet' ORDER BY 1`),
    );
    expect(functions.map((f) => f.proname)).toContain('wallet_ledger_append_only');
  });
});
