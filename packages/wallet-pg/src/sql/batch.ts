/**
 * The statements of a batch before its write, one per step for every command of it (a lone
 * command is a batch of one): claim the keys, read the answers of keys taken before, check the
 * pairs new wallets take, lock, and read under the locks. @internal
 */
import {
  ACCOUNT_COLUMNS,
  ALLOWANCE_COLUMNS,
  HOLD_COLUMNS,
  WALLET_TX_COLUMNS,
  LOT_COLUMNS,
  POINT_TX_COLUMNS,
  WALLET_COLUMNS,
  idempotencyKeys,
  wallets as walletTable,
} from './columns.js';
import { OPEN_LOT } from './lots.js';
import { GIVE_BACK_TRANSACTION_TYPES } from '@goodgo/wallet-core';
import { jsonArray, named as s, sqlList } from './statement.js';

// The batch's keys in one INSERT, in (scope, key) order: two batches claiming the same keys wait
// for each other in one order, never in a cycle. Arrays, not JSON: plain text travels inlined in
// the message that carries BEGIN, so a lone keyed command pays no round trip for its claim.
const CLAIMED = idempotencyKeys.written.filter((c) => c !== 'response');
export const claimKeys = s(
  'claim_key',
  `INSERT INTO idempotency_keys (${CLAIMED.join(', ')})
   SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[]) AS x(${CLAIMED.join(', ')})
   ORDER BY scope, key
   ON CONFLICT (scope, key) DO NOTHING RETURNING scope, key`,
);
/**
 * The key rows of the pairs `(${scopes}[i], ${keys}[i])` (arrays side by side), each looked up by
 * itself on both columns of the primary key. A lateral lookup cannot become a hash join, so even
 * the generic plan made while the table was empty (a fresh database; cached for the connection,
 * and without autovacuum's ANALYZE never made again) probes the index. The pairs as
 * `scope = ANY(…) AND key = ANY(…)`, planned then, probed it by scope alone: every key of the
 * scope, in each batch (bench 2b: keyed PostgreSQL CPU grew with the table).
 */
export const keyRows = (scopes: string, keys: string, columns: string) =>
  `unnest(${scopes}::text[], ${keys}::text[]) AS x(scope, key)
   CROSS JOIN LATERAL (SELECT ${columns} FROM idempotency_keys i WHERE i.scope = x.scope AND i.key = x.key LIMIT 1) k`;
// A statement of its own, after the claim: after the INSERT waited for a concurrent holder of a
// key, only a new statement's snapshot sees its row.
export const readKeys = s('read_key', `SELECT ${idempotencyKeys.select({ alias: 'k', omit: ['created_at'] })} FROM ${keyRows('$1', '$2', '*')}`);

// The (user, currency) pairs the batch opens wallets for that an open wallet holds already: those
// commands fail alone, before the write. A pair taken by a concurrent transaction after this read
// still fails the write statement on the unique key (the batch then runs one command at a time).
export const takenPairs = s('taken_pairs', `SELECT user_id, currency FROM wallets WHERE user_id = ANY($1::text[]) AND status <> 'closed'`);

/**
 * The outbox's commit-order lock (migration 0005's `wallet_outbox_writer_lock`, taken SHARED by
 * every transaction that writes events, EXCLUSIVELY for an instant by `wallet_outbox_horizon()`).
 */
export const OUTBOX_ORDER_LOCK = 113728307881840;

/**
 * A batch takes the outbox lock as soon as it holds its rows, before any command of it reads the
 * clock. Taken only by the outbox insert at the write, a batch could wait there (behind a feed
 * reader queued for the lock, which waits for a writer whose COMMIT is slow) with its rows
 * already dated: dated before the wait, and so committed into an instant a reader had already
 * read. As a filter that counts the locked rows first, it is taken after every row lock (never
 * held while waiting for one, which would stall every writer behind the readers) and always,
 * even when no row was found.
 */
const afterLocks = (...ctes: string[]) => {
  // Each count depends on the one before (LATERAL), so the CTEs lock in the order given.
  const counts = ctes.map((cte, i) =>
    i === 0 ? `(SELECT count(*) AS c FROM ${cte}) n0` : `LATERAL (SELECT count(*) + 0 * n${i - 1}.c AS c FROM ${cte}) n${i}`,
  );
  return `(SELECT 1 FROM ${counts.join(', ')}, LATERAL pg_advisory_xact_lock_shared(${OUTBOX_ORDER_LOCK} + 0 * n${ctes.length - 1}.c)) = 1`;
};
/** The same lock for a batch that locks no row (it only opens wallets): before its clock is read. */
export const outboxWriter = s('outbox_writer', `SELECT pg_advisory_xact_lock_shared(${OUTBOX_ORDER_LOCK})`);

