import { WalletService } from '@goodgo/wallet-core';
import { codeOf } from '@goodgo/wallet-core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PgliteDriver } from '../src/pglite/driver.js';
import { SqlWalletStore } from '../src/sql-store.js';
import { databaseOfRelease } from './support/release.js';

/** The last migration before reversals kept their shortfall owed. */
const RELEASE = '0013_split_payments';

const P = '40000000-0000-4000-8000-000000000001';
const Q = '40000000-0000-4000-8000-000000000002';
const EARN_P = '50000000-0000-4000-8000-000000000001';
const SPEND_P = '50000000-0000-4000-8000-000000000002';
const EARN_Q = '50000000-0000-4000-8000-000000000011';
const SPEND_Q = '50000000-0000-4000-8000-000000000012';

/**
 * As the release wrote them. p: earn 100, spend 100, the earn reversed with a shortfall of 100.
 * q: the same, then the spend refunded, which put the 100 back into the reversed earn's lot.
 */
const OLD_ROWS = `
INSERT INTO point_accounts (id, user_id, total_points, available_points, pending_points, version, created_at, updated_at) VALUES
  ('${P}', 'p', 100, 0, 0, 4, '2026-01-01Z', '2026-01-02Z'),
  ('${Q}', 'q', 100, 100, 0, 5, '2026-01-01Z', '2026-01-02Z');
INSERT INTO point_lots (id, account_id, points, remaining, status, source, expires_at, created_at) VALUES
  ('${EARN_P}', '${P}', 100, 0, 'active', 'order-a', NULL, '2026-01-01T01:00Z'),
  ('${EARN_Q}', '${Q}', 100, 100, 'active', 'order-a', NULL, '2026-01-01T01:00Z');
INSERT INTO point_transactions (id, account_id, type, points, balance_after, source, refund_of, created_at) VALUES
  ('${EARN_P}', '${P}', 'earn', 100, 100, 'order-a', NULL, '2026-01-01T01:00Z'),
  ('${SPEND_P}', '${P}', 'spend', -100, 0, 'order-b', NULL, '2026-01-01T02:00Z'),
  ('50000000-0000-4000-8000-000000000003', '${P}', 'reversal', 0, 0, 'order-a', '${EARN_P}', '2026-01-01T03:00Z'),
  ('${EARN_Q}', '${Q}', 'earn', 100, 100, 'order-a', NULL, '2026-01-01T01:00Z'),
  ('${SPEND_Q}', '${Q}', 'spend', -100, 0, 'order-b', NULL, '2026-01-01T02:00Z'),
  ('50000000-0000-4000-8000-000000000013', '${Q}', 'reversal', 0, 0, 'order-a', '${EARN_Q}', '2026-01-01T03:00Z'),
  ('50000000-0000-4000-8000-000000000014', '${Q}', 'refund', 100, 100, 'order-b', '${SPEND_Q}', '2026-01-01T04:00Z');
INSERT INTO point_allocations (transaction_id, lot_id, points) VALUES
  ('${EARN_P}', '${EARN_P}', 100), ('${SPEND_P}', '${EARN_P}', 100), ('50000000-0000-4000-8000-000000000003', '${EARN_P}', 100),
  ('${EARN_Q}', '${EARN_Q}', 100), ('${SPEND_Q}', '${EARN_Q}', 100), ('50000000-0000-4000-8000-000000000013', '${EARN_Q}', 100),
  ('50000000-0000-4000-8000-000000000014', '${EARN_Q}', 100);
`;

describe('upgrading reversals made before their shortfall stayed owed', () => {
  let driver: PgliteDriver;
  let close: () => Promise<void>;
  let service: WalletService;

  beforeAll(async () => {
    const old = await databaseOfRelease(RELEASE, OLD_ROWS);
    ({ driver, close } = old);
    await old.upgrade();
    service = new WalletService({ store: new SqlWalletStore(driver) });
  }, 60_000);
  afterAll(async () => close());

  it('makes a shortfall owed where nothing came back to its lot since, so a refund now pays the reversal', async () => {
    const lots = await driver.query('SELECT id, remaining::int AS remaining, owed::int AS owed, owed_to FROM point_lots ORDER BY id');
    expect(lots).toEqual([
      { id: EARN_P, remaining: 0, owed: 100, owed_to: EARN_P },
      { id: EARN_Q, remaining: 100, owed: 0, owed_to: null },
    ]);
    const refunded = await service.refundPoints({ transactionId: SPEND_P });
    expect(refunded.account).toMatchObject({ availablePoints: 0, totalPoints: 0 });
    const rows = (await service.listPointTransactions({ userId: 'p' })).items.slice(0, 2);
    expect(rows.map((r) => [r.type, r.points, r.balanceAfter, r.refundOf])).toEqual([
      ['reversal', -100, 0, EARN_P],
      ['refund', 100, 100, SPEND_P],
    ]);
    expect(await codeOf(service.reversePoints({ transactionId: EARN_P }))).toBe('REFUND_EXCEEDS_ORIGINAL');
  });
});
