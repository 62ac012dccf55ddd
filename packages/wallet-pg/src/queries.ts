/**
 * Every statement the store sends, with the name it is prepared under. A command costs:
 * BEGIN, the idempotency claim (when keyed), one locking read (two for points: the account, then
 * its lots with a fresh snapshot), one write of everything, COMMIT.
 * @internal
 */
import { CREDIT_TRANSACTION_TYPES } from '@goodgo/wallet-core';
import { dueLotSql, openLotSql } from './lot-sql.js';

export interface Statement {
  readonly name: string;
  readonly text: string;
}

const s = (name: string, text: string): Statement => ({ name: `wallet_${name}`, text });

const WALLET_COLUMNS = 'id, user_id, currency, balance::text AS balance, held_amount::text AS held_amount, status, version, created_at, updated_at, closed_at';
const HOLD_COLUMNS =
  'h.seq::text AS position, h.id, h.wallet_id, h.amount::text AS amount, h.captured_amount::text AS captured_amount, h.status, h.reference, h.description, h.expires_at, h.created_at, h.updated_at';
/** A wallet's stored-active holds as one JSON array, for reads that need no lock. */
const ACTIVE_HOLDS_JSON = `(SELECT coalesce(jsonb_agg(row_to_json(x)), '[]'::jsonb) FROM (
    SELECT ${HOLD_COLUMNS} FROM holds h WHERE h.wallet_id = w.id AND h.status = 'active') x) AS holds`;
const ACCOUNT_COLUMNS =
  'id, user_id, total_points::text AS total_points, available_points::text AS available_points, pending_points::text AS pending_points, version, created_at, updated_at';
const LOT_COLUMNS = 'id, account_id, points::text AS points, remaining::text AS remaining, status, source, expires_at, created_at';
const OPEN_LOT = `(${openLotSql()})`;
const POINT_TX_COLUMNS =
  'id, account_id, type, points::text AS points, balance_after::text AS balance_after, source, description, expires_at, refund_of, actor, created_at';

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

// ORDER BY below FOR UPDATE: rows are locked in the order they are returned, ascending id,
// whatever order the command named them in. That one order is what keeps transfers in opposite
// directions from deadlocking.
export const lockWallets = s('lock_wallets', `SELECT ${WALLET_COLUMNS} FROM wallets WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`);
// ---- the batch: one statement per step for every command of it (a lone command is a batch of one) ----
// The batch's keys in one INSERT, in (scope, key) order: two batches claiming the same keys wait
// for each other in one order, never in a cycle. Arrays, not JSON: plain text travels inlined in
// the message that carries BEGIN, so a lone keyed command pays no round trip for its claim.
export const claimKeys = s(
  'claim_key',
  `INSERT INTO idempotency_keys (scope, key, fingerprint, created_at)
   SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[]) AS x(scope, key, fingerprint, created_at)
   ORDER BY scope, key
   ON CONFLICT (scope, key) DO NOTHING RETURNING scope, key`,
);
// The scope and key arrays let the planner probe the primary key ((scope, key) = ANY × ANY); the
// pairs are matched exactly in Node. A statement of its own, after the claim: after the INSERT
// waited for a concurrent holder of a key, only a new statement's snapshot sees its row.
export const readKeys = s(
  'read_key',
  `SELECT k.scope, k.key, k.fingerprint, k.response FROM idempotency_keys k WHERE k.scope = ANY($1::text[]) AND k.key = ANY($2::text[])`,
);
export const lockAccounts = s('lock_accounts', `SELECT ${ACCOUNT_COLUMNS} FROM point_accounts WHERE user_id = ANY($1::text[]) ORDER BY id FOR UPDATE`);
// Both kinds in one statement, in one fixed order: every wallet (by id), then every point account
// (by id); the target list's subqueries run left to right. Columns travel as JSON text.
export const lockWalletsAndAccounts = s(
  'lock_wallets_accounts',
  `WITH w AS MATERIALIZED (SELECT ${WALLET_COLUMNS} FROM wallets WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE),
     a AS MATERIALIZED (SELECT ${ACCOUNT_COLUMNS} FROM point_accounts WHERE user_id = ANY($2::text[]) ORDER BY id FOR UPDATE)
   SELECT (SELECT coalesce(jsonb_agg(to_jsonb(w)), '[]'::jsonb) FROM w) AS wallets,
     (SELECT coalesce(jsonb_agg(to_jsonb(a)), '[]'::jsonb) FROM a) AS accounts`,
);
// The (user, currency) pairs the batch opens wallets for that an open wallet holds already: those
// commands fail alone, before the write. A pair taken by a concurrent transaction after this read
// still fails the write statement on the unique key (the batch then runs one command at a time).
export const takenPairs = s('taken_pairs', `SELECT user_id, currency FROM wallets WHERE user_id = ANY($1::text[]) AND status <> 'closed'`);
// Sent only when a locked wallet's held_amount is not zero, and after the lock, in a statement of
// its own: its snapshot sees every hold committed by whoever held the lock before us (the
// locking statement's own snapshot may predate them).
export const activeHolds = s('active_holds', `SELECT ${HOLD_COLUMNS} FROM holds h WHERE h.wallet_id = ANY($1::uuid[]) AND h.status = 'active'`);

