import { WalletService } from '@goodgo/wallet-core';
import { createNodePostgresStore } from '@goodgo/wallet-pg/node-postgres';
import pg from 'pg';
import { SEARCH_PATH } from './library-pg.js';
import type { Report } from './report.js';
import { ratio, round } from './stats.js';

const SECTION = '10. expired holds on one wallet';

/**
 * Issue 23 item 10: a wallet with `holds` holds past their expiry and never marked (placed, then
 * left to lapse with no change to the wallet since), written set-based, against a wallet with none,
 * in the same run and database. Each side runs `commands` withdrawals of 1 one after another; the
 * first on the loaded wallet is the one that used to mark every expired hold, and time out.
 */
export async function benchExpiredHolds(report: Report, url: string, holds: number, commands: number): Promise<void> {
  const pool = new pg.Pool({ connectionString: url, max: 4, options: SEARCH_PATH });
  const store = await createNodePostgresStore({ pool, searchPathOnConnect: true });
  const service = new WalletService({ store });
  try {
    const plain = await service.createWallet({ userId: 'bench-no-expired', currency: 'VND' });
    const loaded = await service.createWallet({ userId: 'bench-expired', currency: 'VND' });
    for (const w of [plain, loaded]) await service.deposit({ walletId: w.id, amount: '1000000000' });
    // Each hold reserved 1 000 đồng and expired an hour ago; the wallet last changed before that, so
    // its row still counts them held, as the service left it then.
    const t0 = performance.now();
    await pool.query(
      `WITH h AS (
         INSERT INTO holds (id, wallet_id, amount, captured_amount, status, expires_at, created_at, updated_at)
         SELECT gen_random_uuid(), $1::uuid, 1000, 0, 'active', now() - interval '1 hour', now() - interval '2 hours', now() - interval '2 hours'
         FROM generate_series(1, $2::int)
         RETURNING amount)
       UPDATE wallets SET held_amount = (SELECT sum(amount) FROM h), active_holds = $2, updated_at = now() - interval '2 hours' WHERE id = $1::uuid`,
      [loaded.id, holds],
    );
    await pool.query('VACUUM ANALYZE holds');
    report.note(`${SECTION}: ${holds.toLocaleString('en')} expired holds written set-based in ${round((performance.now() - t0) / 1000, 1)} s`);

    const run = async (walletId: string) => {
      const times: number[] = [];
      for (let i = 0; i < commands; i++) {
        const s = performance.now();
        await service.withdraw({ walletId, amount: '1' });
        times.push(performance.now() - s);
      }
      return times;
    };
    // The wallet without expired holds first, as a warm-up of the pool and the prepared statements.
    await run(plain.id);
    const base = await run(plain.id);
    const ours = await run(loaded.id);
    const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const first = ours[0] as number;
    const rest = mean(ours.slice(1));
    const baseMean = mean(base);
    report.add({
      section: SECTION,
      case: `first withdrawal, ${holds.toLocaleString('en')} expired holds vs none (ms)`,
      ours: String(round(first, 1)),
      baseline: String(round(base[0] as number, 1)),
      ratio: ratio(first, base[0] as number),
      target: 'bounded: well under the 15 s statement timeout',
      met: first < 15_000,
    });
    report.add({
      section: SECTION,
      case: `mean of the next ${commands - 1} withdrawals (ms)`,
      ours: String(round(rest, 2)),
      baseline: String(round(baseMean, 2)),
      ratio: ratio(rest, baseMean),
      target: 'the same order as without expired holds',
      met: null,
    });
    const left = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM holds WHERE wallet_id = $1::uuid AND status = 'active'", [loaded.id]);
    report.note(`${SECTION}: after ${commands} withdrawals, ${left.rows[0]?.n ?? 0} of the holds are still stored as active (marked in steps)`);
  } finally {
    await store.close();
    await pool.end().catch(() => undefined);
  }
}
