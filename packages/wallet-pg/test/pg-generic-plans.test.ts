import { WalletService } from '@goodgo/wallet-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodePostgresStore } from '../src/node-postgres/index.js';
import type { SqlWalletStore } from '../src/sql-store.js';
import { adminUrl, freshDatabase } from './support/postgres.js';

/**
 * A batch's write names its rows by an array of ids: PostgreSQL costs its generic plan for ten of
 * them, its custom plan for the two a transfer has, and so, left to choose, plans the statement
 * anew on every execution. The batch's transaction forces the plan the connection made once.
 */
describe.runIf(adminUrl)('PostgreSQL', () => {
  let store: SqlWalletStore;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const db = await freshDatabase('generic_plans');
    drop = db.drop;
    // One connection: every transaction, and the read of what it prepared, on the same session.
    store = await createNodePostgresStore({ connectionString: db.url, max: 1 });
  });
  afterAll(async () => {
    await store.close();
    await drop();
  });

  it("plans a batch's write once per connection, however often it runs", async () => {
    const service = new WalletService({ store });
    const a = await service.createWallet({ userId: 'plans-a', currency: 'VND' });
    const b = await service.createWallet({ userId: 'plans-b', currency: 'VND' });
    await service.deposit({ walletId: a.id, amount: '1000' });
    for (let i = 0; i < 12; i++) await service.transfer({ fromWalletId: a.id, toWalletId: b.id, amount: '1' });
    expect((await service.getWallet({ walletId: b.id })).balance).toBe('12');

    const prepared = await store.driver.query<{ name: string; generic_plans: string; custom_plans: string }>(
      "SELECT name, generic_plans::text, custom_plans::text FROM pg_prepared_statements WHERE name LIKE 'wallet_flush_%'",
    );
    expect(prepared.length).toBeGreaterThan(0);
    for (const p of prepared) expect(p.custom_plans).toBe('0');
    // The transfers' write: the shape that ran most.
    expect(Math.max(...prepared.map((p) => Number(p.generic_plans)))).toBeGreaterThanOrEqual(12);
  });

  it("runs a transaction's first statement, sent with BEGIN, from the plan its connection made once", async () => {
    const service = new WalletService({ store });
    const a = await service.createWallet({ userId: 'first-a', currency: 'VND' });
    const b = await service.createWallet({ userId: 'first-b', currency: 'VND' });
    await service.deposit({ walletId: a.id, amount: '1000' });
    const plans = async () => {
      const [row] = await store.driver.query<{ generic_plans: string; custom_plans: string }>(
        "SELECT generic_plans::text, custom_plans::text FROM pg_prepared_statements WHERE name = 'wallet_lock_wallets'",
      );
      return { generic: Number(row?.generic_plans ?? 0), custom: Number(row?.custom_plans ?? 0) };
    };
    const before = await plans();
    for (let i = 0; i < 12; i++) await service.transfer({ fromWalletId: a.id, toWalletId: b.id, amount: '1' });
    expect((await service.getWallet({ walletId: b.id })).balance).toBe('12');
    // Inlined into the message as text, the locking read was parsed and planned every time and
    // never reached the connection's prepared statements.
    const after = await plans();
    expect(after.generic - before.generic).toBe(12);
    expect(after.custom).toBe(0);
  });
});
