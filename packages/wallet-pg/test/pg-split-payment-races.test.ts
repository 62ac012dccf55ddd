import type { WalletService } from '@goodgo/wallet-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlWalletStore } from '../src/sql-store.js';
import { adminUrl, raceStore } from './support/postgres.js';

/**
 * Split payments racing plain points spends of the same customer on real PostgreSQL connections,
 * through group commit: a payment locks the wallet and the account together, a spend the account
 * alone, so whichever order they meet in, the points can only be spent once, and a payment whose
 * points part loses takes no money either.
 */
describe.runIf(adminUrl)('split payments racing points spends on PostgreSQL (pool of 20)', () => {
  let store: SqlWalletStore;
  let service: WalletService;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ store, service, close } = await raceStore('pay_races'));
  });
  afterAll(async () => {
    await close();
  });

  const sql = async (text: string, params: unknown[] = []) => store.driver.query(text, params);

  it('spends the points once across 60 payments and 60 spends; every payment is whole or absent', async () => {
    const userId = 'pay-race-1';
    const wallet = await service.createWallet({ userId });
    await service.deposit({ walletId: wallet.id, amount: '60000' });
    // 90 points: room for 30 of the 120 commands, each wanting 3.
    await service.earnPoints({ userId, points: 90, source: 'order:seed' });
    const commands = Array.from({ length: 120 }, (_, i) =>
      i % 2 === 0
        ? service.pay({ walletId: wallet.id, amount: '1000', points: 3, reference: `order-${i}` }).then(() => 'pay' as const)
        : service.spendPoints({ userId, points: 3, source: `spend-${i}` }).then(() => 'spend' as const),
    );
    const results = await Promise.allSettled(commands);
    const passed = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(passed).toHaveLength(30);
    const codes = new Set(results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as { code: string }).code] : [])));
    expect([...codes]).toEqual(['INSUFFICIENT_POINTS']);
    const pays = passed.filter((p) => p === 'pay').length;

    expect(await service.getPointAccount({ userId })).toMatchObject({ availablePoints: 0, totalPoints: 90 });
    expect((await service.getWallet({ walletId: wallet.id })).balance).toBe(String(60000 - 1000 * pays));
    // The ledgers agree with the answers: one withdrawal per payment that passed, and each names a
    // spend of 3 that names it back with the same reference; no spend of a payment stands alone.
    const pairs = await sql(
      `SELECT t.id, t.reference, t.paired_with, p.id AS point_id, p.points::int AS points, p.reference AS point_reference, p.paired_with AS point_paired
       FROM wallet_transactions t LEFT JOIN point_transactions p ON p.id = t.paired_with
       WHERE t.wallet_id = $1 AND t.type = 'withdrawal'`,
      [wallet.id],
    );
    expect(pairs).toHaveLength(pays);
    for (const row of pairs) {
      expect(row).toMatchObject({ point_id: row.paired_with, points: -3, point_reference: row.reference, point_paired: row.id });
    }
    const [lonely] = await sql(
      `SELECT count(*)::int AS n FROM point_transactions p
       WHERE p.source = 'pay' AND NOT EXISTS (SELECT 1 FROM wallet_transactions t WHERE t.id = p.paired_with AND t.paired_with = p.id)`,
    );
    expect(lonely?.n).toBe(0);
    const [net] = await sql(
      `SELECT COALESCE(SUM(CASE WHEN type = 'deposit' THEN amount ELSE -amount END), 0)::text AS net FROM wallet_transactions WHERE wallet_id = $1`,
      [wallet.id],
    );
    expect(net?.net).toBe(String(60000 - 1000 * pays));
    const report = await service.reconcile();
    expect(report.problems).toEqual([]);
  });
});
