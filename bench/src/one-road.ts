/**
 * Issue 25's rows beyond plain transfers, each in alternating rounds against its baseline in the
 * same run: captures and refunds against transfers at 64 callers (they used to run alone: they
 * must read before they know what to lock; now a resolve step names their locks and they batch),
 * pgledger's own workload against a pgledger-shaped function, and transfers while 20 requests a
 * second create wallets that already exist (a failing neighbour must cost nothing).
 */
import { WalletService } from '@goodgo/wallet-core';
import { createNodePostgresStore } from '@goodgo/wallet-pg/node-postgres';
import type pg from 'pg';
import { comparer, type Comparison } from './group-commit.js';
import { seedWallets } from './library-pg.js';
import type { Report } from './report.js';
import { closedLoop, ratio, round, type Run } from './stats.js';

const SECTION = '2c. one road: every command batches';
const fmt = (r: Run) => `${round(r.perSecond)}/s p50 ${round(r.p50, 1)} ms p99 ${round(r.p99, 1)} ms${r.errors ? ` (${r.errors} errors)` : ''}`;

/**
 * pgledger's transfer as pgledger writes it (pgr0ss/pgledger, pgledger_create_transfers): accounts
 * locked one statement each in id order, both balances and versions updated, one transfer row and
 * one entry per account with its balance before and after. Our own code, on its own tables in the
 * bench's database; one call, one round trip, per transfer.
 */
const PGLEDGER = `
CREATE TABLE IF NOT EXISTS bench_pgl_accounts (id uuid PRIMARY KEY, name text NOT NULL, currency text NOT NULL, balance numeric NOT NULL DEFAULT 0,
  version bigint NOT NULL DEFAULT 0, allow_negative_balance boolean NOT NULL DEFAULT true, allow_positive_balance boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS bench_pgl_transfers (id uuid PRIMARY KEY, from_account_id uuid NOT NULL REFERENCES bench_pgl_accounts(id),
  to_account_id uuid NOT NULL REFERENCES bench_pgl_accounts(id), amount numeric NOT NULL CHECK (amount > 0), created_at timestamptz NOT NULL,
  event_at timestamptz NOT NULL, metadata jsonb);
CREATE TABLE IF NOT EXISTS bench_pgl_entries (id uuid PRIMARY KEY, account_id uuid NOT NULL REFERENCES bench_pgl_accounts(id),
  transfer_id uuid NOT NULL REFERENCES bench_pgl_transfers(id), amount numeric NOT NULL, account_previous_balance numeric NOT NULL,
  account_current_balance numeric NOT NULL, account_version bigint NOT NULL, created_at timestamptz NOT NULL, event_at timestamptz NOT NULL);
CREATE INDEX IF NOT EXISTS bench_pgl_entries_account_idx ON bench_pgl_entries (account_id, account_version);
CREATE OR REPLACE FUNCTION bench_pgl_create_transfer(p_from uuid, p_to uuid, p_amount numeric) RETURNS uuid LANGUAGE plpgsql AS $$
DECLARE
  a record;
  f bench_pgl_accounts;
  t bench_pgl_accounts;
  v_id uuid := gen_random_uuid();
  v_now timestamptz := now();
BEGIN
  IF p_from = p_to THEN RAISE EXCEPTION 'cannot transfer to the same account'; END IF;
  FOR a IN SELECT unnest(ARRAY[p_from, p_to]) AS id ORDER BY 1 LOOP
    PERFORM 1 FROM bench_pgl_accounts WHERE id = a.id FOR UPDATE;
  END LOOP;
  UPDATE bench_pgl_accounts SET balance = balance - p_amount, version = version + 1, updated_at = v_now WHERE id = p_from RETURNING * INTO f;
  UPDATE bench_pgl_accounts SET balance = balance + p_amount, version = version + 1, updated_at = v_now WHERE id = p_to RETURNING * INTO t;
  IF f.currency <> t.currency THEN RAISE EXCEPTION 'currency mismatch'; END IF;
  IF NOT f.allow_negative_balance AND f.balance < 0 THEN RAISE EXCEPTION 'negative balance'; END IF;
  IF NOT t.allow_positive_balance AND t.balance > 0 THEN RAISE EXCEPTION 'positive balance'; END IF;
  INSERT INTO bench_pgl_transfers (id, from_account_id, to_account_id, amount, created_at, event_at) VALUES (v_id, p_from, p_to, p_amount, v_now, v_now);
  INSERT INTO bench_pgl_entries (id, account_id, transfer_id, amount, account_previous_balance, account_current_balance, account_version, created_at, event_at)
  VALUES (gen_random_uuid(), p_from, v_id, -p_amount, f.balance + p_amount, f.balance, f.version, v_now, v_now),
         (gen_random_uuid(), p_to, v_id, p_amount, t.balance - p_amount, t.balance, t.version, v_now, v_now);
  RETURN v_id;
END;
$$`;