/** What the give-back rows naming the ledger row `o` (an alias) gave back of it, 0 for none. */
const givenBackOf = (o: string) =>
  `coalesce((SELECT sum(r.amount) FROM wallet_transactions r WHERE r.refund_of = ${o}.id AND r.type IN ${sqlList(GIVE_BACK_TRANSACTION_TYPES)}), 0)`;

// ORDER BY below FOR UPDATE: rows are locked in the order they are returned, ascending id,
// whatever order the commands named them in. That one order is what keeps transfers in opposite
// directions, and two batches, from deadlocking.
//
// Each lock comes in two forms. A batch of several commands locks with SKIP LOCKED: a row held
// elsewhere (another instance's batch, a long admin transaction) is left out instead of waited
// for, and the commands that want it are set aside and run after the batch commits, waiting for
// it then (with the plain form). A batch of one, and the commands set aside, wait: there is no
// neighbour to spare. Skipping never waits, so it adds no edge to the lock order either.
const lockForms = (skip: boolean) => {
  const mode = skip ? 'FOR UPDATE SKIP LOCKED' : 'FOR UPDATE';
  const tag = skip ? '_skip' : '';
  const wallets = (param: string, columns = WALLET_COLUMNS) => `SELECT ${columns} FROM wallets WHERE id = ANY(${param}::uuid[]) ORDER BY id ${mode}`;
  const accounts = (param: string) => `SELECT ${ACCOUNT_COLUMNS} FROM point_accounts WHERE user_id = ANY(${param}::text[]) ORDER BY id ${mode}`;
  return {
    wallets: s(`lock_wallets${tag}`, `WITH w AS MATERIALIZED (${wallets('$1')}) SELECT * FROM w WHERE ${afterLocks('w')} ORDER BY id`),
    accounts: s(`lock_accounts${tag}`, `WITH a AS MATERIALIZED (${accounts('$1')}) SELECT * FROM a WHERE ${afterLocks('a')} ORDER BY id`),
    // Both kinds in one statement, in one fixed order: every wallet (by id), then every point
    // account (by id); the target list's subqueries run left to right. Columns travel as JSON text.
    both: s(
      `lock_wallets_accounts${tag}`,
      `WITH w AS MATERIALIZED (${wallets('$1')}), a AS MATERIALIZED (${accounts('$2')})
   SELECT (SELECT coalesce(jsonb_agg(to_jsonb(w)), '[]'::jsonb) FROM w) AS wallets,
     (SELECT coalesce(jsonb_agg(to_jsonb(a)), '[]'::jsonb) FROM a) AS accounts
   WHERE ${afterLocks('w', 'a')}`,
    ),
    // A give-back batch's lock (refunds, a deposit's reversals): the wallets, each with what was
    // given back so far of the rows named in $2 that it holds, as {row id: amount as text}. Read in
    // the locking statement, that sum comes from the statement's snapshot, which may predate a
    // give-back committed by the lock's previous holder (the lock sees the row's newest version,
    // the rest of the statement does not). So it is read only for a wallet whose locked version
    // is the very one the snapshot sees (same xmin): no transaction wrote the wallet in between,
    // and every give-back row of a row is written with that row's wallet (its balance moves). For
    // a wallet written in between, given_back is null and the batch reads the sums after the lock
    // (`refundedAmounts`), as it does for a batch that locks point accounts too.
    givenBack: s(
      `lock_wallets_given_back${tag}`,
      `WITH w AS MATERIALIZED (${wallets('$1', `xmin AS locked_xmin, ${WALLET_COLUMNS}`)}),
     g AS (SELECT o.wallet_id, jsonb_object_agg(o.id, (${givenBackOf('o')})::text) AS given
       FROM wallet_transactions o WHERE o.id = ANY($2::uuid[]) GROUP BY o.wallet_id)
   SELECT ${walletTable.columns.map((c) => `w.${c.name}`).join(', ')},
     CASE WHEN (SELECT s.xmin FROM wallets s WHERE s.id = w.id) = w.locked_xmin THEN coalesce(g.given, '{}'::jsonb) END AS given_back
   FROM w LEFT JOIN g ON g.wallet_id = w.id
   WHERE ${afterLocks('w')} ORDER BY w.id`,
    ),
  };
};
export const waitingLocks = lockForms(false);
export const skippingLocks = lockForms(true);
export const { wallets: lockWallets, accounts: lockAccounts, both: lockWalletsAndAccounts } = waitingLocks;
/**
 * Which of the rows a skipping lock left out exist (a plain read sees a row whatever holds it):
 * those are held elsewhere; the others do not exist, and their commands run and fail as usual.
 */
