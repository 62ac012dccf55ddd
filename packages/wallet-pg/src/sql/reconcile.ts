/**
 * Reconciliation's statements: read-only, each bounded by its page (wallet-pg's reconcile.ts walks
 * them), and the statements of the signed checkpoints (checkpoints.ts). The SQL's type lists come
 * from the core's. @internal
 */
import { CREDIT_TRANSACTION_TYPES, POINTS_NOT_AVAILABLE_TYPES } from '@goodgo/wallet-core';
import { named as s, sqlList as list } from './statement.js';
const CREDIT = `t.type IN ${list(CREDIT_TRANSACTION_TYPES)}`;

/** The first statement of a page's transaction: every read of the page on one snapshot. */
export const repeatableRead = s('rc_snapshot', 'SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');

export const walletPage = s('rc_wallets', 'SELECT id, user_id, currency, balance::text AS balance, chain_head FROM wallets WHERE id > $1 ORDER BY id LIMIT $2');

const ROW_COLUMNS = `t.seq::text AS seq, t.id, t.wallet_id, t.type, t.amount::text AS amount, t.balance_after::text AS balance_after, t.description,
     t.reference, t.transfer_id, t.hold_id, t.refund_of, t.actor->>'sub' AS actor_sub, t.actor->>'role' AS actor_role,
     (extract(epoch FROM t.created_at) * 1000000)::bigint::text AS created_us,
     (extract(epoch FROM t.occurred_at) * 1000000)::bigint::text AS occurred_us, t.allowance_id, t.allowance_seq::text AS allowance_seq, t.paired_with, t.metadata, t.hash, t.key_id`;
/**
 * A page of ledger rows in (wallet, seq) order from a cursor, up to the page's last wallet. A row
 * written before the chain was keyed is checked here, by the SQL function that hashed it, against
 * its predecessor (the page's previous row of its wallet, or `$5` for the first row of the wallet
 * the last page ended in), and only if it is older than the keyed chain (`$6`, the last unkeyed seq).
 */
export const rowPage = s(
  'rc_rows',
  `SELECT ${ROW_COLUMNS},
     t.key_id IS NULL AND t.seq <= $6::bigint AS unkeyed_past,
     CASE WHEN t.key_id IS NULL THEN
       t.hash = wallet_transaction_hash(coalesce(lag(t.hash) OVER w, CASE WHEN t.wallet_id = $1::uuid THEN $5::text END), t)
     END AS unkeyed_ok
   FROM wallet_transactions t
   WHERE (t.wallet_id, t.seq) > ($1::uuid, $2::bigint) AND t.wallet_id <= $3::uuid
   WINDOW w AS (PARTITION BY t.wallet_id ORDER BY t.seq)
   ORDER BY t.wallet_id, t.seq LIMIT $4`,
);
/** The wallets that gained rows after a position. */
export const changedWallets = s('rc_changed', 'SELECT DISTINCT wallet_id::text AS id FROM wallet_transactions WHERE seq > $1 ORDER BY 1');
export const walletsById = s(
  'rc_wallets_by_id',
  'SELECT id, user_id, currency, balance::text AS balance, chain_head FROM wallets WHERE id = ANY($1::uuid[]) ORDER BY id',
);
/** Each wallet's last row at or before a position: where a routine walk starts (one backward index probe per wallet). */
export const startRows = s(
  'rc_start_rows',
  `SELECT x.id AS wallet_id, r.seq, r.id AS row_id, r.hash, r.balance_after, r.key_id FROM unnest($1::uuid[]) AS x(id)
   CROSS JOIN LATERAL (SELECT t.seq::text AS seq, t.id, t.hash, t.balance_after::text AS balance_after, t.key_id FROM wallet_transactions t
     WHERE t.wallet_id = x.id AND t.seq <= $2 ORDER BY t.seq DESC LIMIT 1) r`,
);
/** A page of the rows after a position of some wallets, in (wallet, seq) order from a cursor. */
export const newRowPage = s(
  'rc_new_rows',
  `SELECT ${ROW_COLUMNS}, t.key_id IS NULL AND t.seq <= $6::bigint AS unkeyed_past, false AS unkeyed_ok
   FROM wallet_transactions t
   WHERE t.wallet_id = ANY($1::uuid[]) AND t.seq > $2 AND (t.wallet_id, t.seq) > ($3::uuid, $4::bigint)
   ORDER BY t.wallet_id, t.seq LIMIT $5`,
);
/** Rows by id, with their wallet: whether checkpointed heads are still there. */
export const rowsById = s('rc_rows_by_id', 'SELECT id, wallet_id, hash FROM wallet_transactions WHERE id = ANY($1::uuid[])');