export const getWallet = s('get_wallet', `SELECT ${WALLET_COLUMNS}, ${ACTIVE_HOLDS_JSON} FROM wallets w WHERE id = $1`);
export const listWallets = s('list_wallets', `SELECT ${WALLET_COLUMNS}, ${ACTIVE_HOLDS_JSON} FROM wallets w WHERE user_id = $1 ORDER BY created_at, id`);

export const getHold = s('get_hold', `SELECT ${HOLD_COLUMNS}, w.currency FROM holds h JOIN wallets w ON w.id = h.wallet_id WHERE h.id = $1`);
/**
 * A wallet's holds, newest first, by keyset; the status filter is what a reader sees at `$now`:
 * an active hold past its expiry is expired. One text per combination, each an index range scan.
 */
const holdFilters = {
  any: '',
  active: "AND h.status = 'active' AND h.expires_at > $4::timestamptz",
  expired: "AND (h.status = 'expired' OR (h.status = 'active' AND h.expires_at <= $4::timestamptz))",
  plain: 'AND h.status = $4::text',
} as const;
export type HoldFilter = keyof typeof holdFilters;
const holdPage = (filter: HoldFilter) =>
  s(
    `holds_${filter}`,
    `SELECT ${HOLD_COLUMNS}, w.currency FROM holds h JOIN wallets w ON w.id = h.wallet_id
     WHERE h.wallet_id = $1 AND ($3::bigint IS NULL OR h.seq < $3) ${holdFilters[filter]} ORDER BY h.seq DESC LIMIT $2`,
  );
export const holdPages: Record<HoldFilter, Statement> = {
  any: holdPage('any'),
  active: holdPage('active'),
  expired: holdPage('expired'),
  plain: holdPage('plain'),
};

// Read after the account row is locked, in a statement of its own, so that it sees every lot
// change committed by whoever held the lock before us.
export const openLots = s('open_lots', `SELECT ${LOT_COLUMNS} FROM point_lots WHERE account_id = ANY($1::uuid[]) AND ${OPEN_LOT}`);
export const getAccount = s(
  'get_account',
  `SELECT ${ACCOUNT_COLUMNS}, (SELECT coalesce(jsonb_agg(row_to_json(x)), '[]'::jsonb) FROM (
     SELECT ${LOT_COLUMNS} FROM point_lots l WHERE l.account_id = a.id AND ${OPEN_LOT}) x) AS lots
   FROM point_accounts a WHERE user_id = $1`,
);
const WALLET_TX = `t.seq::text AS position, t.id, t.wallet_id, t.type, t.amount::text AS amount, t.balance_after::text AS balance_after,
  t.description, t.reference, t.transfer_id, t.hold_id, t.refund_of, t.actor, t.created_at, w.currency`;
