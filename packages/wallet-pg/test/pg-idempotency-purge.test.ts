import { WalletService } from '@goodgo/wallet-core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodePostgresStore } from '../src/node-postgres/index.js';
import type { SqlWalletStore } from '../src/sql-store.js';
import { adminUrl, freshDatabase } from './support/postgres.js';

describe.runIf(adminUrl)('purging idempotency keys on PostgreSQL', () => {
  let store: SqlWalletStore;
  let drop: () => Promise<void>;
  let operator: pg.Client;
  beforeAll(async () => {
    const db = await freshDatabase('purge');
    drop = db.drop;
    store = await createNodePostgresStore({ connectionString: db.url, max: 2 });
    operator = new pg.Client({ connectionString: db.url });
    await operator.connect();
    await operator.query('SET search_path = wallet, public');
  });
  afterAll(async () => {
    await operator.end();
    await store.close();
    await drop();
  });

  it('skips a key that a running transaction holds instead of waiting for it', async () => {
    const past = new WalletService({ store, clock: () => new Date('2001-01-01T00:00:00Z') });
    const wallet = await past.createWallet({ userId: 'purge-pg' });
    for (let i = 0; i < 3; i++) await past.deposit({ walletId: wallet.id, amount: '1' }, { idempotencyKey: `held-${i}` });
    await operator.query('BEGIN');
    await operator.query("SELECT 1 FROM idempotency_keys WHERE key = 'held-0' FOR UPDATE");
    try {
      expect(await store.purgeIdempotencyKeys(new Date('2001-01-02T00:00:00Z'), 10)).toBe(2);
    } finally {
      await operator.query('ROLLBACK');
    }
    expect(await store.purgeIdempotencyKeys(new Date('2001-01-02T00:00:00Z'), 10)).toBe(1);
  });
});
