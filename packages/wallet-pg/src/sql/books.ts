/**
 * The statements that read the books: history pages with filters, a balance at an instant, a
 * statement of a period, and the admin search of wallets. Each may run on a read replica (see
 * `SqlStoreOptions.readDriver`): none writes, none locks, none needs a transaction.
 * @internal
 */
import { ACTIVE_ALLOWANCES_JSON, WALLET_TX_COLUMNS, activeHoldsJson, wallets } from './columns.js';
import type { PagedListing } from '@goodgo/wallet-core';
import { named as s, shapes, type Statement } from './statement.js';

/**
 * The last row of a wallet at an instant, in (created_at, seq) order: one backward probe of
 * wallet_transactions_wallet_time_idx, however long the wallet's history.
 */
const lastRow = (bound: '<=' | '<', at: string) =>
  `SELECT balance_after::text FROM wallet_transactions WHERE wallet_id = $1 AND created_at ${bound} ${at}::timestamptz ORDER BY created_at DESC, seq DESC LIMIT 1`;

export const balanceAt = {
  inclusive: s('balance_at', `SELECT (${lastRow('<=', '$2')}) AS balance`),
  exclusive: s('balance_before', `SELECT (${lastRow('<', '$2')}) AS balance`),
};

/** Opening, closing, and per type the sum and count of the period's rows: two probes and one range scan. */
export const walletStatement = s(
  'statement',
  `SELECT (${lastRow('<', '$2')}) AS opening, (${lastRow('<', '$3')}) AS closing,
     (SELECT coalesce(jsonb_agg(jsonb_build_object('type', type, 'amount', amount::text, 'count', n)), '[]'::jsonb) FROM (
        SELECT type, sum(amount) AS amount, count(*) AS n FROM wallet_transactions
        WHERE wallet_id = $1 AND created_at >= $2::timestamptz AND created_at < $3::timestamptz GROUP BY type) x) AS totals`,
);

/** Which filters a history page has: each combination is a statement of its own. */
export interface WalletPageShape {
  type: boolean;
  reference: boolean;
  from: boolean;
  to: boolean;
  metadata: boolean;
  before: boolean;
}

/**
 * One text per filter combination, prepared once each, so that every page is a plain index scan:
 * without a period, in seq order (wallet_seq, wallet_type_seq or wallet_reference index); with
 * one, in (created_at, seq) order on wallet_time (the cursor's row is found by its seq, and the
 * page continues strictly below it). Parameters: wallet id, limit, then each present filter in
 * the order of `WalletPageShape`.
 */
export const walletTransactionPage = shapes<keyof WalletPageShape>(['type', 'reference', 'from', 'to', 'metadata', 'before'], (shape, id) => {
  let next = 3;
  const where: string[] = [];
  if (shape.type) where.push(`t.type = $${next++}`);
  if (shape.reference) where.push(`t.reference = $${next++}`);
  if (shape.from) where.push(`t.created_at >= $${next++}::timestamptz`);
  if (shape.to) where.push(`t.created_at < $${next++}::timestamptz`);
  // Containment of the filter and the wallet as one more label, in wallet_transactions_wallet_metadata_idx's
  // own expression, so the index intersects the label's rows with the wallet's (see schema.ts).
  // metadata IS NOT NULL is the index's partial predicate stated outright; it changes no answer (the
  // expression is NULL without metadata). PostgreSQL 15 also proves it from the strict || and @>
  // (same plan without it), but the index being usable should not rest on that proof.
  if (shape.metadata)
    where.push(
      `t.metadata IS NOT NULL AND (t.metadata || jsonb_object(ARRAY['$w', t.wallet_id::text])) @> ($${next++}::jsonb || jsonb_object(ARRAY['$w', $1::text]))`,
    );
  const timed = shape.from || shape.to;
  if (shape.before) {
    const p = `$${next++}::bigint`;
    where.push(
      timed ? `(t.created_at, t.seq) < (SELECT c.created_at, c.seq FROM wallet_transactions c WHERE c.wallet_id = $1 AND c.seq = ${p})` : `t.seq < ${p}`,
    );
  }
  const order = timed ? 't.created_at DESC, t.seq DESC' : 't.seq DESC';
  return s(
    `wtx_page_${id}`,
    `SELECT ${WALLET_TX_COLUMNS} FROM wallet_transactions t JOIN wallets w ON w.id = t.wallet_id
     WHERE t.wallet_id = $1 ${where.map((c) => `AND ${c}`).join(' ')} ORDER BY ${order} LIMIT $2`,
  );
});

export interface WalletSearchShape {
  userId: boolean;
  status: boolean;
  currency: boolean;
  after: boolean;
}

/**
 * Wallets newest first by (created_at, id), keyset after the cursor's wallet. One text per filter
 * combination: a status or currency filter scans its own (column, created_at, id) index, a user's
 * wallets come from wallets_user_idx. Parameters: limit, the instant the holds loaded still count
 * at (null for all), then each present filter in order.
 */
export const walletSearch = shapes<keyof WalletSearchShape>(['userId', 'status', 'currency', 'after'], (shape, id) => {
  let next = 3;
  const where: string[] = [];
  if (shape.userId) where.push(`w.user_id = $${next++}`);
  if (shape.status) where.push(`w.status = $${next++}`);
  if (shape.currency) where.push(`w.currency = $${next++}`);
  if (shape.after) where.push(`(w.created_at, w.id) < (SELECT c.created_at, c.id FROM wallets c WHERE c.id = $${next++}::uuid)`);
  return s(
    `search_wallets_${id}`,
    `SELECT ${wallets.select({ alias: 'w' })}, ${activeHoldsJson('$2')}, ${ACTIVE_ALLOWANCES_JSON} FROM wallets w
     ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY w.created_at DESC, w.id DESC LIMIT $1`,
  );
});

/**
 * Whether a cursor's position is a row of its listing: one probe of the listing's own
 * (scope, seq) index, or of the wallets' primary key for the admin search. Parameters: scope,
 * position (`wallets`: the wallet id only).
 */
export const cursorRow = {
  walletTransactions: s('cursor_wallet_tx', 'SELECT EXISTS (SELECT 1 FROM wallet_transactions WHERE wallet_id = $1 AND seq = $2::bigint) AS found'),
  pointTransactions: s('cursor_point_tx', 'SELECT EXISTS (SELECT 1 FROM point_transactions WHERE account_id = $1 AND seq = $2::bigint) AS found'),
  holds: s('cursor_hold', 'SELECT EXISTS (SELECT 1 FROM holds WHERE wallet_id = $1 AND seq = $2::bigint) AS found'),
  allowances: s('cursor_allowance', 'SELECT EXISTS (SELECT 1 FROM allowances WHERE wallet_id = $1 AND seq = $2::bigint) AS found'),
  wallets: s('cursor_wallet', 'SELECT EXISTS (SELECT 1 FROM wallets WHERE id = $1::uuid) AS found'),
} satisfies Record<PagedListing, Statement>;
