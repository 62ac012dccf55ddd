import { PGlite } from '@electric-sql/pglite';
import { WalletService } from '@goodgo/wallet-core';
import { createPgliteStore } from '@goodgo/wallet-pg/pglite';
import type { Report } from './report.js';
import { alternate, closedLoop, closedLoopSamples, ratio, round } from './stats.js';

/** The library on embedded PGlite, sequential (one connection), against raw SQL on the same PGlite. */
export async function benchPglite(report: Report, seconds: number): Promise<void> {
  const db = await PGlite.create('memory://');
  // The raw-SQL baseline below names the tables unqualified, as the store does.
  await db.exec('SET search_path TO wallet');
  const store = await createPgliteStore({ db, searchPathOnConnect: true });
  const service = new WalletService({ store });
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO wallets (id, user_id, currency, balance, status, version, created_at, updated_at)
     SELECT gen_random_uuid(), 'l-' || i, 'VND', 1000000000000, 'active', 1, now(), now() FROM generate_series(1, 1000) i RETURNING id`,
  );
  const ids = rows.map((r) => r.id);
  let k = 0;
  const next = () => ids[k++ % ids.length] as string;

  const rawDeposit = () =>
    db.transaction(async (tx) => {
      const id = next();
      await tx.query('SELECT balance FROM wallets WHERE id = $1 FOR UPDATE', [id]);
      const { rows: r } = await tx.query<{ balance: string }>(
        'UPDATE wallets SET balance = balance + 1, version = version + 1, updated_at = now() WHERE id = $1 RETURNING balance::text AS balance',
        [id],
      );
      await tx.query(
        "INSERT INTO wallet_transactions (id, wallet_id, type, amount, balance_after, created_at, hash) VALUES (gen_random_uuid(), $1, 'deposit', 1, $2, now(), $3)",
        [id, r[0]?.balance, crypto.randomUUID()],
      );
    });
  const rawTransfer = () =>
    db.transaction(async (tx) => {
      const from = next();
      const to = next();
      await tx.query('SELECT id FROM wallets WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE', [[from, to]]);
      const d = await tx.query<{ b: string }>('UPDATE wallets SET balance = balance - 1, version = version + 1 WHERE id = $1 RETURNING balance::text AS b', [
        from,
      ]);
      const c = await tx.query<{ b: string }>('UPDATE wallets SET balance = balance + 1, version = version + 1 WHERE id = $1 RETURNING balance::text AS b', [
        to,
      ]);
      const t = crypto.randomUUID();
      const ins =
        'INSERT INTO wallet_transactions (id, wallet_id, type, amount, balance_after, transfer_id, created_at, hash) VALUES (gen_random_uuid(), $1, $2, 1, $3, $4, now(), $5)';
      await tx.query(ins, [from, 'transfer_out', d.rows[0]?.b, t, crypto.randomUUID()]);
      await tx.query(ins, [to, 'transfer_in', c.rows[0]?.b, t, crypto.randomUUID()]);
    });

  const ms = seconds * 1000;
  const dep = await closedLoop(1, ms, () => service.deposit({ walletId: next(), amount: '1' }));
  const depRaw = await closedLoop(1, ms, rawDeposit);
  report.add({
    section: '3. library, PGlite (in memory)',
    case: 'deposits, sequential',
    ours: `${round(dep.perSecond)}/s`,
    baseline: `raw SQL ${round(depRaw.perSecond)}/s`,
    ratio: ratio(dep.perSecond, depRaw.perSecond),
    target: 'report',
    met: null,
  });
  const tr = await closedLoop(1, ms, () => service.transfer({ fromWalletId: next(), toWalletId: next(), amount: '1' }));
  const trRaw = await closedLoop(1, ms, rawTransfer);
  report.add({
    section: '3. library, PGlite (in memory)',
    case: 'transfers, sequential',
    ours: `${round(tr.perSecond)}/s`,
    baseline: `raw SQL ${round(trRaw.perSecond)}/s`,
    ratio: ratio(tr.perSecond, trRaw.perSecond),
    target: 'report',
    met: null,
  });

  // Group commit on PGlite's one connection: 32 callers share batches, against the same store's
  // sequential transfers (one caller, each command alone), in alternating rounds.
  const pair = () => {
    const a = Math.floor(Math.random() * ids.length);
    let b = Math.floor(Math.random() * (ids.length - 1));
    if (b >= a) b++;
    return [ids[a] as string, ids[b] as string] as const;
  };
  const randomTransfer = () => {
    const [from, to] = pair();
    return service.transfer({ fromWalletId: from, toWalletId: to, amount: '1' });
  };
  const [batched, sequentialRun] = await alternate(
    3,
    () => closedLoopSamples(32, ms / 2, randomTransfer, 300),
    () => closedLoopSamples(1, ms / 2, randomTransfer, 300),
  );
  report.add({
    section: '3. library, PGlite (in memory)',
    case: 'transfers, 32 callers (group commit)',
    ours: `${round(batched.perSecond)}/s p50 ${round(batched.p50, 1)} ms p99 ${round(batched.p99, 1)} ms`,
    baseline: `sequential ${round(sequentialRun.perSecond)}/s`,
    ratio: ratio(batched.perSecond, sequentialRun.perSecond),
    target: '≥ 2× sequential',
    met: batched.perSecond >= 2 * sequentialRun.perSecond,
  });
  await db.close();
}
