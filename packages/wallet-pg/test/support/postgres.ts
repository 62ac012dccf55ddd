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
