import { LedgerKeyring, WalletService } from '@goodgo/wallet-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PgliteDriver } from '../src/pglite/driver.js';
import { SqlWalletStore } from '../src/sql-store.js';
import { databaseOfRelease } from './support/release.js';

/** The last migration whose ledger rows the trigger hashed, unkeyed. */
const UNKEYED_RELEASE = '0011_relay_operator';

const W1 = '10000000-0000-4000-8000-000000000001';
const W2 = '10000000-0000-4000-8000-000000000002';
const T1 = '30000000-0000-4000-8000-000000000001';

/** Rows as the unkeyed release wrote them: its trigger hashes each one onto its wallet's chain. */
const OLD_ROWS = `
INSERT INTO wallets (id, user_id, currency, balance, held_amount, status, version, created_at, updated_at) VALUES
  ('${W1}', 'u1', 'USD', 70.50, 0, 'active', 4, '2026-01-01Z', '2026-01-02Z'),
  ('${W2}', 'u2', 'USD', 20.00, 0, 'active', 2, '2026-01-01Z', '2026-01-02Z');
INSERT INTO wallet_transactions (id, wallet_id, type, amount, balance_after, description, reference, transfer_id, actor, created_at) VALUES
  ('20000000-0000-4000-8000-000000000001', '${W1}', 'deposit', 100.50, 100.50, 'top "up"', 'r-1', NULL, '{"sub":"pos","role":"service"}', '2026-01-01T01:00:00.123456Z'),
  ('20000000-0000-4000-8000-000000000002', '${W1}', 'withdrawal', 10.00, 90.50, NULL, 'ord-1', NULL, NULL, '2026-01-01T02:00Z'),
  ('20000000-0000-4000-8000-000000000003', '${W1}', 'transfer_out', 20.00, 70.50, 'rent', NULL, '${T1}', NULL, '2026-01-01T03:00Z'),
  ('20000000-0000-4000-8000-000000000004', '${W2}', 'transfer_in', 20.00, 20.00, 'rent', NULL, '${T1}', NULL, '2026-01-01T03:00Z');
`;

describe('upgrading an unkeyed chain to the keyed one', () => {
  let driver: PgliteDriver;
  let close: () => Promise<void>;
  let service: WalletService;

  beforeAll(async () => {
    const old = await databaseOfRelease(UNKEYED_RELEASE, OLD_ROWS);
    ({ driver, close } = old);
    await old.upgrade();
    service = new WalletService({ store: new SqlWalletStore(driver, { ledgerKeys: LedgerKeyring.parse('live:the-production-ledger-key-0001') }) });
  }, 60_000);
  afterAll(async () => close());

  it('keeps the unkeyed rows verifying as written, and links the first keyed rows onto their heads', async () => {
    expect(await service.reconcile()).toMatchObject({ ok: true, problems: [], ledgerRows: 4 });
    const [start] = await driver.query('SELECT unkeyed_through::text AS n FROM ledger_chain_start');
    expect(start?.n).toBe('4');
    await service.deposit({ walletId: W1, amount: '1.25' });
    await service.transfer({ fromWalletId: W2, toWalletId: W1, amount: '5.00' });
    expect(await service.reconcile()).toMatchObject({ ok: true, problems: [], ledgerRows: 7 });
    const rows = await driver.query('SELECT key_id FROM wallet_transactions ORDER BY seq');
    expect(rows.map((r) => r.key_id)).toEqual([null, null, null, null, 'live', 'live', 'live']);
  });

  it('still finds an unkeyed row edited after the upgrade', async () => {
    await driver.transaction(async (tx) => {
      await tx.query('ALTER TABLE wallet_transactions DISABLE TRIGGER wallet_transactions_append_only');
      await tx.query("UPDATE wallet_transactions SET description = 'edited' WHERE id = '20000000-0000-4000-8000-000000000002'");
      await tx.query('ALTER TABLE wallet_transactions ENABLE TRIGGER wallet_transactions_append_only');
    });
    const report = await service.reconcile();
    expect(report.problems.map((p) => [p.kind, p.id])).toEqual([['hash_mismatch', '20000000-0000-4000-8000-000000000002']]);
  });
});
