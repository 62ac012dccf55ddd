/**
 * Every statement the store sends, with the name it is prepared under. A command costs:
 * BEGIN, the idempotency claim (when keyed), one locking read (two for points: the account, then
 * its lots with a fresh snapshot), one write of everything, COMMIT.
 * @internal
 */

export interface Statement {
  readonly name: string;
  readonly text: string;
}

const s = (name: string, text: string): Statement => ({ name: `wallet_${name}`, text });

const WALLET_COLUMNS = 'id, user_id, currency, balance::text AS balance, status, version, created_at, updated_at, closed_at';
const ACCOUNT_COLUMNS = 'id, user_id, total_points::text AS total_points, available_points::text AS available_points, pending_points::text AS pending_points, version, created_at, updated_at';
const LOT_COLUMNS = 'id, account_id, points::text AS points, remaining::text AS remaining, status, source, expires_at, created_at';
const OPEN_LOT = "(status = 'pending' OR (status = 'active' AND remaining > 0))";

export const claimIdempotencyKey = s(
  'claim_key',
  'INSERT INTO idempotency_keys (scope, key, fingerprint, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (scope, key) DO NOTHING RETURNING 1 AS claimed',
);
// A separate statement on purpose: after the INSERT waited for a concurrent holder of the key,
// only a new statement's snapshot sees that holder's committed row.
export const readIdempotencyKey = s('read_key', 'SELECT fingerprint, response FROM idempotency_keys WHERE scope = $1 AND key = $2');

// ORDER BY below FOR UPDATE: rows are locked in the order they are returned, ascending id,
// whatever order the command named them in. That one order is what keeps transfers in opposite
// directions from deadlocking.
export const lockWallets = s('lock_wallets', `SELECT ${WALLET_COLUMNS} FROM wallets WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`);
export const getWallet = s('get_wallet', `SELECT ${WALLET_COLUMNS} FROM wallets WHERE id = $1`);
export const listWallets = s('list_wallets', `SELECT ${WALLET_COLUMNS} FROM wallets WHERE user_id = $1 ORDER BY created_at, id`);

export const lockAccountByUser = s('lock_account_user', `SELECT ${ACCOUNT_COLUMNS} FROM point_accounts WHERE user_id = $1 FOR UPDATE`);
export const lockAccountByLot = s(
  'lock_account_lot',
  `SELECT ${ACCOUNT_COLUMNS} FROM point_accounts WHERE id = (SELECT account_id FROM point_lots WHERE id = $1) FOR UPDATE`,
);
export const lockAccountsWithExpiredLots = s(
  'lock_accounts_expired',
  `SELECT ${ACCOUNT_COLUMNS} FROM point_accounts WHERE id IN (
     SELECT account_id FROM point_lots
     WHERE status = 'active' AND remaining > 0 AND expires_at IS NOT NULL AND expires_at <= $1)
   ORDER BY id FOR UPDATE`,
);
// Read after the account row is locked, in a statement of its own, so that it sees every lot
// change committed by whoever held the lock before us.
export const openLots = s('open_lots', `SELECT ${LOT_COLUMNS} FROM point_lots WHERE account_id = ANY($1::uuid[]) AND ${OPEN_LOT}`);
export const getAccount = s('get_account', `SELECT ${ACCOUNT_COLUMNS} FROM point_accounts WHERE user_id = $1`);

const WALLET_TX = `t.seq::text AS position, t.id, t.wallet_id, t.type, t.amount::text AS amount, t.balance_after::text AS balance_after,
  t.description, t.reference, t.transfer_id, t.created_at, w.currency`;
const walletPage = (name: string, where: string) =>
  s(name, `SELECT ${WALLET_TX} FROM wallet_transactions t JOIN wallets w ON w.id = t.wallet_id WHERE t.wallet_id = $1 ${where} ORDER BY t.seq DESC LIMIT $2`);
/** One text per filter combination, so each keyset page is a plain index range scan. */
export const walletTransactionPages = {
  first: walletPage('wtx_first', ''),
  after: walletPage('wtx_after', 'AND t.seq < $3'),
  firstOfType: walletPage('wtx_first_type', 'AND t.type = $3'),
  afterOfType: walletPage('wtx_after_type', 'AND t.type = $3 AND t.seq < $4'),
};

const POINT_TX = `seq::text AS position, id, account_id, type, points::text AS points, balance_after::text AS balance_after, source, description, expires_at, created_at`;
const pointPage = (name: string, where: string) =>
  s(name, `SELECT ${POINT_TX} FROM point_transactions WHERE account_id = $1 ${where} ORDER BY seq DESC LIMIT $2`);
export const pointTransactionPages = {
  first: pointPage('ptx_first', ''),
  after: pointPage('ptx_after', 'AND seq < $3'),
  firstOfType: pointPage('ptx_first_type', 'AND type = $3'),
  afterOfType: pointPage('ptx_after_type', 'AND type = $3 AND seq < $4'),
};

export const listEvents = s(
  'list_events',
  'SELECT seq::text AS position, id, type, aggregate_type, aggregate_id, payload, occurred_at FROM outbox_events WHERE seq > $1 ORDER BY seq LIMIT $2',
);