/** A ledger row by id, with the other wallet of its transfer pair; rows never change, so no lock. */
export const findWalletTransaction = s(
  'find_wtx',
  `SELECT ${WALLET_TX}, (SELECT c.wallet_id FROM wallet_transactions c
     WHERE t.transfer_id IS NOT NULL AND c.transfer_id = t.transfer_id AND c.id <> t.id AND c.type IN ('transfer_in', 'transfer_out')
     LIMIT 1) AS counterpart_wallet_id
   FROM wallet_transactions t JOIN wallets w ON w.id = t.wallet_id WHERE t.id = $1`,
);
/** After the lock on their wallets: what refunds gave back of each row named (every refund of a row locks its wallet). */
export const refundedAmounts = s(
  'refunded_amounts',
  `SELECT o.id, o.wallet_id, coalesce((SELECT sum(r.amount) FROM wallet_transactions r WHERE r.refund_of = o.id AND r.type = 'refund_in'), 0)::text AS refunded
   FROM wallet_transactions o WHERE o.id = ANY($1::uuid[])`,
);
/**
 * After the lock on their accounts: each points row named, the account's open lots and every lot
 * the rows moved points of (open or not), and per lot what the row moved and what its refunds or
 * reversals (rows whose refund_of names it) claimed back.
 */
export const transactionLots = s(
  'tx_lots',
  `SELECT
     (SELECT coalesce(jsonb_agg(row_to_json(t)), '[]'::jsonb) FROM (
        SELECT ${POINT_TX_COLUMNS} FROM point_transactions WHERE id = ANY($1::uuid[])) t) AS transactions,
     (SELECT coalesce(jsonb_agg(row_to_json(x)), '[]'::jsonb) FROM (
        SELECT ${LOT_COLUMNS} FROM point_lots WHERE account_id = ANY($2::uuid[])
          AND (${OPEN_LOT} OR id IN (SELECT lot_id FROM point_allocations WHERE transaction_id = ANY($1::uuid[])))) x) AS lots,
     (SELECT coalesce(jsonb_agg(row_to_json(c)), '[]'::jsonb) FROM (
        SELECT a.transaction_id, a.lot_id, a.points::text AS points,
          (SELECT coalesce(sum(b.points), 0) FROM point_allocations b JOIN point_transactions r ON r.id = b.transaction_id
           WHERE r.refund_of = a.transaction_id AND b.lot_id = a.lot_id)::text AS claimed_back
        FROM point_allocations a WHERE a.transaction_id = ANY($1::uuid[])) c) AS claims`,
);

// ---- the resolve step: immutable facts, read without a lock before a command joins a batch ----
export const pointTransactionOwner = s('ptx_owner', 'SELECT a.user_id FROM point_transactions t JOIN point_accounts a ON a.id = t.account_id WHERE t.id = $1');
export const lotOwner = s('lot_owner', 'SELECT a.user_id FROM point_lots l JOIN point_accounts a ON a.id = l.account_id WHERE l.id = $1');
export const usersWithDueLots = s(
  'due_users',
  `SELECT a.user_id FROM point_accounts a WHERE a.id IN (SELECT account_id FROM point_lots WHERE ${dueLotSql('$1')})`,
);
const POINT_TX = `seq::text AS position, ${POINT_TX_COLUMNS}`;
const pointPage = (name: string, where: string) =>
  s(name, `SELECT ${POINT_TX} FROM point_transactions WHERE account_id = $1 ${where} ORDER BY seq DESC LIMIT $2`);
export const pointTransactionPages = {
  first: pointPage('ptx_first', ''),
  after: pointPage('ptx_after', 'AND seq < $3'),
  firstOfType: pointPage('ptx_first_type', 'AND type = $3'),
  afterOfType: pointPage('ptx_after_type', 'AND type = $3 AND seq < $4'),
};

/** See migration 0005_outbox_relay: the position below which every event is settled. Sent on its own, outside a transaction. */
export const outboxHorizon = s('outbox_horizon', 'SELECT wallet_outbox_horizon()::text AS horizon');
/** Events after a position, up to a horizon: a reader that follows these pages never skips one. */
export const listEvents = s(
  'list_events',
  'SELECT seq::text AS position, id, type, aggregate_type, aggregate_id, payload, occurred_at, actor, request_id FROM outbox_events WHERE seq > $1 AND seq <= $3 ORDER BY seq LIMIT $2',
);
export const sinkCursor = s('sink_cursor', 'SELECT position::text AS position FROM outbox_sink_cursors WHERE sink = $1');
export const saveSinkCursor = s(
  'save_sink_cursor',
  `INSERT INTO outbox_sink_cursors (sink, position, updated_at) VALUES ($1, $2, now())
   ON CONFLICT (sink) DO UPDATE SET position = EXCLUDED.position, updated_at = EXCLUDED.updated_at`,
);
export const addDeadLetter = s(
  'add_dead_letter',
  `INSERT INTO outbox_dead_letters (sink, position, event_id, event_type, attempts, last_error, created_at) VALUES ($1, $2, $3, $4, $5, $6, now())
   ON CONFLICT (sink, position) DO UPDATE SET attempts = EXCLUDED.attempts, last_error = EXCLUDED.last_error`,
);
export const listDeadLetters = s(
  'list_dead_letters',
  `SELECT sink, position::text AS position, event_id, event_type, attempts, last_error, created_at FROM outbox_dead_letters
   ORDER BY created_at DESC, sink, position DESC LIMIT $1`,
);

