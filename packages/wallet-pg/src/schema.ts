/**
 * The tables of the wallet ledger. Money is `numeric` (exact, never float, never text); points are
 * bigint. CHECK constraints hold the invariants even against a buggy caller: no negative balance,
 * no negative available points, positive movements, a lot never holds more than it was given.
 * Ledger tables carry a `seq` identity: the keyset order of history pages.
 */
import {
  ALLOWANCE_STATUSES,
  CURRENCY_CODE_PATTERN,
  HOLD_STATUSES,
  POINT_LOT_STATUSES,
  POINT_TRANSACTION_TYPES,
  WALLET_STATUSES,
  WALLET_TRANSACTION_TYPES,
} from '@goodgo/wallet-core';
import { sql } from 'drizzle-orm';
import { bigint, boolean, check, index, integer, numeric, pgTable, primaryKey, text, timestamp, unique, uniqueIndex, uuid, jsonb } from 'drizzle-orm/pg-core';
import { expiringLotSql, openLotSql, type LotColumns } from './sql/lots.js';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
/** `column IN ('a', 'b')` from one of the core's `as const` lists: the database check cannot drift from the domain. */
const oneOf = (values: readonly string[]) => sql.raw(`(${values.map((v) => `'${v}'`).join(', ')})`);

export const wallets = pgTable(
  'wallets',
  {
    id: uuid('id').primaryKey(),
    userId: text('user_id').notNull(),
    currency: text('currency').notNull(),
    balance: numeric('balance').notNull(),
    /**
     * What the wallet's holds that count at its last change (`updated_at`) and its allowances stored
     * as active reserve (an allowance: what it has not spent). Holds past their expiry are left out
     * whether marked yet or not (a change marks at most EXPIRED_HOLDS_PER_CHANGE of them).
     */
    heldAmount: numeric('held_amount')
      .notNull()
      .default(sql`0`),
    /**
     * How many holds are stored as active, past their expiry or not: 0 tells a lock that there are
     * none to load (holds past expiry reserve nothing, yet wait to be marked).
     */
    activeHolds: integer('active_holds')
      .notNull()
      .default(sql`0`),
    /** How many allowances are stored as active: 0 tells a lock that there are none to load (one spent to the last đồng reserves nothing). */
    activeAllowances: integer('active_allowances')
      .notNull()
      .default(sql`0`),
    status: text('status', { enum: WALLET_STATUSES }).notNull(),
    version: integer('version').notNull(),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
    closedAt: ts('closed_at'),
    /**
     * The hash of the wallet's last ledger row (its keyed chain's head), kept by the writer with
     * the balance, so that linking a new row needs no lookup of the previous one. Null until the
     * wallet's first keyed row (migration 0012_ledger_keyed_chain).
     */
    chainHead: text('chain_head'),
    /**
     * The wallet's own limits as decimal strings (`{maxBalance?, daily?: {deposit?, spend?},
     * monthly?: …}`), each field overriding its currency's default; null: the defaults (migration
     * 0019_wallet_limits).
     */
    limits: jsonb('limits'),
    /**
     * What the wallet used of the local day and month it last counted in (`{day, month, dayDeposit,
     * daySpend, monthDeposit, monthSpend}`): kept on the wallet row and written with its balance,
     * so the lock that serialises the money serialises the counters too. Null until first counted.
     */
    limitUsage: jsonb('limit_usage'),
  },
  (t) => [
    // One open wallet per (user, currency): a closed wallet frees its pair.
    uniqueIndex('wallets_user_currency_open_key')
      .on(t.userId, t.currency)
      .where(sql`${t.status} <> 'closed'`),
    index('wallets_user_idx').on(t.userId),
    // The admin search, newest first by keyset, plain or by status or currency (migration
    // 0008_books_indexes). None of these columns changes with a balance, so payments keep their
    // heap-only (HOT) updates.
    index('wallets_created_idx').on(t.createdAt, t.id),
    index('wallets_status_created_idx').on(t.status, t.createdAt, t.id),
    index('wallets_currency_created_idx').on(t.currency, t.createdAt, t.id),
    check('wallets_balance_non_negative', sql`${t.balance} >= 0`),
    // The held amount counts only holds that count at the wallet's last change: it fits in the balance.
    check('wallets_held_within_balance', sql`${t.heldAmount} >= 0 AND ${t.heldAmount} <= ${t.balance}`),
    check('wallets_status_valid', sql`${t.status} IN ${oneOf(WALLET_STATUSES)}`),
    check('wallets_currency_code', sql`${t.currency} ~ ${sql.raw(`'${CURRENCY_CODE_PATTERN.source}'`)}`),
    check('wallets_closed_at_when_closed', sql`(${t.status} = 'closed') = (${t.closedAt} IS NOT NULL)`),
    // A till may still forward sales against an active allowance: its wallet cannot be closed.
    check('wallets_active_holds', sql`${t.activeHolds} >= 0`),
    check('wallets_active_allowances', sql`${t.activeAllowances} >= 0 AND (${t.status} <> 'closed' OR ${t.activeAllowances} = 0)`),
  ],
);

