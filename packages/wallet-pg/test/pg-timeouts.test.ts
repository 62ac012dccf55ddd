import { WalletService } from '@goodgo/wallet-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodePostgresStore } from '../src/node-postgres/index.js';
import type { SqlWalletStore } from '../src/sql-store.js';
import { adminUrl, freshDatabase } from './support/postgres.js';

describe.runIf(adminUrl)('a row lock held too long (PostgreSQL)', () => {
  let store: SqlWalletStore;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const db = await freshDatabase('timeouts');
    drop = db.drop;
    store = await createNodePostgresStore({ connectionString: db.url, max: 4, lockTimeoutMs: 200 });
  });
  afterAll(async () => {
    await store.close();
    await drop();
  });

  it('answers SERVICE_UNAVAILABLE after the lock timeout and changes nothing', async () => {
    const service = new WalletService({ store });
    const wallet = await service.createWallet({ userId: 'stuck' });
    await service.deposit({ walletId: wallet.id, amount: '50' });
    let release: () => void = () => undefined;
    let locked: () => void = () => undefined;
    const isLocked = new Promise<void>((r) => (locked = r));
    // Another transaction holds the wallet's row and does not finish.
    const holder = store.driver.transaction(async (s) => {
      await s.query('SELECT id FROM wallets WHERE id = $1 FOR UPDATE', [wallet.id]);
      locked();
      await new Promise<void>((r) => (release = r));
    });
    await isLocked;
    await expect(service.withdraw({ walletId: wallet.id, amount: '10' }, { idempotencyKey: 'stuck-1' })).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    release();
    await holder;
    expect((await service.getWallet({ walletId: wallet.id })).balance).toBe('50');
    // The key was not kept: the retry executes.
    const retried = await service.withdraw({ walletId: wallet.id, amount: '10' }, { idempotencyKey: 'stuck-1' });
    expect(retried.wallet.balance).toBe('40');
  });
});