interface PartSql {
  /** How the unit of work names the part. */
  part: string;
  /** The CTE's name. */
  name: string;
  /** How many parameters the part's CTE takes. */
  params: number;
  /** Whether the statement asserts how many rows the part changed (one more parameter). */
  counted: boolean;
  cte: (p: (i: number) => string) => string;
}

/**
 * The parts of the write-everything statement, in the order they appear in it. This list alone
 * orders both the CTEs and the parameters: no other object's key order matters.
 */
const FLUSH_PARTS = [
  {
    part: 'newWallets',
    name: 'new_wallets',
    params: 1,
    counted: true,
    cte: (p) => `(
    INSERT INTO wallets (id, user_id, currency, balance, held_amount, status, version, created_at, updated_at, closed_at)
    SELECT id, user_id, currency, balance, held_amount, status, version, created_at, updated_at, closed_at
    FROM jsonb_to_recordset(${p(0)}::jsonb) AS x(id uuid, user_id text, currency text, balance numeric, held_amount numeric, status text,
      version int, created_at timestamptz, updated_at timestamptz, closed_at timestamptz)
    RETURNING 1)`,
  },
  {
    part: 'changedWallets',
    name: 'changed_wallets',
    params: 2,
    counted: true,
    // The id array lets the planner probe the primary key; joined to the recordset alone it
    // guesses 100 rows and scans the whole table.
    cte: (p) => `(
    UPDATE wallets w SET balance = x.balance, held_amount = x.held_amount, status = x.status, version = x.version,
      updated_at = x.updated_at, closed_at = x.closed_at
    FROM jsonb_to_recordset(${p(0)}::jsonb) AS x(id uuid, balance numeric, held_amount numeric, status text, version int,
      updated_at timestamptz, closed_at timestamptz, loaded_version int)
    WHERE w.id = ANY(${p(1)}::uuid[]) AND w.id = x.id AND w.version = x.loaded_version
    RETURNING 1)`,
  },
  {
    part: 'holds',
    name: 'holds',
    params: 1,
    counted: true,
    // New holds in the order they were placed (seq is the page order); a changed hold only
    // changes its status, captured amount and time.
    cte: (p) => `(
    INSERT INTO holds (id, wallet_id, amount, captured_amount, status, reference, description, expires_at, created_at, updated_at)
    SELECT id, wallet_id, amount, captured_amount, status, reference, description, expires_at, created_at, updated_at
    FROM ROWS FROM (jsonb_to_recordset(${p(0)}::jsonb) AS (id uuid, wallet_id uuid, amount numeric, captured_amount numeric, status text,
      reference text, description text, expires_at timestamptz, created_at timestamptz, updated_at timestamptz))
      WITH ORDINALITY AS x(id, wallet_id, amount, captured_amount, status, reference, description, expires_at, created_at, updated_at, ord)
    ORDER BY ord
    ON CONFLICT (id) DO UPDATE SET captured_amount = EXCLUDED.captured_amount, status = EXCLUDED.status, updated_at = EXCLUDED.updated_at
    RETURNING 1)`,
  },
  {
    part: 'walletRows',
    name: 'wallet_rows',
    params: 1,
    counted: false,
    cte: (p) => `(
    INSERT INTO wallet_transactions (id, wallet_id, type, amount, balance_after, description, reference, transfer_id, hold_id, refund_of, actor, created_at)
    SELECT id, wallet_id, type, amount, balance_after, description, reference, transfer_id, hold_id, refund_of, actor, created_at
    FROM ROWS FROM (jsonb_to_recordset(${p(0)}::jsonb) AS (id uuid, wallet_id uuid, type text, amount numeric, balance_after numeric,
      description text, reference text, transfer_id uuid, hold_id uuid, refund_of uuid, actor jsonb, created_at timestamptz))
      WITH ORDINALITY AS x(id, wallet_id, type, amount, balance_after, description, reference, transfer_id, hold_id, refund_of, actor, created_at, ord)
    ORDER BY ord
    RETURNING 1)`,
  },
  {
    part: 'newAccounts',
    name: 'new_accounts',
    params: 1,
    counted: true,
    cte: (p) => `(
    INSERT INTO point_accounts (id, user_id, total_points, available_points, pending_points, version, created_at, updated_at)
    SELECT id, user_id, total_points, available_points, pending_points, version, created_at, updated_at
    FROM jsonb_to_recordset(${p(0)}::jsonb) AS x(id uuid, user_id text, total_points bigint, available_points bigint, pending_points bigint,
      version int, created_at timestamptz, updated_at timestamptz)
    RETURNING 1)`,
  },
  {
    part: 'changedAccounts',
    name: 'changed_accounts',
    params: 2,
    counted: true,
    cte: (p) => `(
    UPDATE point_accounts a SET total_points = x.total_points, available_points = x.available_points, pending_points = x.pending_points,
      version = x.version, updated_at = x.updated_at
    FROM jsonb_to_recordset(${p(0)}::jsonb) AS x(id uuid, total_points bigint, available_points bigint, pending_points bigint, version int,
      updated_at timestamptz, loaded_version int)
    WHERE a.id = ANY(${p(1)}::uuid[]) AND a.id = x.id AND a.version = x.loaded_version
    RETURNING 1)`,
  },
  {
    part: 'lots',
    name: 'lots',
    params: 1,
    counted: false,
    cte: (p) => `(
    INSERT INTO point_lots (id, account_id, points, remaining, status, source, expires_at, created_at)
    SELECT id, account_id, points, remaining, status, source, expires_at, created_at
    FROM jsonb_to_recordset(${p(0)}::jsonb) AS x(id uuid, account_id uuid, points bigint, remaining bigint, status text, source text,
      expires_at timestamptz, created_at timestamptz)
    ON CONFLICT (id) DO UPDATE SET remaining = EXCLUDED.remaining, status = EXCLUDED.status
    RETURNING 1)`,
  },
  {
    part: 'pointRows',
    name: 'point_rows',
    params: 1,
    counted: false,
    cte: (p) => `(
    INSERT INTO point_transactions (id, account_id, type, points, balance_after, source, description, expires_at, refund_of, actor, created_at)
    SELECT id, account_id, type, points, balance_after, source, description, expires_at, refund_of, actor, created_at
    FROM ROWS FROM (jsonb_to_recordset(${p(0)}::jsonb) AS (id uuid, account_id uuid, type text, points bigint, balance_after bigint,
      source text, description text, expires_at timestamptz, refund_of uuid, actor jsonb, created_at timestamptz))
      WITH ORDINALITY AS x(id, account_id, type, points, balance_after, source, description, expires_at, refund_of, actor, created_at, ord)
    ORDER BY ord
    RETURNING 1)`,
  },
  {
    part: 'allocations',
    name: 'allocations',
    params: 1,
    counted: false,
    cte: (p) => `(
    INSERT INTO point_allocations (transaction_id, lot_id, points)
    SELECT transaction_id, lot_id, points FROM jsonb_to_recordset(${p(0)}::jsonb) AS x(transaction_id uuid, lot_id uuid, points bigint)
    RETURNING 1)`,
  },
  {
    part: 'events',
    name: 'events',
    params: 1,
    counted: false,
    cte: (p) => `(
    INSERT INTO outbox_events (id, type, aggregate_type, aggregate_id, payload, occurred_at, actor, request_id)
    SELECT id, type, aggregate_type, aggregate_id, payload, occurred_at, actor, request_id
    FROM ROWS FROM (jsonb_to_recordset(${p(0)}::jsonb) AS (id uuid, type text, aggregate_type text, aggregate_id uuid, payload jsonb,
      occurred_at timestamptz, actor jsonb, request_id text))
      WITH ORDINALITY AS x(id, type, aggregate_type, aggregate_id, payload, occurred_at, actor, request_id, ord)
    ORDER BY ord
    RETURNING 1)`,
  },
  // The stored answers of the claimed keys, one per keyed command that succeeded; the pairs are
  // matched exactly in the join (the arrays only let the planner probe the primary key).
  {
    part: 'responses',
    name: 'responses',
    params: 3,
    counted: true,
    cte: (p) => `(
    UPDATE idempotency_keys k SET response = x.body FROM unnest(${p(0)}::text[], ${p(1)}::text[], ${p(2)}::text[]) AS x(scope, key, body)
    WHERE k.scope = ANY(${p(0)}::text[]) AND k.key = ANY(${p(1)}::text[]) AND k.scope = x.scope AND k.key = x.key
    RETURNING 1)`,
  },
  // The keys a batch claimed for commands that then failed: free again, as a rolled-back claim is.
  {
    part: 'releasedKeys',
    name: 'released_keys',
    params: 2,
    counted: true,
    cte: (p) => `(
    DELETE FROM idempotency_keys k USING unnest(${p(0)}::text[], ${p(1)}::text[]) AS x(scope, key)
    WHERE k.scope = ANY(${p(0)}::text[]) AND k.key = ANY(${p(1)}::text[]) AND k.scope = x.scope AND k.key = x.key
    RETURNING 1)`,
  },
] as const satisfies readonly PartSql[];