export const walletTransactions = pgTable(
  'wallet_transactions',
  {
    seq: bigint('seq', { mode: 'bigint' }).generatedAlwaysAsIdentity(),
    id: uuid('id').primaryKey(),
    walletId: uuid('wallet_id')
      .notNull()
      .references(() => wallets.id),
    type: text('type', { enum: WALLET_TRANSACTION_TYPES }).notNull(),
    amount: numeric('amount').notNull(),
    balanceAfter: numeric('balance_after').notNull(),
    description: text('description'),
    reference: text('reference'),
    transferId: uuid('transfer_id'),
    holdId: uuid('hold_id'),
    refundOf: uuid('refund_of'),
    actor: jsonb('actor'),
    createdAt: ts('created_at').notNull(),
    /** Business time when it differs from created_at (a sale made offline, by the till's clock); null: created_at. */
    occurredAt: ts('occurred_at'),
    /** The allowance a till's offline sale was spent from, and the till's seq of that sale. */
    allowanceId: uuid('allowance_id'),
    allowanceSeq: integer('allowance_seq'),
    /** A split payment's points row (`point_transactions.paired_with` names this row back). */
    pairedWith: uuid('paired_with'),
    /** The labels of the command that wrote the row (an object of strings; null: none). */
    metadata: jsonb('metadata'),
    /**
     * HMAC-SHA-256 (hex), under the ledger key named by `keyId`, over the previous row's hash (of
     * the same wallet) and this row's canonical content, computed by the writer from the wallet's
     * chain head (wallet-core's ledger-chain). Rows written before migration 0012 keep the unkeyed
     * SHA-256 the trigger of 0007 gave them, with a null `keyId`.
     */
    hash: text('hash').notNull(),
    keyId: text('key_id'),
  },
  (t) => [
    // Ascending on purpose: a backward scan serves ORDER BY seq DESC. drizzle writes a DESC
    // column as DESC NULLS LAST, which that ORDER BY (NULLS FIRST) cannot use at all.
    index('wallet_transactions_wallet_seq_idx').on(t.walletId, t.seq),
    // What was written since a checkpoint, for an incremental reconciliation: seq only grows, so
    // a block range index finds it for a few pages per insert, not a B-tree entry per row.
    index('wallet_transactions_seq_brin').using('brin', t.seq),
    index('wallet_transactions_wallet_type_seq_idx').on(t.walletId, t.type, t.seq),
    // The ledger's time axis: a balance at an instant is one probe (the last row at or before
    // it, rows of one instant in seq order), and history pages of a period are one range scan.
    index('wallet_transactions_wallet_time_idx').on(t.walletId, t.createdAt, t.seq),
    // Finding a payment by the caller's reference (an order number) among a wallet's rows.
    index('wallet_transactions_wallet_reference_idx')
      .on(t.walletId, t.reference, t.seq)
      .where(sql`${t.reference} IS NOT NULL`),
    index('wallet_transactions_transfer_idx')
      .on(t.transferId)
      .where(sql`${t.transferId} IS NOT NULL`),
    // History filtered by metadata: jsonb_path_ops hashes each key with its value, so a label few
    // rows carry is found by its posting list, not by walking the wallet's history; a label most rows
    // carry is left to the (wallet, seq) scan by the planner's statistics. The wallet is indexed as
    // one more label ('$w', a key no metadata can have: keys are [A-Za-z0-9_.-]) and the page asks
    // for it with the filter in this expression (sql/books.ts), so GIN intersects the label's posting list with
    // the wallet's: a label every till writes is not read across every wallet of the table (on the
    // metadata alone, a 3-row wallet's generic-plan page read 100 003 entries beside 100 000 others'
    // rows; pg-metadata-filter-cost.test.ts). jsonb_object, not jsonb_build_object: the index
    // expression must be immutable.
    // fastupdate off: an insert-heavy ledger would otherwise keep a pending list (up to 4 MB) that
    // every filtered read scans whole until a vacuum merges it (bench section 5, one order's row at
    // 1 M rows: 42.6 ms with it, 2.6 ms without; DESIGN, Metadata).
    // Partial, metadata IS NOT NULL (migration 0021): most rows carry no labels (online transfers,
    // top-ups), their expression is NULL and GIN would still insert a null-item entry for each,
    // all into one posting tree that every writer appends to. A NULL row can never match a filter
    // (|| and @> are strict), so leaving them out changes no answer; the page states the predicate
    // (sql/books.ts). Measured on PostgreSQL 15 (issue 25, a shared machine at load 22-27): 50 000
    // NULL-metadata rows into this table, one backend, 27.9 µs/row with every row indexed against
    // 25.5 without them (medians of 10 alternating rounds), the index 720 kB against 16 kB at 510 000
    // rows; transfers through the store, concurrency 16, 283.2 against 276.8 µs of backend CPU each.
    index('wallet_transactions_wallet_metadata_idx')
      .using('gin', sql`(${t.metadata} || jsonb_object(ARRAY['$w', ${t.walletId}::text])) jsonb_path_ops`)
      .with({ fastupdate: false })
      .where(sql`${t.metadata} IS NOT NULL`),
    check('wallet_transactions_metadata_object', sql`jsonb_typeof(${t.metadata}) = 'object'`),
    check('wallet_transactions_amount_positive', sql`${t.amount} > 0`),
    check('wallet_transactions_balance_after_non_negative', sql`${t.balanceAfter} >= 0`),
    // What refunds of a payment gave back so far: summed under the payer's lock.
    index('wallet_transactions_refund_of_idx')
      .on(t.refundOf)
      .where(sql`${t.refundOf} IS NOT NULL`),
    check('wallet_transactions_type_valid', sql`${t.type} IN ${oneOf(WALLET_TRANSACTION_TYPES)}`),
    // Transfers and a transfer's refund come in pairs; a withdrawal's refund stands alone.
    check(
      'wallet_transactions_transfer_id',
      sql`${t.type} = 'refund_in' OR (${t.type} IN ('transfer_in', 'transfer_out', 'refund_out')) = (${t.transferId} IS NOT NULL)`,
    ),
    // A refund names the payment it gives back for, a deposit's reversal the deposit; no other row names one.
    check('wallet_transactions_refund_of', sql`(${t.type} IN ('refund_in', 'refund_out', 'deposit_reversal')) = (${t.refundOf} IS NOT NULL)`),
    check('wallet_transactions_allowance_seq', sql`(${t.allowanceId} IS NULL) = (${t.allowanceSeq} IS NULL) AND ${t.allowanceSeq} > 0`),
    // Exactly once: an allowance's seq is booked by one payer row at most (its transfer_in on the
    // merchant carries the same pair). A second booking fails here whatever the code did.
    uniqueIndex('wallet_transactions_allowance_seq_key')
      .on(t.allowanceId, t.allowanceSeq)
      .where(sql`${t.allowanceId} IS NOT NULL AND ${t.type} IN ('withdrawal', 'transfer_out')`),
  ],
);

