import { WalletService } from '@goodgo/wallet-core';
import { createNodePostgresStore } from '@goodgo/wallet-pg/node-postgres';
import { freshDatabase, type FreshDatabase } from '@goodgo/wallet-pg/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { createAuthenticator } from '../src/auth.js';
import { SECRET } from './support/harness.js';

const adminUrl = process.env.WALLET_TEST_DATABASE_URL;
if (!adminUrl) console.log('[wallet-server] readiness-timeout case skipped: WALLET_TEST_DATABASE_URL is not set.');

/**
 * A database that does not answer in time, made real: a pool of one connection held by a
 * transaction that does not end. Readiness must say 503 within its timeout, not hang.
 */
describe.runIf(adminUrl)('readiness when PostgreSQL does not answer in time', () => {
  let db: FreshDatabase;
  let release: () => void = () => undefined;
  let held: Promise<unknown> = Promise.resolve();
  let store: Awaited<ReturnType<typeof createNodePostgresStore>>;
  beforeAll(async () => {
    db = await freshDatabase(adminUrl as string, 'ready');
    store = await createNodePostgresStore({ connectionString: db.url, max: 1 });
  });
  afterAll(async () => {
    release();
    await held;
    await store.close();
    await db.drop();
  });

  it('answers /health/ready and /health with 503 after the timeout while /health/live stays 200', async () => {
    const app = createApp({ service: new WalletService({ store }), store, auth: createAuthenticator({ kind: 'secret', secret: SECRET }), readyTimeoutMs: 300 });
    expect((await app.request('/health/ready')).status).toBe(200);
    held = store.driver.transaction(() => new Promise<void>((resolve) => (release = resolve)));
    expect((await app.request('/health/ready')).status).toBe(503);
    const full = await app.request('/health');
    expect(full.status).toBe(503);
    expect(await full.json()).toMatchObject({ status: 'unavailable', checks: { database: { status: 'down' } } });
    expect((await app.request('/health/live')).status).toBe(200);
    release();
    await held;
    expect((await app.request('/health/ready')).status).toBe(200);
  });
});
