import { WalletService } from '@goodgo/wallet-core';
import { createNodePostgresStore } from '@goodgo/wallet-pg/node-postgres';
import pg from 'pg';
import type { Report } from './report.js';
import { SEARCH_PATH, seedWallets } from './library-pg.js';
import { closedLoop, percentile, ratio, round } from './stats.js';

/**
 * Transfer throughput, history-page latency and balance-at-an-instant latency as the ledger grows
 * to 10 000, 100 000 and 1 000 000 rows. Most rows go to one "deep" wallet, whose pages are read
 * at the newest end and in the middle, and whose balance is asked halfway through its history;
 * keyset pages and the balance probe must cost the same at any depth and any size. The deep
 * wallet's rows carry metadata (a store of ten, and every thousandth an order number), so its
 * history is also read filtered: by a store (one row in ten matches) and by one order (one row).
 */
export async function benchGrowth(report: Report, url: string, seconds: number, levels: readonly number[] = [10_000, 100_000, 1_000_000]): Promise<void> {
  const pool = new pg.Pool({ connectionString: url, max: 16, options: SEARCH_PATH });
  const store = await createNodePostgresStore({ pool, searchPathOnConnect: true });
  const service = new WalletService({ store });
  try {
    const { ids } = await seedWallets(pool, 1000, 'g-');
    const deep = ids[0] as string;
    const count = async () => Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM wallet_transactions')).rows[0]?.n);
    const results: Record<number, { tps: number; first: number; middle: number; balanceAt: number; store: number; order: number }> = {};
    const base = levels[0] as number;
    const top = levels[levels.length - 1] as number;
    for (const level of levels) {
      const missing = level - (await count());
      if (missing > 0) {
        // Bulk history for the deep wallet: deposits of 1, balance_after counting up, a second apart
        // from 2020-01-01 on (so a balance at an instant has a real place to find in it), labelled
        // with one of ten stores, and every thousandth with an order number of its own.
        const offset = await count();
        await pool.query(
          `INSERT INTO wallet_transactions (id, wallet_id, type, amount, balance_after, created_at, hash, metadata)
           SELECT gen_random_uuid(), $1, 'deposit', 1, 1000000000000 + i, timestamptz '2020-01-01' + ($3::bigint + i) * interval '1 second', md5(i::text),
             jsonb_build_object('store', 'S' || (($3::bigint + i) % 10)) || CASE WHEN ($3::bigint + i) % 1000 = 0 THEN jsonb_build_object('order', 'O-' || ($3::bigint + i)) ELSE '{}' END
           FROM generate_series(1, $2::int) i`,
          [deep, missing, offset],
        );
        await pool.query('ANALYZE wallet_transactions');
      }
      const run = await closedLoop(8, seconds * 1000, () => {
        const a = ids[1 + Math.floor(Math.random() * (ids.length - 1))] as string;
        let b = ids[1 + Math.floor(Math.random() * (ids.length - 1))] as string;
        while (b === a) b = ids[1 + Math.floor(Math.random() * (ids.length - 1))] as string;
        return service.transfer({ fromWalletId: a, toWalletId: b, amount: '1' });
      });
      const pageTimes = async (cursor?: string, metadata?: Record<string, string>) => {
        const t: number[] = [];
        for (let i = 0; i < 300; i++) {
          const t0 = performance.now();
          await service.listTransactions({ walletId: deep, limit: 50, ...(cursor ? { cursor } : {}), ...(metadata ? { metadata } : {}) });
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
      // The balance at an instant halfway through the deep wallet's history: one index probe, whatever the depth.
      const halfway = new Date(Date.UTC(2020, 0, 1) + Math.floor((await count()) / 2) * 1000);
      const balanceTimes: number[] = [];
      for (let i = 0; i < 300; i++) {
        const t0 = performance.now();
        await service.getBalanceAt({ walletId: deep, at: halfway });
        balanceTimes.push(performance.now() - t0);
      }
      const balanceAt = percentile(
        balanceTimes.sort((x, y) => x - y),
        50,
      );
      // Filtered pages: a store's newest 50 (one row in ten), and the one row of an order written at
      // the start of the history (the oldest end: what a scan of the wallet's rows would reach last).
      const store = await pageTimes(undefined, { store: 'S3' });
      const order = await pageTimes(undefined, { order: 'O-5000' });
      results[level] = { tps: run.perSecond, first, middle, balanceAt, store, order };
      report.add({
        section: '5. growth',
        case: `history filtered by metadata, ${level.toLocaleString('en')} ledger rows`,
        ours: `page p50 store (1 row in 10) ${round(store, 2)} ms, order (1 row) ${round(order, 2)} ms`,
        baseline: level === base ? 'this is the baseline' : `the ${base.toLocaleString('en')}-row figures`,
        ratio: level === base ? null : ratio(Math.max(store, order), Math.max(results[base]!.store, results[base]!.order)),
        target: level === top && level !== base ? `filtered page latency ≤ 1.5× of ${base.toLocaleString('en')}` : 'report',
        met: level === top && level !== base ? Math.max(store, order) <= 1.5 * Math.max(results[base]!.store, results[base]!.order) : null,
      });
      report.add({
        section: '5. growth',
        case: `balance at an instant, ${level.toLocaleString('en')} ledger rows`,
        ours: `p50 ${round(balanceAt, 2)} ms (getBalanceAt, halfway through the deep wallet)`,
        baseline: level === base ? 'this is the baseline' : `the ${base.toLocaleString('en')}-row figure`,
        ratio: level === base ? null : ratio(balanceAt, results[base]!.balanceAt),
        target: level === top && level !== base ? `≤ 1.5× of ${base.toLocaleString('en')} (flat)` : 'report',
        met: level === top && level !== base ? balanceAt <= 1.5 * results[base]!.balanceAt : null,
      });
      report.add({
        section: '5. growth',
        case: `${level.toLocaleString('en')} ledger rows`,
        ours: `transfers ${round(run.perSecond)}/s (c=8); page p50 newest ${round(first, 2)} ms, middle ${round(middle, 2)} ms`,
        baseline: level === base ? 'this is the baseline' : `the ${base.toLocaleString('en')}-row figures`,
        ratio: level === base ? null : ratio(Math.max(first, middle), Math.max(results[base]!.first, results[base]!.middle)),
        target: level === top && level !== base ? `page latency ≤ 1.5× of ${base.toLocaleString('en')}` : 'report',
        met: level === top && level !== base ? Math.max(first, middle) <= 1.5 * Math.max(results[base]!.first, results[base]!.middle) : null,
      });
    }
    report.add({
      section: '5. growth',
      case: `transfer throughput at ${top.toLocaleString('en')} rows`,
      ours: `${round(results[top]!.tps)}/s`,
      baseline: `${round(results[base]!.tps)}/s at ${base.toLocaleString('en')} rows`,
      ratio: ratio(results[top]!.tps, results[base]!.tps),
      target: 'report',
      met: null,
    });
    report.raw.growth = results;
  } finally {
    await store.close();
    await pool.end();
  }
}
