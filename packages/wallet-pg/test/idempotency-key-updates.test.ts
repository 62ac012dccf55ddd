import { WalletService } from '@goodgo/wallet-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgliteStore } from '../src/pglite/index.js';
import type { SqlWalletStore } from '../src/sql-store.js';

/**
 * A keyed command inserts its key row with the claim and updates it once, with the response.
 * That update must be heap-only (no new index entries): on a page filled by fresh key rows it was
 * not, and it cost a keyed command more than the rest of its write.
 */
describe('storing the response of a claimed key (PGlite)', () => {
  let store: SqlWalletStore;
  let service: WalletService;
  beforeAll(async () => {
    store = await createPgliteStore();
    service = new WalletService({ store });
  });
  afterAll(() => store.close());

  it('updates each key row in place, a heap-only update', async () => {
    const w = await service.createWallet({ userId: 'hot-keys' });
    for (let i = 0; i < 40; i++) await service.deposit({ walletId: w.id, amount: '1' }, { idempotencyKey: `hot-${i}` });
    const stats = await store.driver.transaction(async (s) => {
      await s.query('SELECT pg_stat_force_next_flush()');
      return s.query<{ upd: string; hot: string }>(
        "SELECT n_tup_upd::text AS upd, n_tup_hot_upd::text AS hot FROM pg_stat_user_tables WHERE relname = 'idempotency_keys'",
      );
    });
    // The statistics of the last commands may not be flushed yet: every update counted was heap-only.
    const [row] = stats;
    expect(row?.hot).toBe(row?.upd);
    // Pages are filled to a fifth, so that each response fits beside its row.
    const [table] = await store.driver.query<{ options: string[] }>("SELECT reloptions AS options FROM pg_class WHERE relname = 'idempotency_keys'");
    expect(table?.options).toContain('fillfactor=20');
  });
});
