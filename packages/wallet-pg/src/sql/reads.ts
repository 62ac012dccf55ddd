/**
 * The store's reads outside a batch: wallets, holds and point accounts as a reader sees them,
 * points history pages, the facts a resolve step reads, and the purge of old keys. @internal
 */
import {
  ACTIVE_ALLOWANCES_JSON,
  ALLOWANCE_COLUMNS,
  HOLD_COLUMNS,
  LOT_COLUMNS,
  POINT_TX_PAGE_COLUMNS,
  WALLET_TX_COLUMNS,
  activeHoldsJson,
  pointAccounts,
  wallets,
} from './columns.js';
import { OPEN_LOT, dueLotSql } from './lots.js';
import { jsonArray, named as s, oneJsonRow, shapes, type Statement } from './statement.js';

// The reads a batch of readers shares (see read-batches.ts): `$1` the keys, `$2` each key's instant,
// `n` the reader's place in the batch (a key asked for twice answers twice). The `= ANY($1)`
// beside the join lets the planner probe the index by the array; joined to unnest alone it
// guesses a hundred keys and may scan the whole table.
/** A wallet (`w`) as its reader (`k`) sees it at its instant, with the holds and allowances that count. */
// Not its chain head: that is the writer's, read with the wallet's lock.
const WALLET_AS_READ = `${wallets.select({ alias: 'w', omit: ['chain_head'] })}, ${activeHoldsJson('k.as_of')}, ${ACTIVE_ALLOWANCES_JSON}`;
const BATCHED_WALLET = `k.n::int AS n, ${WALLET_AS_READ}`;
/** Wallets by id, each as its reader sees it at its own instant. */
export const getWallets = s(
  'get_wallets',
  oneJsonRow(
    `SELECT ${BATCHED_WALLET} FROM wallets w JOIN unnest($1::uuid[], $2::timestamptz[]) WITH ORDINALITY AS k(id, as_of, n) ON k.id = w.id
     WHERE w.id = ANY($1::uuid[])`,
  ),
);
/** Each user's wallets, oldest first, grouped by reader. */
export const listWallets = s(
  'list_wallets_of',
  oneJsonRow(
    `SELECT ${BATCHED_WALLET} FROM wallets w JOIN unnest($1::text[], $2::timestamptz[]) WITH ORDINALITY AS k(user_id, as_of, n) ON k.user_id = w.user_id
     WHERE w.user_id = ANY($1::text[])`,
    'b.n, b.created_at, b.id',
  ),
);

/** Holds by id with their wallets' currency; also the resolve step's read of holds' wallets. */
export const getHolds = s('get_hold', `SELECT ${HOLD_COLUMNS}, w.currency FROM holds h JOIN wallets w ON w.id = h.wallet_id WHERE h.id = ANY($1::uuid[])`);
/** The status filters of a page of holds or allowances. */
export type StatusFilter = 'any' | 'active' | 'expired' | 'plain';
/**
 * A wallet's holds or allowances, newest first, by keyset; the status filter is what a reader sees
 * at `$now`: an active one past `until` (a hold's expiry, an allowance's settle_by) is expired.
 * One text per combination, each an index range scan.
 */
function statusPages(table: 'holds' | 'allowances', alias: string, columns: string, until: string): Record<StatusFilter, Statement> {
  const filters: Record<StatusFilter, string> = {
    any: '',
    active: `AND ${alias}.status = 'active' AND ${alias}.${until} > $4::timestamptz`,
    expired: `AND (${alias}.status = 'expired' OR (${alias}.status = 'active' AND ${alias}.${until} <= $4::timestamptz))`,
    plain: `AND ${alias}.status = $4::text`,
  };
  const page = (filter: StatusFilter) =>
    s(
      `${table}_${filter}`,
      `SELECT ${columns}, w.currency FROM ${table} ${alias} JOIN wallets w ON w.id = ${alias}.wallet_id
     WHERE ${alias}.wallet_id = $1 AND ($3::bigint IS NULL OR ${alias}.seq < $3) ${filters[filter]} ORDER BY ${alias}.seq DESC LIMIT $2`,
    );
  return { any: page('any'), active: page('active'), expired: page('expired'), plain: page('plain') };
}
export const holdPages = statusPages('holds', 'h', HOLD_COLUMNS, 'expires_at');

/** Allowances by id with their wallets' currency; also the resolve step's read of allowances' wallets. */
export const getAllowances = s(
  'get_allowance',
  `SELECT ${ALLOWANCE_COLUMNS}, w.currency FROM allowances a JOIN wallets w ON w.id = a.wallet_id WHERE a.id = ANY($1::uuid[])`,
);
export const allowancePages = statusPages('allowances', 'a', ALLOWANCE_COLUMNS, 'settle_by');

