import { LedgerKeyring, WalletService } from '@goodgo/wallet-core';
import { createNodePostgresStore } from '@goodgo/wallet-pg/node-postgres';
import pg from 'pg';
import type { Report } from './report.js';
import { SEARCH_PATH } from './library-pg.js';
import { round } from './stats.js';

const KEY_ID = 'bench';
const SECRET = 'bench-ledger-key-not-a-secret-0001';

/**
 * Reconciliation on a large ledger: `wallets` × `rowsPerWallet` keyed ledger rows (10 M by
 * default), written set-based in the bench's own database, one row per wallet per statement, each
 * row's HMAC computed by pgcrypto with the bench's key over the same canonical text the service's
 * writer produces (the service itself never gives the database its key). Then: the full run, timed
 * (it must complete: pages of bounded statements, no statement timeout met); a routine run after
 * a few hundred and after a few thousand changes, timed, against the full run and each other.
 */
export async function benchReconcile(report: Report, url: string, wallets: number, rowsPerWallet: number): Promise<void> {
  const pool = new pg.Pool({ connectionString: url, max: 16, options: SEARCH_PATH });
  const keys = LedgerKeyring.parse(`${KEY_ID}:${SECRET}`);
  // The production statement timeout: every page must fit in it.
  const store = await createNodePostgresStore({ pool, searchPathOnConnect: true, ledgerKeys: keys, settleMs: 0 });
  const service = new WalletService({ store });
  try {
    const total = wallets * rowsPerWallet;
    const t0 = performance.now();
    await pool.query('CREATE EXTENSION IF NOT EXISTS pgcrypto SCHEMA public');
    await pool.query(
      `INSERT INTO wallets (id, user_id, currency, balance, held_amount, status, version, created_at, updated_at)
       SELECT gen_random_uuid(), 'r-' || i, 'VND', 0, 0, 'active', 1, timestamptz '2026-01-01', timestamptz '2026-01-01' FROM generate_series(1, $1::int) i`,
      [wallets],
    );
    for (let k = 1; k <= rowsPerWallet; k++) {
      // Row k of every wallet, linked onto its head: the canonical text of wallet-core's ledger-chain.ts, written out.
      await pool.query(
        `WITH r AS (
           SELECT w.id AS wallet_id, gen_random_uuid() AS id, w.user_id, w.chain_head, timestamptz '2026-01-01' + $1::int * interval '1 second' AS created_at
           FROM wallets w),
         h AS (
           SELECT r.*, encode(public.hmac(coalesce(r.chain_head, '') || E'\\n' || format('["v1","${KEY_ID}","%s","%s","VND","%s","deposit","1","%s",null,null,null,null,null,null,null,"%s",null,null,null]',
             r.wallet_id, r.user_id, r.id, $1::int, (extract(epoch FROM r.created_at) * 1000000)::bigint), $2::text, 'sha256'), 'hex') AS hash
           FROM r),
         ins AS (
           INSERT INTO wallet_transactions (id, wallet_id, type, amount, balance_after, created_at, hash, key_id)
           SELECT id, wallet_id, 'deposit', 1, $1::int, created_at, hash, '${KEY_ID}' FROM h ORDER BY wallet_id
           RETURNING wallet_id, hash)
         UPDATE wallets w SET chain_head = ins.hash, balance = $1::int, version = w.version + 1 FROM ins WHERE w.id = ins.wallet_id`,
        [k, SECRET],
      );
    }
    await pool.query('VACUUM ANALYZE wallets');
    await pool.query('VACUUM ANALYZE wallet_transactions');
    const generated = (performance.now() - t0) / 1000;
    report.note(
      `9. reconciliation: ${total.toLocaleString('en')} keyed ledger rows over ${wallets.toLocaleString('en')} wallets generated set-based in ${round(generated)} s`,
    );

    const f0 = performance.now();
    const full = await service.reconcile({ checkpoint: true });
    const fullSeconds = (performance.now() - f0) / 1000;
    if (!full.ok || full.ledgerRows !== total) throw new Error(`the full run found ${full.problems.length} problems over ${full.ledgerRows} rows`);

    const ids = (await pool.query<{ id: string }>('SELECT id FROM wallets ORDER BY random() LIMIT 20000')).rows.map((r) => r.id);
    const change = async (changes: number) => {
      for (let i = 0; i < changes; i += 16) {
        const batch = Array.from({ length: Math.min(16, changes - i) }, (_, j) => ids[(i + j) % ids.length] as string);
        await Promise.all(batch.map((walletId) => service.deposit({ walletId, amount: '1' })));
      }
    };
    // A routine run in the steady state: `changes` since the last checkpoint, whose own interval had
    // as many (it checks that checkpoint's heads still stand), `through` settled (at once here).
    const routine = async (changes: number) => {
      await service.reconcile({ incremental: true, checkpoint: true });
      await change(changes);
      await service.reconcile({ incremental: true, checkpoint: true });
      await change(changes);
      const r0 = performance.now();
      const run = await service.reconcile({ incremental: true, checkpoint: true });
      const seconds = (performance.now() - r0) / 1000;
      // It walks the rows since the last settled checkpoint (the previous interval's too: the last
      // checkpoint's heads must still stand), and each touched wallet from its row before them.
      if (!run.ok || run.ledgerRows < changes) throw new Error(`the routine run found ${run.problems.length} problems over ${run.ledgerRows} rows`);
      return { seconds, rows: run.ledgerRows };
    };
    const small = await routine(500);
    const large = await routine(5000);

    report.add({
      section: '9. reconciliation',
      case: `full run, ${total.toLocaleString('en')} ledger rows (pages of 1 000 wallets, 10 000 rows)`,
      ours: `${round(fullSeconds)} s, ${round(total / fullSeconds)} rows/s, ok`,
      baseline: 'the 15 s statement timeout (a single statement over 1.3 M rows met it before)',
      ratio: null,
      target: 'completes',
      met: true,
    });
    report.add({
      section: '9. reconciliation',
      case: 'routine run after 500 changes',
      ours: `${round(small.seconds * 1000)} ms, ${small.rows} rows walked`,
      baseline: `the full run, ${round(fullSeconds)} s`,
      ratio: round(small.seconds / fullSeconds, 4),
      target: 'report',
      met: null,
    });
    report.add({
      section: '9. reconciliation',
      case: 'routine run after 5 000 changes',
      ours: `${round(large.seconds * 1000)} ms, ${large.rows} rows walked`,
      baseline: `the routine run after 500 changes, ${round(small.seconds * 1000)} ms`,
      ratio: round(large.seconds / small.seconds, 2),
      target: 'in proportion to the changes (≈ 10)',
      met: large.seconds / small.seconds <= 15,
    });
  } finally {
    await store.close();
    await pool.end();
  }
}