export async function benchOneRoad(report: Report, pool: pg.Pool, ids: readonly string[], seconds: number): Promise<void> {
  const database = (await pool.query<{ db: string }>('SELECT current_database() AS db')).rows[0]?.db ?? '';
  const batches = { sizes: [] as number[] };
  const store = await createNodePostgresStore({ pool, searchPathOnConnect: true, migrate: false, onBatch: (size) => batches.sizes.push(size) });
  const service = new WalletService({ store });
  const compare = comparer(database, (seconds * 1000) / 2, batches);
  const note = (label: string, r: Comparison, what: [string, string]) =>
    report.note(
      `${label}: batches p50 ${r.batchP50} / p99 ${r.batchP99} commands; CPU per 1 000 commands: ${what[0]} Node ${r.cpuOurs.node} ms + PostgreSQL ${r.cpuOurs.postgres} ms, ${what[1]} Node ${r.cpuBase.node} ms + PostgreSQL ${r.cpuBase.postgres} ms`,
    );
  // Transfers among the first half of the wallets; holds on the second half, so that no transfer
  // pays for reading holds it does not touch.
  const payers = ids.slice(0, ids.length / 2);
  const holders = ids.slice(ids.length / 2);
  const pick = (from: readonly string[]) => from[Math.floor(Math.random() * from.length)] as string;
  const pair = () => {
    const a = pick(payers);
    let b = pick(payers);
    while (b === a) b = pick(payers);
    return [a, b] as const;
  };
  const refundable: string[] = [];
  const transfer = async () => {
    const [from, to] = pair();
    const r = await service.transfer({ fromWalletId: from, toWalletId: to, amount: '2' });
    refundable.push(r.transaction.id);
  };

  // Captures: holds placed before the rounds (as many as three rounds can capture, with room).
  const holdCount = Math.round(Math.max(20_000, seconds * 10_000));
  const holdIds: string[] = [];
  for (let placed = 0; placed < holdCount; placed += 2_000) {
    const placedNow = await Promise.all(Array.from({ length: 2_000 }, () => service.placeHold({ walletId: pick(holders), amount: '1' })));
    holdIds.push(...placedNow.map((h) => h.id));
  }
  const captures = await compare(
    64,
    async () => {
      const holdId = holdIds.pop();
      if (holdId === undefined) throw new Error('no hold left to capture');
      return service.captureHold({ holdId });
    },
    transfer,
  );
  report.add({
    section: SECTION,
    case: 'captures per second ÷ transfers per second, 64 callers',
    ours: `captures ${fmt(captures.ours)}; batches p50 ${captures.batchP50} p99 ${captures.batchP99}`,
    baseline: `transfers ${fmt(captures.base)}`,
    ratio: ratio(captures.ours.perSecond, captures.base.perSecond),
    target: '≥ 0.8',
    met: captures.ours.perSecond >= 0.8 * captures.base.perSecond,
  });
  note('captures vs transfers, 64 callers', captures, ['captures', 'transfers']);

  // Refunds of the transfers made so far (each refunded once, in full), against more transfers.
  await closedLoop(64, 1_000, transfer, 0);
  const refunds = await compare(
    64,
    async () => {
      const id = refundable.pop();
      if (id === undefined) throw new Error('no transfer left to refund');
      return service.refund({ transactionId: id });
    },
    transfer,
  );
  report.add({
    section: SECTION,
    case: 'refunds per second ÷ transfers per second, 64 callers',
    ours: `refunds ${fmt(refunds.ours)}; batches p50 ${refunds.batchP50} p99 ${refunds.batchP99}`,
    baseline: `transfers ${fmt(refunds.base)}`,
    ratio: ratio(refunds.ours.perSecond, refunds.base.perSecond),
    target: '≥ 0.8',
    met: refunds.ours.perSecond >= 0.8 * refunds.base.perSecond,
  });
  note('refunds vs transfers, 64 callers', refunds, ['refunds', 'transfers']);

  // Transfers while 20 requests a second open a wallet that exists: each must fail alone.
  const existing = (await pool.query<{ user_id: string }>('SELECT user_id FROM wallets WHERE id = ANY($1::uuid[])', [payers.slice(0, 100)])).rows;
  let refused = 0;
  let created = 0;
  // The creates run for the whole round, not per call: a side that starts and stops its timer.
  let creating: NodeJS.Timeout | undefined;
  const withCreates = async () => {
    creating ??= setInterval(() => {
      const user = existing[Math.floor(Math.random() * existing.length)]?.user_id ?? 'nobody';
      service.createWallet({ userId: user, currency: 'VND' }).then(
        () => created++,
        () => refused++,
      );
    }, 50);
    return transfer();
  };
  const neighbours = await compare(64, withCreates, async () => {
    if (creating) {
      clearInterval(creating);
      creating = undefined;
    }
    return transfer();
  });
  if (creating) clearInterval(creating);
  report.add({
    section: SECTION,
    case: 'transfers/s while 20 creates/s of wallets that exist run beside them ÷ without, 64 callers',
    ours: `${fmt(neighbours.ours)} (${refused} creates refused, ${created} created); batches p50 ${neighbours.batchP50} p99 ${neighbours.batchP99}`,
    baseline: `without ${fmt(neighbours.base)}`,
    ratio: ratio(neighbours.ours.perSecond, neighbours.base.perSecond),
    target: '≥ 0.9',
    met: neighbours.ours.perSecond >= 0.9 * neighbours.base.perSecond,
  });
  note('transfers with failing creates beside', neighbours, ['with creates', 'without']);

  // pgledger's own workload: 50 accounts, 20 workers, each transfer between a random pair.
  await pool.query(PGLEDGER);
  const ledger = (await seedWallets(pool, 50, 'pgl-')).ids;
  const accounts = (
    await pool.query<{ id: string }>(
      `INSERT INTO bench_pgl_accounts (id, name, currency) SELECT gen_random_uuid(), 'acct', 'USD' FROM generate_series(1, 50) RETURNING id`,
    )
  ).rows.map((r) => r.id);
  const randomPair = (from: readonly string[]) => {
    const a = Math.floor(Math.random() * from.length);
    let b = Math.floor(Math.random() * (from.length - 1));
    if (b >= a) b++;
    return [from[a] as string, from[b] as string] as const;
  };
  const amount = () => String(1 + Math.floor(Math.random() * 1000));
  const pgledger = await compare(
    20,
    () => {
      const [from, to] = randomPair(ledger);
      return service.transfer({ fromWalletId: from, toWalletId: to, amount: amount() });
    },
    () => {
      const [from, to] = randomPair(accounts);
      return pool.query({ name: 'bench_pgl_transfer', text: 'SELECT bench_pgl_create_transfer($1, $2, $3)', values: [from, to, amount()] });
    },
  );
  report.add({
    section: SECTION,
    case: "pgledger's own workload: 50 accounts, 20 workers, random pairs",
    ours: `${fmt(pgledger.ours)}; batches p50 ${pgledger.batchP50} p99 ${pgledger.batchP99}`,
    baseline: `pgledger-shaped call ${fmt(pgledger.base)}`,
    ratio: ratio(pgledger.ours.perSecond, pgledger.base.perSecond),
    target: '≥ 2.0',
    met: pgledger.ours.perSecond >= 2 * pgledger.base.perSecond,
  });
  note("pgledger's workload", pgledger, ['library', 'pgledger-shaped call']);
  report.raw.one_road = { captures, refunds, neighbours, pgledger };
}
