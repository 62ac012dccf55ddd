import { WalletService } from '@goodgo/wallet-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgliteStore } from '../src/pglite/index.js';
import type { SqlWalletStore } from '../src/sql-store.js';

/**
 * The rules of an allowance hold in the database, not only in the domain (migration 0009): a
 * buggy writer or a hand-typed statement that would book a seq twice, spend past a cap, leave a gap
 * or close a wallet under an active allowance is refused by a constraint.
 */
describe('allowance rules as database constraints (PGlite)', () => {
  let store: SqlWalletStore;
  let service: WalletService;
  let walletId: string;
  let allowanceId: string;
  beforeAll(async () => {
    store = await createPgliteStore();
    service = new WalletService({ store });
    walletId = (await service.createWallet({ userId: 'constraints' })).id;
    await service.deposit({ walletId, amount: '100000' });
    allowanceId = (await service.openAllowance({ walletId, tillId: 'till-1', amount: '50000', maxSpendAmount: '20000', maxSpends: 3 })).id;
    await service.syncAllowance({ allowanceId, spends: [{ seq: 1, amount: '15000', occurredAt: '2026-12-07T08:00:00Z' }] });
  });
  afterAll(async () => {
    await store.close();
  });

  const sql = (text: string, params: unknown[] = []) => store.driver.query(text, params);
  const refused = async (text: string, params: unknown[], constraint: string) => {
    await expect(sql(text, params)).rejects.toMatchObject({ code: expect.stringMatching(/^23/), constraint });
  };

  it('refuses spends past the amount, maxSpendAmount or maxSpends, and a gap in the seqs', async () => {
    await refused('UPDATE allowances SET spent_amount = 50001 WHERE id = $1', [allowanceId], 'allowances_spent_within_amount');
    await refused('UPDATE allowances SET largest_spend = 20001, spent_amount = 35001 WHERE id = $1', [allowanceId], 'allowances_max_spend_amount');
    await refused('UPDATE allowances SET spend_count = 4, last_seq = 4 WHERE id = $1', [allowanceId], 'allowances_max_spends');
    await refused('UPDATE allowances SET last_seq = 2 WHERE id = $1', [allowanceId], 'allowances_seq_without_gap');
    await refused("UPDATE allowances SET settle_by = spend_until - interval '1 second' WHERE id = $1", [allowanceId], 'allowances_settle_after_spend');
    await refused("UPDATE allowances SET status = 'spent' WHERE id = $1", [allowanceId], 'allowances_status_valid');
    expect(await sql('SELECT spent_amount::text AS spent, spend_count, last_seq FROM allowances WHERE id = $1', [allowanceId])).toEqual([
      { spent: '15000', spend_count: 1, last_seq: 1 },
    ]);
  });

  it('refuses a second payer row for a seq already booked, whatever its content', async () => {
    const [booked] = await sql('SELECT id FROM wallet_transactions WHERE allowance_id = $1 AND allowance_seq = 1', [allowanceId]);
    expect(booked).toBeDefined();
    await refused(
      `INSERT INTO wallet_transactions (id, wallet_id, type, amount, balance_after, created_at, allowance_id, allowance_seq, hash)
       VALUES (gen_random_uuid(), $1, 'withdrawal', 1, 84999, now(), $2, 1, 'x')`,
      [walletId, allowanceId],
      'wallet_transactions_allowance_seq_key',
    );
    await refused(
      `INSERT INTO wallet_transactions (id, wallet_id, type, amount, balance_after, created_at, allowance_id, hash)
       VALUES (gen_random_uuid(), $1, 'withdrawal', 1, 84999, now(), $2, 'x')`,
      [walletId, allowanceId],
      'wallet_transactions_allowance_seq',
    );
  });

  it('refuses a second active allowance of one till, and closing a wallet with an active allowance', async () => {
    await refused(
      `INSERT INTO allowances (id, wallet_id, till_id, amount, spent_amount, spend_count, last_seq, largest_spend, status, spend_until, settle_by, created_at, updated_at)
       VALUES (gen_random_uuid(), $1, 'till-1', 1, 0, 0, 0, 0, 'active', now(), now() + interval '1 hour', now(), now())`,
      [walletId],
      'allowances_wallet_till_active_key',
    );
    await refused(
      "UPDATE wallets SET status = 'closed', closed_at = now(), balance = 0, held_amount = 0 WHERE id = $1",
      [walletId],
      'wallets_active_allowances',
    );
    expect((await service.getWallet({ walletId })).status).toBe('active');
  });
});
