import { WalletService } from '@goodgo/wallet-core';
import { createNodePostgresStore } from '@goodgo/wallet-pg/node-postgres';
import type pg from 'pg';
import type { Report } from './report.js';
import { alternate, closedLoopSamples, ratio, round, type Run } from './stats.js';

export interface Seeded {
  ids: string[];
}

/** 10 000 wallets with a large balance, each with its opening deposit row, written by SQL in bulk. */
/** The bench's pools open their connections in the store's schema, as the store's own pool does. */
export const SEARCH_PATH = '-c search_path=wallet';

export async function seedWallets(pool: pg.Pool, count: number, prefix: string): Promise<Seeded> {
  const { rows } = await pool.query<{ id: string }>(
    `WITH w AS (
       INSERT INTO wallets (id, user_id, currency, balance, status, version, created_at, updated_at)
       SELECT gen_random_uuid(), $2 || i, 'VND', 1000000000000, 'active', 2, now(), now() FROM generate_series(1, $1::int) i
       RETURNING id)
     , t AS (
       INSERT INTO wallet_transactions (id, wallet_id, type, amount, balance_after, created_at, hash)
       SELECT gen_random_uuid(), id, 'deposit', 1000000000000, 1000000000000, now(), md5(id::text) FROM w)
     SELECT id FROM w`,
    [count, prefix],
  );
  return { ids: rows.map((r) => r.id) };
}

/** The baseline transfer, written as plainly as the issue states it: lock both rows in id order, two updates, two ledger inserts, commit. */
export async function rawTransfer(pool: pg.Pool, from: string, to: string, amount: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<{ id: string; balance: string }>({
      name: 'raw_lock',
      text: 'SELECT id, balance::text FROM wallets WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE',
      values: [[from, to]],
    });
    const source = rows.find((r) => r.id === from);
    if (!source || BigInt(source.balance) < BigInt(amount)) throw new Error('insufficient');
    const transferId = crypto.randomUUID();
    const debit = await client.query<{ balance: string }>({
      name: 'raw_debit',
      text: 'UPDATE wallets SET balance = balance - $2, version = version + 1, updated_at = now() WHERE id = $1 RETURNING balance::text',
      values: [from, amount],
    });
    const credit = await client.query<{ balance: string }>({
      name: 'raw_credit',
      text: 'UPDATE wallets SET balance = balance + $2, version = version + 1, updated_at = now() WHERE id = $1 RETURNING balance::text',
      values: [to, amount],
    });
    const insert =
      'INSERT INTO wallet_transactions (id, wallet_id, type, amount, balance_after, transfer_id, created_at, hash) VALUES ($1, $2, $3, $4, $5, $6, now(), $7)';
    // The row's hash as the writer computes it: in the process, no lookup in the database.
    const hash = () => crypto.randomUUID().replaceAll('-', '');
    await client.query({
      name: 'raw_row',
      text: insert,
      values: [crypto.randomUUID(), from, 'transfer_out', amount, debit.rows[0]?.balance, transferId, hash()],
    });
    await client.query({
      name: 'raw_row',
      text: insert,
      values: [crypto.randomUUID(), to, 'transfer_in', amount, credit.rows[0]?.balance, transferId, hash()],
    });
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK');
    throw e;
  } finally {
    client.release();
  }
}

const fmt = (r: Run) => `${round(r.perSecond)}/s p50 ${round(r.p50, 1)} ms p99 ${round(r.p99, 1)} ms${r.errors ? ` (${r.errors} errors)` : ''}`;

export async function benchPostgres(report: Report, pool: pg.Pool, seeded: Seeded, seconds: number): Promise<void> {
  const store = await createNodePostgresStore({ pool, searchPathOnConnect: true });
  const service = new WalletService({ store });
  const ids = seeded.ids;
  const pair = () => {
    const a = Math.floor(Math.random() * ids.length);
    let b = Math.floor(Math.random() * (ids.length - 1));
    if (b >= a) b++;
    return [ids[a] as string, ids[b] as string] as const;
  };
  for (const c of [1, 8, 32]) {
    const roundMs = (seconds * 1000) / 2;
    const [lib, raw] = await alternate(
      3,
      () =>
        closedLoopSamples(
          c,
          roundMs,
          () => {
            const [from, to] = pair();
            return service.transfer({ fromWalletId: from, toWalletId: to, amount: '1' });
          },
          300,
        ),
      () =>
        closedLoopSamples(
          c,
          roundMs,
          () => {
            const [from, to] = pair();
            return rawTransfer(pool, from, to, '1');
          },
          300,
        ),
    );
    const target = c === 1 ? 'report' : '≥ 0.8 of raw SQL';
    report.add({
      section: '2. library, PostgreSQL (pool 16)',
      case: `transfers, concurrency ${c}, 10 000 wallets`,
      ours: fmt(lib),
      baseline: `raw SQL ${fmt(raw)}`,
      ratio: ratio(lib.perSecond, raw.perSecond),
      target,
      met: c === 1 ? null : lib.perSecond >= 0.8 * raw.perSecond,
    });
    report.raw[`pg_transfer_c${c}`] = { ours: lib, raw };
  }

  // The lunch rush: 32 tills paying one merchant. Every payment needs the merchant's row lock.
  const merchant = ids[0] as string;
  const payers = ids.slice(1, 33);
  const [hot, hotRaw] = await alternate(
    3,
    () => closedLoopSamples(32, (seconds * 1000) / 2, (w) => service.transfer({ fromWalletId: payers[w] as string, toWalletId: merchant, amount: '1' }), 300),
    () => closedLoopSamples(32, (seconds * 1000) / 2, (w) => rawTransfer(pool, payers[w] as string, merchant, '1'), 300),
  );
  report.add({
    section: '2. library, PostgreSQL (pool 16)',
    case: 'hot wallet: 32 payers → 1 merchant',
    ours: fmt(hot),
    baseline: `raw SQL ${fmt(hotRaw)}`,
    ratio: ratio(hot.perSecond, hotRaw.perSecond),
    target: 'report',
    met: null,
  });
  report.raw.pg_hot = { ours: hot, raw: hotRaw };
}