export const existingRows = s(
  'existing_rows',
  `SELECT (SELECT coalesce(array_agg(id::text), '{}') FROM wallets WHERE id = ANY($1::uuid[])) AS wallets,
     (SELECT coalesce(array_agg(user_id), '{}') FROM point_accounts WHERE user_id = ANY($2::text[])) AS accounts`,
);

// Each read below runs after the lock, in a statement of its own: its snapshot sees what the
// previous holders of the locks committed (the locking statement's own snapshot may predate them).

/** Sent only when a locked wallet's active_holds is not zero: most payments touch no hold. */
export const activeHolds = s(
  'active_holds',
  // Per wallet: every hold that may still count at the plans' clock ($2), and of those past their
  // expiry by then only the earliest $3 (what one change marks); a wallet may have any number.
  `SELECT h.* FROM unnest($1::uuid[]) AS x(id) CROSS JOIN LATERAL (
     (SELECT ${HOLD_COLUMNS} FROM holds h WHERE h.wallet_id = x.id AND h.status = 'active' AND h.expires_at > $2::timestamptz)
     UNION ALL
     (SELECT ${HOLD_COLUMNS} FROM holds h WHERE h.wallet_id = x.id AND h.status = 'active' AND h.expires_at <= $2::timestamptz
      ORDER BY h.expires_at, h.id LIMIT $3)) h`,
);
/** Sent only when a locked wallet's active_allowances is not zero (one spent to the last đồng reserves nothing, yet loads). */
export const activeAllowances = s(
  'active_allowances',
  `SELECT ${ALLOWANCE_COLUMNS} FROM allowances a WHERE a.wallet_id = ANY($1::uuid[]) AND a.status = 'active'`,
);
/**
 * The payer rows that booked these (allowance, seq) pairs (the unique key's index), with the wallet
 * each transfer went to. Every spend of an allowance locks its wallet, so none is booked meanwhile.
 */
export const bookedSpends = s(
  'booked_spends',
  `SELECT ${WALLET_TX_COLUMNS}, (SELECT c.wallet_id FROM wallet_transactions c
     WHERE t.transfer_id IS NOT NULL AND c.transfer_id = t.transfer_id AND c.type = 'transfer_in' LIMIT 1) AS counterpart_wallet_id
   FROM unnest($1::uuid[], $2::int[]) AS x(allowance_id, allowance_seq)
   JOIN wallet_transactions t ON t.allowance_id = x.allowance_id AND t.allowance_seq = x.allowance_seq AND t.type IN ('withdrawal', 'transfer_out')
   JOIN wallets w ON w.id = t.wallet_id`,
);
export const openLots = s('open_lots', `SELECT ${LOT_COLUMNS} FROM point_lots WHERE account_id = ANY($1::uuid[]) AND ${OPEN_LOT}`);
/** What refunds (or a deposit's reversals) gave back of each row named (every one of them locks the row's wallet, so the sum holds). */
export const refundedAmounts = s(
  'refunded_amounts',
  `SELECT o.id, o.wallet_id, (${givenBackOf('o')})::text AS refunded FROM wallet_transactions o WHERE o.id = ANY($1::uuid[])`,
);
/**
 * Instead of open_lots when points rows are named: each row, the accounts' open lots and every
 * lot the rows moved points of (open or not), and per lot what the row moved and what its refunds
 * or reversals (rows whose refund_of names it) claimed back. A UNION, not an OR: each half has its
 * index (the open lots' partial one, the primary key), an OR of both has none.
 */
export const transactionLots = s(
  'tx_lots',
  `SELECT
     ${jsonArray(`SELECT ${POINT_TX_COLUMNS} FROM point_transactions WHERE id = ANY($1::uuid[])`)} AS transactions,
     ${jsonArray(`SELECT ${LOT_COLUMNS} FROM point_lots WHERE account_id = ANY($2::uuid[]) AND ${OPEN_LOT}
        UNION SELECT ${LOT_COLUMNS} FROM point_lots WHERE id IN (SELECT lot_id FROM point_allocations WHERE transaction_id = ANY($1::uuid[]))`)} AS lots,
     ${jsonArray(`SELECT a.transaction_id, a.lot_id, a.points::text AS points,
          (SELECT coalesce(sum(b.points), 0) FROM point_allocations b JOIN point_transactions r ON r.id = b.transaction_id
           WHERE r.refund_of = a.transaction_id AND b.lot_id = a.lot_id)::text AS claimed_back
        FROM point_allocations a WHERE a.transaction_id = ANY($1::uuid[])`)} AS claims`,
);
