import { WalletService } from '@goodgo/wallet-core';
import { createNodePostgresStore } from '../../src/node-postgres/index.js';
import { freshDatabase as create, type FreshDatabase } from '../../src/testing.js';

/** The PostgreSQL server the suite may create databases on; the suite is skipped without it. */
export const adminUrl = process.env.WALLET_TEST_DATABASE_URL;

if (!adminUrl) {
  console.log('[wallet-pg] PostgreSQL suite skipped: WALLET_TEST_DATABASE_URL is not set (bash .ci/run sets it up).');
}

export function freshDatabase(label: string): Promise<FreshDatabase> {
  if (!adminUrl) throw new Error('WALLET_TEST_DATABASE_URL is not set');
  return create(adminUrl, `test_${label}`);
}

/**
 * A store for the race suites: a pool of 20 on a fresh database, counting the statements it sends
 * (every flush shape under one name). Its lock timeout is long because a thousand commands queue on a
 * few rows: on a loaded machine a queue can outlast the production timeout and turn an expected
 * domain error into a 503. The timeout's own behaviour is tested in pg-timeouts.test.ts.
 */
export async function raceStore(label: string) {
  const db = await freshDatabase(label);
  const statements = new Map<string, number>();
  const store = await createNodePostgresStore({
    connectionString: db.url,
    max: 20,
    lockTimeoutMs: 60_000,
    onStatement: (name) => {
      const key = name.startsWith('wallet_flush_') ? 'wallet_flush' : name;
      statements.set(key, (statements.get(key) ?? 0) + 1);
    },
  });
  const close = async () => {
    await store.close();
    await db.drop();
  };
  return { store, service: new WalletService({ store }), statements, close };
}