/**
 * Offline allowances: money of a wallet set aside for one till, spent by it offline and booked
 * when forwarded. The caps hold here too: never more spent than the amount, no spend above
 * max_spend_amount (largest_spend is kept for this check), never more than max_spends, and seqs
 * without a gap (last_seq = spend_count).
 */
export const allowances = pgTable(
  'allowances',
  {
    seq: bigint('seq', { mode: 'bigint' }).generatedAlwaysAsIdentity(),
    id: uuid('id').primaryKey(),
    walletId: uuid('wallet_id')
      .notNull()
      .references(() => wallets.id),
    tillId: text('till_id').notNull(),
    amount: numeric('amount').notNull(),
    spentAmount: numeric('spent_amount').notNull(),
    spendCount: integer('spend_count').notNull(),
    lastSeq: integer('last_seq').notNull(),
    largestSpend: numeric('largest_spend').notNull(),
    status: text('status', { enum: ALLOWANCE_STATUSES }).notNull(),
    spendUntil: ts('spend_until').notNull(),
    settleBy: ts('settle_by').notNull(),
    maxSpendAmount: numeric('max_spend_amount'),
    maxSpends: integer('max_spends'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
    /** The labels of the command that opened it; a spend without its own writes these on its rows. */
    metadata: jsonb('metadata'),
  },
  (t) => [
    index('allowances_wallet_seq_idx').on(t.walletId, t.seq),
    // What a lock loads with a wallet whose active_allowances is not zero.
    index('allowances_wallet_active_idx')
      .on(t.walletId)
      .where(sql`${t.status} = 'active'`),
    // One active allowance per (wallet, till).
    uniqueIndex('allowances_wallet_till_active_key')
      .on(t.walletId, t.tillId)
      .where(sql`${t.status} = 'active'`),
    check('allowances_amount_positive', sql`${t.amount} > 0`),
    check('allowances_spent_within_amount', sql`${t.spentAmount} >= 0 AND ${t.spentAmount} <= ${t.amount}`),
    check('allowances_largest_spend', sql`${t.largestSpend} >= 0 AND ${t.largestSpend} <= ${t.spentAmount}`),
    check('allowances_max_spend_amount', sql`${t.maxSpendAmount} IS NULL OR (${t.maxSpendAmount} > 0 AND ${t.largestSpend} <= ${t.maxSpendAmount})`),
    check('allowances_max_spends', sql`${t.maxSpends} IS NULL OR (${t.maxSpends} > 0 AND ${t.spendCount} <= ${t.maxSpends})`),
    check('allowances_seq_without_gap', sql`${t.spendCount} >= 0 AND ${t.lastSeq} = ${t.spendCount}`),
    check('allowances_settle_after_spend', sql`${t.settleBy} > ${t.spendUntil}`),
    check('allowances_status_valid', sql`${t.status} IN ${oneOf(ALLOWANCE_STATUSES)}`),
  ],
);

/**
 * One row: the last `seq` of the ledger written before the chain was keyed (migration 0012). An
 * unkeyed row after it was not written by the service; signed checkpoints repeat the figure.
 */
export const ledgerChainStart = pgTable(
  'ledger_chain_start',
  {
    one: boolean('one').primaryKey().default(true),
    unkeyedThrough: bigint('unkeyed_through', { mode: 'bigint' }).notNull(),
  },
  (t) => [check('ledger_chain_start_one', sql`${t.one}`)],
);

/**
 * Every signed checkpoint of the ledger's chain heads a reconciliation run published (wallet-core
 * `ledger-checkpoint.ts`), as its event carried it. Signed, so nobody without the ledger key can add
 * one; a deleted one breaks the chain of `previous` signatures. Where an operator keeps them out of
 * the database too (`checkpointFile`), that copy is the one reconciliation trusts.
 */
export const ledgerCheckpoints = pgTable(
  'ledger_checkpoints',
  {
    seq: bigint('seq', { mode: 'bigint' }).generatedAlwaysAsIdentity(),
    id: uuid('id').primaryKey(),
    run: uuid('run').notNull(),
    body: jsonb('body').notNull(),
  },
  (t) => [index('ledger_checkpoints_seq_idx').on(t.seq)],
);

export const holds = pgTable(
  'holds',
  {
    seq: bigint('seq', { mode: 'bigint' }).generatedAlwaysAsIdentity(),
    id: uuid('id').primaryKey(),
    walletId: uuid('wallet_id')
      .notNull()
      .references(() => wallets.id),
    amount: numeric('amount').notNull(),
    capturedAmount: numeric('captured_amount').notNull(),
    status: text('status', { enum: HOLD_STATUSES }).notNull(),
    reference: text('reference'),
    description: text('description'),
    expiresAt: ts('expires_at').notNull(),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
    /** The labels of the command that placed it; a capture without its own writes these on its rows. */
    metadata: jsonb('metadata'),
  },
  (t) => [
    index('holds_wallet_seq_idx').on(t.walletId, t.seq),
    // What a lock loads with a wallet whose active_holds is not zero: the holds that may still
    // count (expiring after the command's plan), then the earliest expired, a bounded few, in
    // (expiry, id) order straight from the index however many share an expiry.
    index('holds_wallet_active_idx')
      .on(t.walletId, t.expiresAt, t.id)
      .where(sql`${t.status} = 'active'`),
    check('holds_amount_positive', sql`${t.amount} > 0`),
    check('holds_captured_within_amount', sql`${t.capturedAmount} >= 0 AND ${t.capturedAmount} <= ${t.amount}`),
    check('holds_captured_when_captured', sql`(${t.status} = 'captured') = (${t.capturedAmount} > 0)`),
    check('holds_status_valid', sql`${t.status} IN ${oneOf(HOLD_STATUSES)}`),
  ],
);

export const pointAccounts = pgTable(
  'point_accounts',
  {
    id: uuid('id').primaryKey(),
    userId: text('user_id').notNull(),
    totalPoints: bigint('total_points', { mode: 'number' }).notNull(),
    availablePoints: bigint('available_points', { mode: 'number' }).notNull(),
    pendingPoints: bigint('pending_points', { mode: 'number' }).notNull(),
    version: integer('version').notNull(),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [
    unique('point_accounts_user_key').on(t.userId),
    check('point_accounts_available_non_negative', sql`${t.availablePoints} >= 0`),
    check('point_accounts_pending_non_negative', sql`${t.pendingPoints} >= 0`),
    check('point_accounts_available_within_total', sql`${t.availablePoints} <= ${t.totalPoints}`),
  ],
);

/** As drizzle-kit writes them in an index predicate, so the migration's text is what the lot predicates give. */
const LOT_COLUMNS: LotColumns = { status: '"point_lots"."status"', remaining: '"point_lots"."remaining"', expiresAt: '"point_lots"."expires_at"' };

export const pointLots = pgTable(
  'point_lots',
  {
    id: uuid('id').primaryKey(),
    accountId: uuid('account_id')
      .notNull()
      .references(() => pointAccounts.id),
    points: bigint('points', { mode: 'number' }).notNull(),
    remaining: bigint('remaining', { mode: 'number' }).notNull(),
    status: text('status', { enum: POINT_LOT_STATUSES }).notNull(),
    source: text('source').notNull(),
    expiresAt: ts('expires_at'),
    createdAt: ts('created_at').notNull(),
    // What a reversal of the lot's credit claimed and could not take (spent): paid first from
    // points later returned to the lot. `owed_to` names that credit.
    owed: bigint('owed', { mode: 'number' })
      .notNull()
      .default(sql`0`),
    owedTo: uuid('owed_to'),
  },
  (t) => [
    // The open lots of an account: what a points command loads.
    index('point_lots_open_idx')
      .on(t.accountId)
      .where(sql.raw(openLotSql(LOT_COLUMNS))),
    // What an expiry run looks for.
    index('point_lots_expiring_idx')
      .on(t.expiresAt)
      .where(sql.raw(expiringLotSql(LOT_COLUMNS))),
    check('point_lots_points_positive', sql`${t.points} > 0`),
    check('point_lots_remaining_range', sql`${t.remaining} >= 0 AND ${t.remaining} <= ${t.points}`),
    // Owed points are paid before any come back to `remaining`, and never exceed the credit.
    check('point_lots_owed_range', sql`${t.owed} >= 0 AND ${t.owed} <= ${t.points} AND (${t.owed} = 0 OR ${t.remaining} = 0)`),
    check('point_lots_owed_to', sql`${t.owed} = 0 OR ${t.owedTo} IS NOT NULL`),
    check('point_lots_status_valid', sql`${t.status} IN ${oneOf(POINT_LOT_STATUSES)}`),
  ],
);

export const pointTransactions = pgTable(
  'point_transactions',
  {
    seq: bigint('seq', { mode: 'bigint' }).generatedAlwaysAsIdentity(),
    id: uuid('id').primaryKey(),
    accountId: uuid('account_id')
      .notNull()
      .references(() => pointAccounts.id),
    type: text('type', { enum: POINT_TRANSACTION_TYPES }).notNull(),
    points: bigint('points', { mode: 'number' }).notNull(),
    balanceAfter: bigint('balance_after', { mode: 'number' }).notNull(),
    source: text('source').notNull(),
    description: text('description'),
    expiresAt: ts('expires_at'),
    refundOf: uuid('refund_of'),
    actor: jsonb('actor'),
    createdAt: ts('created_at').notNull(),
    /** A split payment's reference, shared with its money row, and that row (which names this one back). */
    reference: text('reference'),
    pairedWith: uuid('paired_with'),
    /** The labels of the command that wrote the row (an object of strings; null: none). */
    metadata: jsonb('metadata'),
  },
  (t) => [
    index('point_transactions_account_seq_idx').on(t.accountId, t.seq),
    // Points history filtered by metadata, as the wallet ledger's: the account is the '$a' label;
    // partial on metadata IS NOT NULL for the same reason (spends and refunds without labels).
    index('point_transactions_account_metadata_idx')
      .using('gin', sql`(${t.metadata} || jsonb_object(ARRAY['$a', ${t.accountId}::text])) jsonb_path_ops`)
      .with({ fastupdate: false })
      .where(sql`${t.metadata} IS NOT NULL`),
    check('point_transactions_metadata_object', sql`jsonb_typeof(${t.metadata}) = 'object'`),
    index('point_transactions_refund_of_idx')
      .on(t.refundOf)
      .where(sql`${t.refundOf} IS NOT NULL`),
    // A refund whose lots had all expired, or a reversal of a lot already spent, records its claim with zero points.
    check('point_transactions_points_non_zero', sql`${t.points} <> 0 OR ${t.type} IN ('refund', 'reversal')`),
    check('point_transactions_balance_after_non_negative', sql`${t.balanceAfter} >= 0`),
    check('point_transactions_type_valid', sql`${t.type} IN ${oneOf(POINT_TRANSACTION_TYPES)}`),
    check('point_transactions_refund_of', sql`(${t.type} IN ('refund', 'reversal')) = (${t.refundOf} IS NOT NULL)`),
  ],
);

/** Which lot each points row moved points of: what lets a refund go back to exactly the lots its spend took. */
export const pointAllocations = pgTable(
  'point_allocations',
  {
    transactionId: uuid('transaction_id')
      .notNull()
      .references(() => pointTransactions.id),
    lotId: uuid('lot_id')
      .notNull()
      .references(() => pointLots.id),
    points: bigint('points', { mode: 'number' }).notNull(),
  },
  (t) => [
    primaryKey({ name: 'point_allocations_pkey', columns: [t.transactionId, t.lotId] }),
    check('point_allocations_points_positive', sql`${t.points} > 0`),
  ],
);

export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    fingerprint: text('fingerprint').notNull(),
    // Text, not jsonb: a replay must answer the first response byte for byte, key order included.
    response: text('response'),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [primaryKey({ name: 'idempotency_keys_pkey', columns: [t.scope, t.key] }), index('idempotency_keys_created_idx').on(t.createdAt)],
);

export const outboxEvents = pgTable('outbox_events', {
  seq: bigint('seq', { mode: 'bigint' }).primaryKey().generatedAlwaysAsIdentity(),
  id: uuid('id').notNull().unique('outbox_events_id_key'),
  type: text('type').notNull(),
  aggregateType: text('aggregate_type').notNull(),
  aggregateId: uuid('aggregate_id').notNull(),
  payload: jsonb('payload').notNull(),
  occurredAt: ts('occurred_at').notNull(),
  actor: jsonb('actor'),
  requestId: text('request_id'),
  /** The W3C traceparent of the command that wrote the event (null outside a trace): its delivery links to it and sends it on. */
  traceparent: text('traceparent'),
});

/**
 * How far each sink of the outbox relay got: the position of the last event it delivered. The relay
 * reads after it, so a crash resumes there (at least once: the batch in flight is delivered again).
 * A sink is keyed by its configured name, never by its URL (which may carry a token). The failure
 * streak lives here, not in the relay's memory, so every instance (standby ones too) reports the
 * same sink health.
 */
export const outboxSinkCursors = pgTable('outbox_sink_cursors', {
  sink: text('sink').primaryKey(),
  position: bigint('position', { mode: 'bigint' }).notNull(),
  updatedAt: ts('updated_at').notNull(),
  /** Failed attempts since the last success (0 when the last attempt went through). */
  consecutiveFailures: integer('consecutive_failures').notNull().default(0),
  lastError: text('last_error'),
  lastErrorAt: ts('last_error_at'),
});

/**
 * Events a sink gave up on after its retries (a webhook endpoint that kept failing): the relay
 * records them here and goes on, so one bad endpoint cannot stall the others; admins list them.
 */
export const outboxDeadLetters = pgTable(
  'outbox_dead_letters',
  {
    sink: text('sink').notNull(),
    position: bigint('position', { mode: 'bigint' }).notNull(),
    eventId: uuid('event_id').notNull(),
    eventType: text('event_type').notNull(),
    attempts: integer('attempts').notNull(),
    lastError: text('last_error').notNull(),
    createdAt: ts('created_at').notNull(),
    /** Set by an admin's re-send; the active relay delivers it on its next round and clears it. */
    resendRequestedAt: ts('resend_requested_at'),
    /** When a re-send went through (the letter stays listed, as a record). */
    redeliveredAt: ts('redelivered_at'),
  },
  (t) => [primaryKey({ name: 'outbox_dead_letters_pkey', columns: [t.sink, t.position] }), index('outbox_dead_letters_created_idx').on(t.createdAt)],
);
