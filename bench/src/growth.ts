import { WalletService } from '@goodgo/wallet-core';
import { createNodePostgresStore } from '@goodgo/wallet-pg/node-postgres';
import pg from 'pg';
import type { Report } from './report.js';
import { SEARCH_PATH, seedWallets } from './library-pg.js';
import { closedLoop, percentile, ratio, round } from './stats.js';

/**
 * Transfer throughput and history-page latency as the ledger grows to 10 000, 100 000 and
 * 1 000 000 rows. Most rows go to one "deep" wallet, whose pages are read at the newest end and
 * in the middle; keyset pages must cost the same at any depth and any size.
 */
export async function benchGrowth(report: Report, url: string, seconds: number): Promise<void> {
  const pool = new pg.Pool({ connectionString: url, max: 16, options: SEARCH_PATH });
  const store = await createNodePostgresStore({ pool, searchPathOnConnect: true });
  const service = new WalletService({ store });
  try {
    const { ids } = await seedWallets(pool, 1000, 'g-');
    const deep = ids[0] as string;
    const count = async () => Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM wallet_transactions')).rows[0]?.n);
    const results: Record<number, { tps: number; first: number; middle: number }> = {};
    for (const level of [10_000, 100_000, 1_000_000]) {
      const missing = level - (await count());
      if (missing > 0) {
        // Bulk history for the deep wallet: deposits of 1, balance_after counting up.
        await pool.query(
          `INSERT INTO wallet_transactions (id, wallet_id, type, amount, balance_after, created_at)
           SELECT gen_random_uuid(), $1, 'deposit', 1, 1000000000000 + i, now() FROM generate_series(1, $2::int) i`,
          [deep, missing],
        );
        await pool.query('ANALYZE wallet_transactions');
      }
      const run = await closedLoop(8, seconds * 1000, () => {
        const a = ids[1 + Math.floor(Math.random() * (ids.length - 1))] as string;
        let b = ids[1 + Math.floor(Math.random() * (ids.length - 1))] as string;
        while (b === a) b = ids[1 + Math.floor(Math.random() * (ids.length - 1))] as string;
        return service.transfer({ fromWalletId: a, toWalletId: b, amount: '1' });
      });
      const pageTimes = async (cursor?: string) => {
        const t: number[] = [];
        for (let i = 0; i < 300; i++) {
          const t0 = performance.now();
          await service.listTransactions({ walletId: deep, limit: 50, ...(cursor ? { cursor } : {}) });
          t.push(performance.now() - t0);
        }
        return percentile(
          t.sort((x, y) => x - y),
          50,
        );
      };
      const first = await pageTimes();
      // A cursor halfway down the deep wallet's history.
      const mid = await pool.query<{ seq: string }>('SELECT seq::text FROM wallet_transactions WHERE wallet_id = $1 ORDER BY seq DESC OFFSET $2 LIMIT 1', [
        deep,
        Math.floor((await count()) / 2),
      ]);
      const midCursor = Buffer.from(`p:${mid.rows[0]?.seq ?? '1'}`).toString('base64url');
      const middle = await pageTimes(midCursor);
      results[level] = { tps: run.perSecond, first, middle };
      report.add({
        section: '5. growth',
        case: `${level.toLocaleString('en')} ledger rows`,
        ours: `transfers ${round(run.perSecond)}/s (c=8); page p50 newest ${round(first, 2)} ms, middle ${round(middle, 2)} ms`,
        baseline: level === 10_000 ? 'this is the baseline' : 'the 10 000-row figures',
        ratio: level === 10_000 ? null : ratio(Math.max(first, middle), Math.max(results[10_000]!.first, results[10_000]!.middle)),
        target: level === 1_000_000 ? 'page latency ≤ 1.5× of 10 000' : 'report',
        met: level === 1_000_000 ? Math.max(first, middle) <= 1.5 * Math.max(results[10_000]!.first, results[10_000]!.middle) : null,
      });
    }
    report.add({
      section: '5. growth',
      case: 'transfer throughput at 1 000 000 rows',
      ours: `${round(results[1_000_000]!.tps)}/s`,
      baseline: `${round(results[10_000]!.tps)}/s at 10 000 rows`,
      ratio: ratio(results[1_000_000]!.tps, results[10_000]!.tps),
      target: 'report',
      met: null,
    });
    report.raw.growth = results;
  } finally {
    await store.close();
    await pool.end();
  }
}