/** A point account (`p`: `a` is an allowance's alias in a wallet's read) with its open lots. */
const ACCOUNT_AS_READ = `${pointAccounts.select({ alias: 'p' })}, ${jsonArray(`SELECT ${LOT_COLUMNS} FROM point_lots l WHERE l.account_id = p.id AND ${OPEN_LOT}`)} AS lots`;
/** Users' point accounts with their open lots, by reader. */
export const getAccounts = s(
  'get_accounts',
  oneJsonRow(
    `SELECT k.n::int AS n, ${ACCOUNT_AS_READ}
     FROM point_accounts p JOIN unnest($1::text[]) WITH ORDINALITY AS k(user_id, n) ON k.user_id = p.user_id WHERE p.user_id = ANY($1::text[])`,
  ),
);
/**
 * A user's balances, one row per reader: the point account with its open lots (its columns null
 * when there is none) and the user's wallets, oldest first, as `listWallets` reads them, in one
 * JSON array (numbers as text, as everywhere). One statement where the summary once sent two.
 */
export const getUserBalances = s(
  'user_balances',
  oneJsonRow(
    `SELECT k.n::int AS n, ${ACCOUNT_AS_READ},
       ${jsonArray(`SELECT ${WALLET_AS_READ} FROM wallets w WHERE w.user_id = k.user_id`, 'x.created_at, x.id')} AS wallets
     FROM unnest($1::text[], $2::timestamptz[]) WITH ORDINALITY AS k(user_id, as_of, n)
     LEFT JOIN point_accounts p ON p.user_id = k.user_id AND p.user_id = ANY($1::text[])`,
  ),
);

/** Which filters a points history page has: each combination is a statement of its own. */
export interface PointPageShape {
  type: boolean;
  metadata: boolean;
  before: boolean;
}

/** A points history page, newest first. Parameters: account id, limit, then each present filter in the order of `PointPageShape`. */
export const pointTransactionPage = shapes<keyof PointPageShape>(['type', 'metadata', 'before'], (shape, id) => {
  let next = 3;
  const where: string[] = [];
  if (shape.type) where.push(`type = $${next++}`);
  // In point_transactions_account_metadata_idx's expression: the filter and the account as one more label (see schema.ts);
  // metadata IS NOT NULL is its partial predicate stated outright, as on the wallet page (sql/books.ts).
  if (shape.metadata)
    where.push(
      `metadata IS NOT NULL AND (metadata || jsonb_object(ARRAY['$a', account_id::text])) @> ($${next++}::jsonb || jsonb_object(ARRAY['$a', $1::text]))`,
    );
  if (shape.before) where.push(`seq < $${next++}::bigint`);
  return s(
    `ptx_page_${id}`,
    `SELECT ${POINT_TX_PAGE_COLUMNS} FROM point_transactions WHERE account_id = $1 ${where.map((c) => `AND ${c}`).join(' ')} ORDER BY seq DESC LIMIT $2`,
  );
});

// ---- the resolve step: facts that never change, read without a lock before a command joins a
// batch; each by an array of ids, for every command that asked while the last read was in flight.
/** Ledger rows by id, each with the other wallet of its transfer pair. */
export const findWalletTransactions = s(
  'find_wtx',
  `SELECT ${WALLET_TX_COLUMNS}, (SELECT c.wallet_id FROM wallet_transactions c
     WHERE t.transfer_id IS NOT NULL AND c.transfer_id = t.transfer_id AND c.id <> t.id AND c.type IN ('transfer_in', 'transfer_out')
     LIMIT 1) AS counterpart_wallet_id
   FROM wallet_transactions t JOIN wallets w ON w.id = t.wallet_id WHERE t.id = ANY($1::uuid[])`,
);
export const pointTransactionOwners = s(
  'ptx_owner',
  'SELECT t.id, a.user_id FROM point_transactions t JOIN point_accounts a ON a.id = t.account_id WHERE t.id = ANY($1::uuid[])',
);
/** A wallet's owner: a fact (a wallet never changes hands), read without a lock by a split payment's resolve step. */
export const walletOwners = s('wallet_owner', 'SELECT id, user_id FROM wallets WHERE id = ANY($1::uuid[])');
export const lotOwners = s('lot_owner', 'SELECT l.id, a.user_id FROM point_lots l JOIN point_accounts a ON a.id = l.account_id WHERE l.id = ANY($1::uuid[])');
/** A scan, not a fact: the unit decides under the lock what is due. */
export const usersWithDueLots = s(
  'due_users',
  `SELECT a.user_id FROM point_accounts a WHERE a.id IN (SELECT account_id FROM point_lots WHERE ${dueLotSql('$1')})`,
);

// Oldest first, a bounded batch, skipping keys a running command holds (SKIP LOCKED): a purge
// never waits for a command and a command never waits long for a purge (created_at is indexed).
export const purgeIdempotencyKeys = s(
  'purge_keys',
  `WITH due AS (
     SELECT scope, key FROM idempotency_keys WHERE created_at < $1 ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED
   ), gone AS (
     DELETE FROM idempotency_keys k USING due WHERE k.scope = due.scope AND k.key = due.key RETURNING 1
   )
   SELECT count(*)::int AS purged FROM gone`,
);