/**
 * Everything a unit of work changed, in one statement: new and changed wallets, their ledger rows,
 * new and changed point accounts, their lots and ledger rows, the outbox events, and the
 * idempotency response. Each part is a JSON array parameter; empty parts cost next to nothing.
 * Ledger rows are inserted in the order the domain produced them (WITH ORDINALITY), so `seq`
 * follows that order. Updates check the version the row was loaded with, and the statement
 * itself fails unless it changed exactly the expected rows: the row lock already guarantees it,
 * the assertion makes a broken lock fail loudly, even when this statement carries its COMMIT.
 */
export const flush = s(
  'flush',
  `WITH
  new_wallets AS (
    INSERT INTO wallets (id, user_id, currency, balance, status, version, created_at, updated_at, closed_at)
    SELECT id, user_id, currency, balance, status, version, created_at, updated_at, closed_at
    FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, user_id text, currency text, balance numeric, status text, version int,
      created_at timestamptz, updated_at timestamptz, closed_at timestamptz)
    RETURNING 1),
  changed_wallets AS (
    UPDATE wallets w SET balance = x.balance, status = x.status, version = x.version, updated_at = x.updated_at, closed_at = x.closed_at
    FROM jsonb_to_recordset($2::jsonb) AS x(id uuid, balance numeric, status text, version int, updated_at timestamptz,
      closed_at timestamptz, loaded_version int)
    -- The id array lets the planner probe the primary key; joined to the recordset alone it
    -- guesses 100 rows and scans the whole table.
    WHERE w.id = ANY($12::uuid[]) AND w.id = x.id AND w.version = x.loaded_version
    RETURNING 1),
  wallet_rows AS (
    INSERT INTO wallet_transactions (id, wallet_id, type, amount, balance_after, description, reference, transfer_id, created_at)
    SELECT id, wallet_id, type, amount, balance_after, description, reference, transfer_id, created_at
    FROM ROWS FROM (jsonb_to_recordset($3::jsonb) AS (id uuid, wallet_id uuid, type text, amount numeric, balance_after numeric,
      description text, reference text, transfer_id uuid, created_at timestamptz))
      WITH ORDINALITY AS x(id, wallet_id, type, amount, balance_after, description, reference, transfer_id, created_at, ord)
    ORDER BY ord
    RETURNING 1),
  new_accounts AS (
    INSERT INTO point_accounts (id, user_id, total_points, available_points, pending_points, version, created_at, updated_at)
    SELECT id, user_id, total_points, available_points, pending_points, version, created_at, updated_at
    FROM jsonb_to_recordset($4::jsonb) AS x(id uuid, user_id text, total_points bigint, available_points bigint, pending_points bigint,
      version int, created_at timestamptz, updated_at timestamptz)
    RETURNING 1),
  changed_accounts AS (
    UPDATE point_accounts a SET total_points = x.total_points, available_points = x.available_points, pending_points = x.pending_points,
      version = x.version, updated_at = x.updated_at
    FROM jsonb_to_recordset($5::jsonb) AS x(id uuid, total_points bigint, available_points bigint, pending_points bigint, version int,
      updated_at timestamptz, loaded_version int)
    WHERE a.id = ANY($13::uuid[]) AND a.id = x.id AND a.version = x.loaded_version
    RETURNING 1),
  lots AS (
    INSERT INTO point_lots (id, account_id, points, remaining, status, source, expires_at, created_at)
    SELECT id, account_id, points, remaining, status, source, expires_at, created_at
    FROM jsonb_to_recordset($6::jsonb) AS x(id uuid, account_id uuid, points bigint, remaining bigint, status text, source text,
      expires_at timestamptz, created_at timestamptz)
    ON CONFLICT (id) DO UPDATE SET remaining = EXCLUDED.remaining, status = EXCLUDED.status
    RETURNING 1),
  point_rows AS (
    INSERT INTO point_transactions (id, account_id, type, points, balance_after, source, description, expires_at, created_at)
    SELECT id, account_id, type, points, balance_after, source, description, expires_at, created_at
    FROM ROWS FROM (jsonb_to_recordset($7::jsonb) AS (id uuid, account_id uuid, type text, points bigint, balance_after bigint,
      source text, description text, expires_at timestamptz, created_at timestamptz))
      WITH ORDINALITY AS x(id, account_id, type, points, balance_after, source, description, expires_at, created_at, ord)
    ORDER BY ord
    RETURNING 1),
  events AS (
    INSERT INTO outbox_events (id, type, aggregate_type, aggregate_id, payload, occurred_at)
    SELECT id, type, aggregate_type, aggregate_id, payload, occurred_at
    FROM ROWS FROM (jsonb_to_recordset($8::jsonb) AS (id uuid, type text, aggregate_type text, aggregate_id uuid, payload jsonb,
      occurred_at timestamptz))
      WITH ORDINALITY AS x(id, type, aggregate_type, aggregate_id, payload, occurred_at, ord)
    ORDER BY ord
    RETURNING 1),
  response AS (
    UPDATE idempotency_keys SET response = $11 WHERE scope = $9 AND key = $10
    RETURNING 1)
  SELECT wallet_assert(
    (SELECT count(*) FROM new_wallets) = $14 AND (SELECT count(*) FROM changed_wallets) = $15
      AND (SELECT count(*) FROM new_accounts) = $16 AND (SELECT count(*) FROM changed_accounts) = $17
      AND (SELECT count(*) FROM response) = $18,
    'a unit of work did not change exactly the rows it locked') AS ok`,
);