/** The transfers with a row in a range of `seq`, each summed over all its rows, that do not balance. */
export const unbalancedTransfers = s(
  'rc_transfers',
  `SELECT g.id, g.rows, g.debits, g.credits, (SELECT w.currency FROM wallets w WHERE w.id = g.wallet_id) AS currency FROM (
     SELECT t.transfer_id AS id, count(*)::int AS rows, min(t.wallet_id::text)::uuid AS wallet_id,
       coalesce(sum(t.amount) FILTER (WHERE NOT ${CREDIT}), 0)::text AS debits, coalesce(sum(t.amount) FILTER (WHERE ${CREDIT}), 0)::text AS credits
     FROM wallet_transactions t
     WHERE t.transfer_id IN (SELECT transfer_id FROM wallet_transactions WHERE seq > $1 AND seq <= $2 AND transfer_id IS NOT NULL)
     GROUP BY t.transfer_id
     HAVING count(*) <> 2 OR coalesce(sum(t.amount) FILTER (WHERE NOT ${CREDIT}), 0) <> coalesce(sum(t.amount) FILTER (WHERE ${CREDIT}), 0)) g`,
);
export const seqBounds = s(
  'rc_seq',
  `SELECT coalesce(max(seq), 0)::text AS last, (SELECT coalesce(max(unkeyed_through), 0) FROM ledger_chain_start)::text AS unkeyed_through,
     (SELECT count(*) FROM wallets)::int AS wallets, (SELECT count(*) FROM point_accounts)::int AS point_accounts,
     (SELECT count(*) FROM point_transactions)::int AS point_rows FROM wallet_transactions`,
);
export const pointsAgainstLots = s(
  'rc_points',
  `SELECT a.id, a.available_points::text AS available, a.pending_points::text AS pending,
     coalesce(l.available, 0)::text AS lot_available, coalesce(l.pending, 0)::text AS lot_pending
   FROM point_accounts a LEFT JOIN (
     SELECT account_id, sum(remaining) FILTER (WHERE status = 'active') AS available, sum(points) FILTER (WHERE status = 'pending') AS pending
     FROM point_lots GROUP BY account_id) l ON l.account_id = a.id
   WHERE a.available_points <> coalesce(l.available, 0) OR a.pending_points <> coalesce(l.pending, 0)`,
);
/**
 * The stored held amount of each wallet against what its holds that count at its last change
 * (`updated_at`; those past expiry then are left out, marked or not) and its allowances stored as
 * active reserve, and its counts of active holds and allowances (what a lock loads).
 */
export const heldAgainstHolds = s(
  'rc_held',
  `SELECT w.id, w.currency, w.held_amount::text AS held, (coalesce(h.active, 0) + coalesce(a.active, 0))::text AS active,
     w.active_allowances, coalesce(a.count, 0)::int AS allowances
   FROM wallets w
   LEFT JOIN (SELECT x.wallet_id, sum(x.amount) FILTER (WHERE x.expires_at > y.updated_at) AS active, count(*) AS count
     FROM holds x JOIN wallets y ON y.id = x.wallet_id WHERE x.status = 'active' GROUP BY x.wallet_id) h ON h.wallet_id = w.id
   LEFT JOIN (SELECT wallet_id, sum(amount - spent_amount) AS active, count(*) AS count FROM allowances WHERE status = 'active' GROUP BY wallet_id) a
     ON a.wallet_id = w.id
   WHERE w.held_amount <> coalesce(h.active, 0) + coalesce(a.active, 0) OR w.active_allowances <> coalesce(a.count, 0)
     OR w.active_holds <> coalesce(h.count, 0)`,
);
/** Each points row against the previous row of its account. */
export const pointRowChains = s(
  'rc_point_rows',
  `SELECT id, balance_after::text AS balance_after, expected_after::text AS expected_after FROM (
     SELECT t.id, t.balance_after,
       coalesce(lag(t.balance_after) OVER w, 0) + CASE WHEN t.type IN ${list(POINTS_NOT_AVAILABLE_TYPES)} THEN 0 ELSE t.points END AS expected_after
     FROM point_transactions t WINDOW w AS (PARTITION BY t.account_id ORDER BY t.seq)) x
   WHERE balance_after <> expected_after`,
);

// ---- signed checkpoints --------------------------------------------------------------------------
export const allCheckpoints = s('cp_all', 'SELECT body FROM ledger_checkpoints ORDER BY seq');
export const latestCheckpoint = s(
  'cp_latest',
  'SELECT body FROM ledger_checkpoints WHERE run = (SELECT run FROM ledger_checkpoints ORDER BY seq DESC LIMIT 1) ORDER BY seq',
);
/** One publisher at a time, per schema: held to the end of the publishing transaction. Readers go on. */
export const lockCheckpoints = s('cp_lock', 'LOCK TABLE ledger_checkpoints IN EXCLUSIVE MODE');
export const insertCheckpoints = s(
  'cp_insert',
  `INSERT INTO ledger_checkpoints (id, run, body)
   SELECT (b->>'id')::uuid, (b->>'run')::uuid, b FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS x(b, ord) ORDER BY ord`,
);