export type FlushPart = (typeof FLUSH_PARTS)[number]['part'];

/** What a unit of work gives one part: the part's own parameters and the number of rows it must change. */
export interface FlushPartValues {
  readonly params: readonly unknown[];
  readonly rows: number;
}

const flushCache = new Map<string, Statement>();

/**
 * Everything a unit of work changed, in one statement of data-modifying CTEs, made of just the
 * parts it needs (a deposit: its wallet, its ledger row, its event), each fed one JSON-array
 * parameter. A command shape always yields the same text, so each shape is a prepared statement
 * of its own. Ledger rows are inserted in the order the domain produced them (WITH ORDINALITY),
 * so `seq` follows that order. Updates check the version the row was loaded with, and the
 * statement fails unless it changed exactly the expected rows: the row lock already guarantees
 * it; the assertion makes a broken lock fail loudly instead of committing on top of it.
 * Parameters: each present part's own, in FLUSH_PARTS order, then one expected count per counted
 * part, in the same order. Null when no part is present.
 */
export function flushStatement(values: Partial<Record<FlushPart, FlushPartValues | undefined>>): { statement: Statement; params: unknown[] } | null {
  const present = FLUSH_PARTS.filter((part) => values[part.part] !== undefined);
  if (present.length === 0) return null;
  const params: unknown[] = [];
  const counts: number[] = [];
  for (const part of present) {
    const v = values[part.part] as FlushPartValues;
    if (v.params.length !== part.params) throw new Error(`flush part ${part.part} takes ${part.params} parameters, got ${v.params.length}`);
    params.push(...v.params);
    if (part.counted) counts.push(v.rows);
  }
  params.push(...counts);
  const bits = FLUSH_PARTS.map((part) => (values[part.part] !== undefined ? '1' : '0')).join('');
  let statement = flushCache.get(bits);
  if (!statement) {
    let next = 1;
    const ctes = present.map((part) => {
      const first = next;
      next += part.params;
      return `${part.name} AS ${part.cte((i) => `$${first + i}`)}`;
    });
    const checks = present.filter((part) => part.counted).map((part) => `(SELECT count(*) FROM ${part.name}) = $${next++}`);
    const assertion = checks.length ? `wallet_assert(${checks.join(' AND ')}, 'a unit of work did not change exactly the rows it locked')` : 'true';
    statement = s(`flush_${parseInt(bits, 2).toString(36)}`, `WITH\n  ${ctes.join(',\n  ')}\n  SELECT ${assertion} AS ok`);
    flushCache.set(bits, statement);
  }
  return { statement, params };
}

// ---- reconciliation: read-only, set-based, one statement per check --------------------------------
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
/** The stored held amount of each wallet against the holds stored as active (what a lock loads). */
export const reconcileHeld = s(
  'reconcile_held',
  `SELECT w.id, w.held_amount::text AS held, coalesce(h.active, 0)::text AS active
   FROM wallets w LEFT JOIN (SELECT wallet_id, sum(amount) AS active FROM holds WHERE status = 'active' GROUP BY wallet_id) h ON h.wallet_id = w.id
   WHERE w.held_amount <> coalesce(h.active, 0)`,
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
