/** Reconciliation: read-only, set-based, one statement per check. @internal */
import { CREDIT_TRANSACTION_TYPES } from '@goodgo/wallet-core';
import { named as s } from './statement.js';

/** `isCredit`: a ledger row's amount signed as it moves the balance. */
const SIGNED = `CASE WHEN t.type IN (${CREDIT_TRANSACTION_TYPES.map((v) => `'${v}'`).join(', ')}) THEN t.amount ELSE -t.amount END`;
export const reconcileCounts = s(
  'reconcile_counts',
  `SELECT (SELECT count(*) FROM wallets)::int AS wallets, (SELECT count(*) FROM point_accounts)::int AS point_accounts,
     ((SELECT count(*) FROM wallet_transactions) + (SELECT count(*) FROM point_transactions))::int AS ledger_rows`,
);
export const reconcileBalances = s(
  'reconcile_balances',
  `SELECT w.id, w.balance::text AS balance, coalesce(sum(${SIGNED}), 0)::text AS ledger
   FROM wallets w LEFT JOIN wallet_transactions t ON t.wallet_id = w.id
   GROUP BY w.id, w.balance HAVING w.balance <> coalesce(sum(${SIGNED}), 0)`,
);
/** Each row against its predecessor in the same wallet: balanceAfter and the hash chain. */
export const reconcileChains = s(
  'reconcile_chains',
  `SELECT id, balance_after::text AS balance_after, expected_after::text AS expected_after, balance_after = expected_after AS after_ok, hash_ok FROM (
     SELECT t.id, t.balance_after,
       coalesce(lag(t.balance_after) OVER w, 0) + ${SIGNED} AS expected_after,
       t.hash = wallet_transaction_hash(lag(t.hash) OVER w, t) AS hash_ok
     FROM wallet_transactions t WINDOW w AS (PARTITION BY t.wallet_id ORDER BY t.seq)) x
   WHERE balance_after <> expected_after OR NOT hash_ok`,
);
export const reconcileTransfers = s(
  'reconcile_transfers',
  `SELECT t.transfer_id AS id, count(*)::int AS rows, sum(${SIGNED})::text AS net FROM wallet_transactions t
   WHERE t.transfer_id IS NOT NULL GROUP BY t.transfer_id HAVING count(*) <> 2 OR sum(${SIGNED}) <> 0`,
);
export const reconcilePoints = s(
  'reconcile_points',
  `SELECT a.id, a.available_points::text AS available, a.pending_points::text AS pending,
     coalesce(l.available, 0)::text AS lot_available, coalesce(l.pending, 0)::text AS lot_pending
   FROM point_accounts a LEFT JOIN (
     SELECT account_id, sum(remaining) FILTER (WHERE status = 'active') AS available, sum(points) FILTER (WHERE status = 'pending') AS pending
     FROM point_lots GROUP BY account_id) l ON l.account_id = a.id
   WHERE a.available_points <> coalesce(l.available, 0) OR a.pending_points <> coalesce(l.pending, 0)`,
);
/**
 * The stored held amount of each wallet against what its holds and allowances stored as active
 * reserve, and its count of active allowances (what a lock loads).
 */
export const reconcileHeld = s(
  'reconcile_held',
  `SELECT w.id, w.held_amount::text AS held, (coalesce(h.active, 0) + coalesce(a.active, 0))::text AS active,
     w.active_allowances, coalesce(a.count, 0)::int AS allowances
   FROM wallets w
   LEFT JOIN (SELECT wallet_id, sum(amount) AS active FROM holds WHERE status = 'active' GROUP BY wallet_id) h ON h.wallet_id = w.id
   LEFT JOIN (SELECT wallet_id, sum(amount - spent_amount) AS active, count(*) AS count FROM allowances WHERE status = 'active' GROUP BY wallet_id) a
     ON a.wallet_id = w.id
   WHERE w.held_amount <> coalesce(h.active, 0) + coalesce(a.active, 0) OR w.active_allowances <> coalesce(a.count, 0)`,
);
/** Each points row against the previous row of its account: pending and cancel rows leave available points as they were. */
export const reconcilePointChains = s(
  'reconcile_point_chains',
  `SELECT id, balance_after::text AS balance_after, expected_after::text AS expected_after FROM (
     SELECT t.id, t.balance_after,
       coalesce(lag(t.balance_after) OVER w, 0) + CASE WHEN t.type IN ('pending', 'cancel') THEN 0 ELSE t.points END AS expected_after
     FROM point_transactions t WINDOW w AS (PARTITION BY t.account_id ORDER BY t.seq)) x
   WHERE balance_after <> expected_after`,
);
