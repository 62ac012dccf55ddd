import pg from 'pg';

/** The PostgreSQL server the suite may create databases on; the suite is skipped without it. */
export const adminUrl = process.env.WALLET_TEST_DATABASE_URL;

if (!adminUrl) {
  console.log('[wallet-pg] PostgreSQL suite skipped: WALLET_TEST_DATABASE_URL is not set (bash .ci/run sets it up).');
}

/**
 * A fresh, empty database for one test file, dropped again by `drop()`. Each file gets its own so
 * that files can run in parallel and nothing one leaves behind can make another pass.
 */
export async function freshDatabase(label: string): Promise<{ url: string; drop: () => Promise<void> }> {
  if (!adminUrl) throw new Error('WALLET_TEST_DATABASE_URL is not set');
  const name = `wallet_test_${label}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
