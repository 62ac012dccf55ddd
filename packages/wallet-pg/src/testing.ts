/**
 * Helpers for test suites and benchmarks that need a PostgreSQL database of their own.
 *
 * @example
 * ```ts
 * import { freshDatabase } from '@goodgo/wallet-pg/testing';
 * const db = await freshDatabase(process.env.WALLET_TEST_DATABASE_URL!, 'races');
 * // … createNodePostgresStore({ connectionString: db.url }) … then:
 * await db.drop();
 * ```
 */
import pg from 'pg';

export interface FreshDatabase {
  /** The new database's connection string. */
  url: string;
  /** Drops it, closing whatever is still connected to it. */
  drop(): Promise<void>;
}

async function onAdmin(adminUrl: string, sql: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/**
 * Creates an empty database beside the one `adminUrl` names. Each test file gets its own, so files
 * can run in parallel and nothing one leaves behind can make another pass.
 */
export async function freshDatabase(adminUrl: string, label: string): Promise<FreshDatabase> {
  const name = `wallet_${label}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  await onAdmin(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => onAdmin(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

export { findPgBouncer, startPgBouncer, type PgBouncer } from './testing-pgbouncer.js';
export { tcpProxy, tcpProxyFor, type TcpProxy, type ProxiedDatabase } from './testing-tcp-proxy.js';
