import { WalletService } from '@goodgo/wallet-core';
import { codeOf } from '@goodgo/wallet-core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../src/migrate.js';
import type { PgliteDriver } from '../src/pglite/driver.js';
import { SqlWalletStore } from '../src/sql-store.js';
import { databaseOfRelease } from './support/release.js';

/** The last migration of the release before holds and refunds: a database made by it is what gets upgraded. */
const PREVIOUS_RELEASE = '0005_outbox_relay';

const W1 = '10000000-0000-4000-8000-000000000001';
const W2 = '10000000-0000-4000-8000-000000000002';
const W3 = '10000000-0000-4000-8000-000000000003';
const DEP = '20000000-0000-4000-8000-000000000001';
const WD = '20000000-0000-4000-8000-000000000002';
const OUT = '20000000-0000-4000-8000-000000000003';
const IN = '20000000-0000-4000-8000-000000000004';
const T1 = '30000000-0000-4000-8000-000000000001';
const ACC = '40000000-0000-4000-8000-000000000001';
const EARN = '50000000-0000-4000-8000-000000000001';
const SPEND = '50000000-0000-4000-8000-000000000002';

/** Rows as the previous release wrote them, one of every kind. */
const OLD_ROWS = `
INSERT INTO wallets (id, user_id, currency, balance, status, version, created_at, updated_at, closed_at) VALUES
  ('${W1}', 'u1', 'VND', 70000, 'active', 4, '2026-01-01Z', '2026-01-02Z', NULL),
  ('${W2}', 'u2', 'VND', 20000, 'active', 2, '2026-01-01Z', '2026-01-02Z', NULL),
  ('${W3}', 'u3', 'VND', 0, 'closed', 2, '2026-01-01Z', '2026-01-02Z', '2026-01-02Z');
INSERT INTO wallet_transactions (id, wallet_id, type, amount, balance_after, description, reference, transfer_id, created_at) VALUES
  ('${DEP}', '${W1}', 'deposit', 100000, 100000, NULL, 'top-up', NULL, '2026-01-01T01:00Z'),
  ('${WD}', '${W1}', 'withdrawal', 10000, 90000, NULL, 'ord-1', NULL, '2026-01-01T02:00Z'),
  ('${OUT}', '${W1}', 'transfer_out', 20000, 70000, 'rent', NULL, '${T1}', '2026-01-01T03:00Z'),
  ('${IN}', '${W2}', 'transfer_in', 20000, 20000, 'rent', NULL, '${T1}', '2026-01-01T03:00Z');
INSERT INTO point_accounts (id, user_id, total_points, available_points, pending_points, version, created_at, updated_at) VALUES
  ('${ACC}', 'u1', 100, 60, 0, 3, '2026-01-01Z', '2026-01-02Z');
INSERT INTO point_lots (id, account_id, points, remaining, status, source, expires_at, created_at) VALUES
  ('${EARN}', '${ACC}', 100, 60, 'active', 'ord-1', NULL, '2026-01-01Z');
INSERT INTO point_transactions (id, account_id, type, points, balance_after, source, description, expires_at, created_at) VALUES
  ('${EARN}', '${ACC}', 'earn', 100, 100, 'ord-1', NULL, NULL, '2026-01-01Z'),
  ('${SPEND}', '${ACC}', 'spend', -40, 60, 'ord-2', NULL, NULL, '2026-01-01T05:00Z');
INSERT INTO idempotency_keys (scope, key, fingerprint, response, created_at) VALUES ('', 'k1', 'f', '{}', '2026-01-01Z');
INSERT INTO outbox_events (id, type, aggregate_type, aggregate_id, payload, occurred_at) VALUES
  ('60000000-0000-4000-8000-000000000001', 'WalletCreated', 'wallet', '${W1}', '{"userId":"u1","currency":"VND"}', '2026-01-01Z');
`;

const COUNTS = `SELECT (SELECT count(*) FROM wallets)::int AS wallets, (SELECT count(*) FROM wallet_transactions)::int AS wallet_rows,
  (SELECT count(*) FROM point_accounts)::int AS accounts, (SELECT count(*) FROM point_lots)::int AS lots,
  (SELECT count(*) FROM point_transactions)::int AS point_rows, (SELECT count(*) FROM idempotency_keys)::int AS keys,
  (SELECT count(*) FROM outbox_events)::int AS events`;

describe('upgrading a database of the previous release to holds and refunds', () => {
  let driver: PgliteDriver;
  let service: WalletService;

  let close: () => Promise<void>;

  beforeAll(async () => {
    // The previous release's migrations and rows, in today's layout (the tables in the store's schema).
    ({ driver, close } = await databaseOfRelease(PREVIOUS_RELEASE, OLD_ROWS));
    service = new WalletService({ store: new SqlWalletStore(driver) });
  });
  afterAll(async () => close());

  it('keeps every row and gives old wallets no holds', async () => {
    const before = await driver.query(COUNTS);
    const { applied } = await migrate(driver);
    expect(applied).toContain('0006_money_lifecycle');
    expect(await driver.query(COUNTS)).toEqual(before);
    expect(await service.getWallet({ walletId: W1 })).toMatchObject({ balance: '70000', heldAmount: '0', availableBalance: '70000', version: 4 });
    const history = await service.listTransactions({ walletId: W1 });
    expect(history.items.map((t) => [t.type, t.amount, t.refundOf, t.holdId, t.actor])).toEqual([
      ['transfer_out', '20000', null, null, null],
      ['withdrawal', '10000', null, null, null],
      ['deposit', '100000', null, null, null],
    ]);
    expect(await service.getPointAccount({ userId: 'u1' })).toMatchObject({ totalPoints: 100, availablePoints: 60 });
  });

  it('refunds payments made before the upgrade and reverses their earns; an old spend cannot say which lots it took', async () => {
    const refunded = await service.refund({ transactionId: WD, amount: '4000' });
    expect(refunded.wallet.balance).toBe('74000');
    expect(await codeOf(service.refund({ transactionId: WD, amount: '6001' }))).toBe('REFUND_EXCEEDS_ORIGINAL');
    const back = await service.refund({ transactionId: OUT });
    expect(back.wallet.balance).toBe('94000');
    expect((await service.getWallet({ walletId: W2 })).balance).toBe('0');
    const reversed = await service.reversePoints({ transactionId: EARN });
    expect(reversed).toMatchObject({ shortfall: 40, transaction: { points: -60 }, account: { availablePoints: 0, totalPoints: 40 } });
    expect(await codeOf(service.refundPoints({ transactionId: SPEND }))).toBe('NOT_REFUNDABLE');
  });

  it('frees the (user, currency) pair of a wallet closed before the upgrade, and holds work on old wallets', async () => {
    const reopened = await service.createWallet({ userId: 'u3' });
    expect(reopened.id).not.toBe(W3);
    expect(await codeOf(service.createWallet({ userId: 'u3' }))).toBe('WALLET_ALREADY_EXISTS');
    const hold = await service.placeHold({ walletId: W1, amount: '90000' });
    expect(await codeOf(service.withdraw({ walletId: W1, amount: '4001' }))).toBe('INSUFFICIENT_FUNDS');
    expect((await service.captureHold({ holdId: hold.id, amount: '1000' })).wallet).toMatchObject({ balance: '93000', heldAmount: '0' });
  });
});
