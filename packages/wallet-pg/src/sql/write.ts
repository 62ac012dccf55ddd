/**
 * The whole write path: what a batch's units saved, gathered into rows (the one place each row is
 * built from its aggregate), and the one write-everything statement that sends them. @internal
 */
import { chainedRowOf, formatLimits, formatUsage, type ChainWriter, type DomainEvent, type PointAccountChanges, type WalletChanges } from '@goodgo/wallet-core';
import { UnstorableValueError, isStorableText } from '../driver.js';
import type * as schema from '../schema.js';
import { keyRows } from './batch.js';
import * as c from './columns.js';
import type { WrittenRow } from './columns.js';
import { named as s, type Statement } from './statement.js';

/** An idempotency key by its primary key. */
export interface KeyRef {
  scope: string;
  key: string;
}

/** The answer a claimed key stores. */
export interface StoredResponse extends KeyRef {
  body: string;
}

interface PartSql {
  /** How the writer names the part. */
  part: string;
  /** The CTE's name. */
  name: string;
  /** How many parameters the part's CTE takes. */
  params: number;
  /** Whether the statement asserts how many rows the part changed (one more parameter). */
  counted: boolean;
  /** What it counts of the CTE's rows, when not all of them. */
  count?: (name: string) => string;
  cte: (p: (i: number) => string) => string;
}

/**
 * The parts of the write-everything statement, in the order they appear in it. This list alone
 * orders both the CTEs and the parameters: no other object's key order matters.
 */
const FLUSH_PARTS = [
  { part: 'newWallets', name: 'new_wallets', params: 1, counted: true, cte: (p) => c.wallets.insert(p(0)) },
  {
    part: 'changedWallets',
    name: 'changed_wallets',
    params: 2,
    counted: true,
    cte: (p) =>
      c.wallets.update(
        ['balance', 'held_amount', 'active_holds', 'active_allowances', 'status', 'version', 'updated_at', 'closed_at', 'chain_head', 'limits', 'limit_usage'],
        p(0),
        p(1),
      ),
  },
  // New holds in the order they were placed (seq is the page order); a changed hold only changes
  // its status, captured amount and time.
  {
    part: 'holds',
    name: 'holds',
    params: 1,
    counted: true,
    cte: (p) => c.holds.insert(p(0), { ordered: true, onConflict: c.holds.upsert(['amount', 'captured_amount', 'status', 'updated_at']) }),
  },
  // In the order they changed: an allowance marked expired is written before the one opened for its
  // till in the same batch, so the one-active-per-till key never sees both active.
  {
    part: 'allowances',
    name: 'allowances',
    params: 1,
    counted: true,
    cte: (p) =>
      c.allowances.insert(p(0), {
        ordered: true,
        onConflict: c.allowances.upsert(['spent_amount', 'spend_count', 'last_seq', 'largest_spend', 'status', 'updated_at']),
      }),
  },
  { part: 'walletRows', name: 'wallet_rows', params: 1, counted: false, cte: (p) => c.walletTransactions.insert(p(0), { ordered: true }) },
  { part: 'newAccounts', name: 'new_accounts', params: 1, counted: true, cte: (p) => c.pointAccounts.insert(p(0)) },
  {
    part: 'changedAccounts',
    name: 'changed_accounts',
    params: 2,
    counted: true,
    cte: (p) => c.pointAccounts.update(['total_points', 'available_points', 'pending_points', 'version', 'updated_at'], p(0), p(1)),
  },
  {
    part: 'lots',
    name: 'lots',
    params: 1,
    counted: false,
    cte: (p) => c.pointLots.insert(p(0), { onConflict: c.pointLots.upsert(['remaining', 'status', 'owed', 'owed_to']) }),
  },
  { part: 'pointRows', name: 'point_rows', params: 1, counted: false, cte: (p) => c.pointTransactions.insert(p(0), { ordered: true }) },
  { part: 'allocations', name: 'allocations', params: 1, counted: false, cte: (p) => c.pointAllocations.insert(p(0)) },
  { part: 'events', name: 'events', params: 1, counted: false, cte: (p) => c.outboxEvents.insert(p(0), { ordered: true }) },
  // The stored answers of the claimed keys, one per keyed command that succeeded, written onto the
  // rows the batch's claim inserted. Through the primary key as the claim's conflict, with no plan
  // to choose a scan (see `keyRows`: the UPDATE joined to the keys that this was probed every key
  // of the scope). The row is the claim's, so the insert never happens: its empty fingerprint,
  // which no request has, tells such a row apart, and the count below leaves it out, failing the
  // batch. Still a heap-only update (migration 0009's fillfactor).
  {
    part: 'responses',
    name: 'responses',
    params: 3,
    counted: true,
    count: (name) => `(SELECT count(*) FROM ${name} WHERE fingerprint <> '')`,
    cte: (p) => `INSERT INTO idempotency_keys AS k (scope, key, fingerprint, response, created_at)
    SELECT x.scope, x.key, '', x.body, now() FROM unnest(${p(0)}::text[], ${p(1)}::text[], ${p(2)}::text[]) AS x(scope, key, body)
    ON CONFLICT (scope, key) DO UPDATE SET response = excluded.response WHERE k.response IS NULL
    RETURNING k.fingerprint`,
  },
  // The keys a batch claimed for commands that then failed: free again, as a rolled-back claim is.
  {
    part: 'releasedKeys',
    name: 'released_keys',
    params: 2,
    counted: true,
    // Each row found by its key (`keyRows`), then deleted by its position (a parameterized TID scan).
    cte: (p) => `DELETE FROM idempotency_keys d USING (SELECT k.ctid FROM ${keyRows(p(0), p(1), 'ctid')}) f WHERE d.ctid = f.ctid
    RETURNING 1`,
  },
] as const satisfies readonly PartSql[];

export type FlushPart = (typeof FLUSH_PARTS)[number]['part'];

/** What the writer gives one part: the part's own parameters and the number of rows it must change. */
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
      return `${part.name} AS (
    ${part.cte((i) => `$${first + i}`)})`;
    });
    const checks = present
      .filter((part) => part.counted)
      .map((part) => `${'count' in part ? part.count(part.name) : `(SELECT count(*) FROM ${part.name})`} = $${next++}`);
    const assertion = checks.length ? `wallet_assert(${checks.join(' AND ')}, 'a unit of work did not change exactly the rows it locked')` : 'true';
    statement = s(`flush_${parseInt(bits, 2).toString(36)}`, `WITH\n  ${ctes.join(',\n  ')}\n  SELECT ${assertion} AS ok`);
    flushCache.set(bits, statement);
  }
  return { statement, params };
}

/** Rows by id in the order first seen; a later change of the same row replaces it in place. */
class Latest<R extends { id: string }> extends Map<string, R> {
  put(row: R): void {
    this.set(row.id, row);
  }
}

/** Refuses a string PostgreSQL would not store as given, anywhere in a row (event payloads included). */
function assertStorable(value: unknown): void {
  if (typeof value === 'string') {
    if (!isStorableText(value)) throw new UnstorableValueError();
  } else if (Array.isArray(value)) {
    for (const v of value) assertStorable(v);
  } else if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    for (const v of Object.values(value)) assertStorable(v);
  }
}

type Changes = WalletChanges | PointAccountChanges;
type Versioned<R> = R & { id: string; loaded_version: number };
type Identified<R> = R & { id: string };
type WalletRow = Versioned<WrittenRow<typeof schema.wallets>> & { user_id: string; currency: string; version: number };
type HoldRow = Identified<WrittenRow<typeof schema.holds>>;
type AllowanceRow = Identified<WrittenRow<typeof schema.allowances>>;
/** A wallet ledger row, its hash and key id still to come from the chain (`BatchWrite.add`). */
type LedgerRow = WrittenRow<typeof schema.walletTransactions>;
type AccountRow = Versioned<WrittenRow<typeof schema.pointAccounts>> & { user_id: string; version: number };
type LotRow = Identified<WrittenRow<typeof schema.pointLots>>;
type PointRow = WrittenRow<typeof schema.pointTransactions>;
type AllocationRow = WrittenRow<typeof schema.pointAllocations>;
type EventRow = WrittenRow<typeof schema.outboxEvents>;

// Each row built from its aggregate here and nowhere else; the row types are the schema's columns.
const walletRow = (c: WalletChanges): WalletRow => {
  const w = c.wallet;
  return {
    id: w.id,
    user_id: w.userId,
    currency: w.currency.code,
    balance: w.balance.format(),
    held_amount: w.storedHeldAmount.format(),
    active_holds: w.storedActiveHolds,
    active_allowances: w.activeAllowances.length,
    status: w.status,
    version: w.version,
    created_at: w.createdAt.toISOString(),
    updated_at: w.updatedAt.toISOString(),
    closed_at: w.closedAt?.toISOString() ?? null,
    chain_head: null,
    limits: w.ownLimits === null ? null : formatLimits(w.ownLimits),
    limit_usage: w.storedUsage === null ? null : formatUsage(w.storedUsage),
    loaded_version: c.loadedVersion,
  };
};
const holdRow = (h: WalletChanges['holds'][number]): HoldRow => ({
  id: h.id,
  wallet_id: h.walletId,
  amount: h.amount.format(),
  captured_amount: h.capturedAmount.format(),
  status: h.status,
  reference: h.reference,
  description: h.description,
  expires_at: h.expiresAt.toISOString(),
  created_at: h.createdAt.toISOString(),
  updated_at: h.updatedAt.toISOString(),
  metadata: h.metadata,
});
const allowanceRow = (a: WalletChanges['allowances'][number]): AllowanceRow => ({
  id: a.id,
  wallet_id: a.walletId,
  till_id: a.tillId,
  amount: a.amount.format(),
  spent_amount: a.spentAmount.format(),
  spend_count: a.spendCount,
  last_seq: a.lastSeq,
  largest_spend: a.largestSpend.format(),
  status: a.status,
  spend_until: a.spendUntil.toISOString(),
  settle_by: a.settleBy.toISOString(),
  max_spend_amount: a.maxSpendAmount?.format() ?? null,
  max_spends: a.maxSpends,
  created_at: a.createdAt.toISOString(),
  updated_at: a.updatedAt.toISOString(),
  metadata: a.metadata,
});
/** The one place a wallet ledger row is built. */
export const ledgerRow = (t: WalletChanges['transactions'][number]): LedgerRow => ({
  id: t.id,
  wallet_id: t.walletId,
  type: t.type,
  amount: t.amount.format(),
  balance_after: t.balanceAfter.format(),
  description: t.description,
  reference: t.reference,
  transfer_id: t.transferId,
  hold_id: t.holdId,
  refund_of: t.refundOf,
  actor: t.actor,
  created_at: t.createdAt.toISOString(),
  // Stored only where it differs from created_at (a sale made offline).
  occurred_at: t.occurredAt.getTime() === t.createdAt.getTime() ? null : t.occurredAt.toISOString(),
  allowance_id: t.allowanceId,
  allowance_seq: t.allowanceSeq,
  paired_with: t.pairedWith,
  metadata: t.metadata,
  hash: '',
  key_id: null,
});
const accountRow = (c: PointAccountChanges): AccountRow => {
  const a = c.account;
  return {
    id: a.id,
    user_id: a.userId,
    total_points: a.totalPoints,
    available_points: a.availablePoints,
    pending_points: a.pendingPoints,
    version: a.version,
    created_at: a.createdAt.toISOString(),
    updated_at: a.updatedAt.toISOString(),
    loaded_version: c.loadedVersion,
  };
};
const lotRow = (l: PointAccountChanges['lots'][number]): LotRow => ({
  id: l.id,
  account_id: l.accountId,
  points: l.points,
  remaining: l.remaining,
  status: l.status,
  source: l.source,
  expires_at: l.expiresAt?.toISOString() ?? null,
  created_at: l.createdAt.toISOString(),
  owed: l.owed,
  owed_to: l.owedTo,
});
const pointRow = (t: PointAccountChanges['transactions'][number]): PointRow => ({
  id: t.id,
  account_id: t.accountId,
  type: t.type,
  points: t.points,
  balance_after: t.balanceAfter,
  source: t.source,
  description: t.description,
  expires_at: t.expiresAt?.toISOString() ?? null,
  refund_of: t.refundOf,
  actor: t.actor,
  created_at: t.createdAt.toISOString(),
  reference: t.reference,
  paired_with: t.pairedWith,
  metadata: t.metadata,
});
const allocationRow = (a: PointAccountChanges['allocations'][number]): AllocationRow => ({
  transaction_id: a.transactionId,
  lot_id: a.lotId,
  points: a.points,
});
const eventRow = (e: DomainEvent, traceparent: string | null): EventRow => ({
  id: e.id,
  type: e.type,
  aggregate_type: e.aggregateType,
  aggregate_id: e.aggregateId,
  payload: e.payload,
  occurred_at: e.occurredAt.toISOString(),
  actor: e.actor,
  request_id: e.requestId,
  traceparent,
});

/**
 * What a batch writes, gathered unit by unit, and the one write-everything statement for it.
 * `add` takes the changes of a unit that succeeded and refuses them, before the write and without
 * keeping any, when a text in them cannot be stored: that unit fails alone, not the statement.
 * Several changes of one wallet or account (a batch's commands one after another) become one row
 * change: its final state, checked against the version first loaded; a hold or lot changed twice
 * is written once, as it ended. Ledger rows, allocations and events keep the order they were made
 * in, and `chain` links each wallet's rows onto its head in that order (after the storability
 * check, so a refused unit links nothing); the wallet row takes the new head.
 */
export class BatchWrite {
  private readonly wallets = new Latest<WalletRow>();
  private readonly holds = new Latest<HoldRow>();
  private readonly allowances = new Latest<AllowanceRow>();
  private readonly walletRows: LedgerRow[] = [];
  private readonly accounts = new Latest<AccountRow>();
  private readonly lots = new Latest<LotRow>();
  private readonly pointRows: PointRow[] = [];
  private readonly allocations: AllocationRow[] = [];
  private readonly events: EventRow[] = [];
  private readonly responses: StoredResponse[] = [];
  private readonly released: KeyRef[] = [];

  constructor(private readonly chain: ChainWriter) {}

  /**
   * A unit's changes and the stored answer of its claimed key, its events stamped with the
   * `traceparent` of its command; UnstorableValueError leaves the batch as it was.
   */
  add(changes: readonly Changes[], response: StoredResponse | null, traceparent: string | null = null): void {
    const wallets: WalletRow[] = [];
    const holds: HoldRow[] = [];
    const allowances: AllowanceRow[] = [];
    const walletRows: LedgerRow[] = [];
    const accounts: AccountRow[] = [];
    const lots: LotRow[] = [];
    const pointRows: PointRow[] = [];
    const allocations: AllocationRow[] = [];
    const events: EventRow[] = [];
    const chained: { row: LedgerRow; t: WalletChanges['transactions'][number]; owner: { userId: string; currencyCode: string } }[] = [];
    for (const c of changes) {
      if ('wallet' in c) {
        wallets.push(walletRow(c));
        holds.push(...c.holds.map(holdRow));
        allowances.push(...c.allowances.map(allowanceRow));
        const owner = { userId: c.wallet.userId, currencyCode: c.wallet.currency.code };
        for (const t of c.transactions) {
          const row = ledgerRow(t);
          walletRows.push(row);
          chained.push({ row, t, owner });
        }
      } else {
        accounts.push(accountRow(c));
        lots.push(...c.lots.map(lotRow));
        pointRows.push(...c.transactions.map(pointRow));
        allocations.push(...c.allocations.map(allocationRow));
      }
      events.push(...c.events.map((e) => eventRow(e, traceparent)));
    }
    assertStorable([wallets, holds, allowances, walletRows, accounts, lots, pointRows, events, response]);
    for (const { row, t, owner } of chained) {
      const link = this.chain.link(chainedRowOf(t, owner));
      row.hash = link.hash;
      row.key_id = link.keyId;
    }
    for (const w of wallets) w.chain_head = this.chain.headOf(w.id);
    for (const w of wallets) this.wallets.put({ ...w, loaded_version: this.wallets.get(w.id)?.loaded_version ?? w.loaded_version });
    for (const a of accounts) this.accounts.put({ ...a, loaded_version: this.accounts.get(a.id)?.loaded_version ?? a.loaded_version });
    for (const h of holds) this.holds.put(h);
    for (const a of allowances) this.allowances.put(a);
    for (const l of lots) this.lots.put(l);
    this.walletRows.push(...walletRows);
    this.pointRows.push(...pointRows);
    this.allocations.push(...allocations);
    this.events.push(...events);
    if (response !== null) this.responses.push(response);
  }

  /** A key claimed for a unit that failed: deleted again by the statement, as a rolled-back claim would be. */
  release(key: KeyRef): void {
    this.released.push(key);
  }

  /** The write-everything statement and its parameters; null when there is nothing to write. */
  statement(): { statement: Statement; params: unknown[] } | null {
    // New rows in the order of their unique keys: two batches creating the same pairs wait for each
    // other in one order, not in a cycle.
    const byOwner = (a: { user_id: string; currency?: string }, b: { user_id: string; currency?: string }) =>
      a.user_id !== b.user_id ? (a.user_id < b.user_id ? -1 : 1) : (a.currency ?? '') < (b.currency ?? '') ? -1 : 1;
    const wallets = [...this.wallets.values()];
    const accounts = [...this.accounts.values()];
    const newWallets = wallets.filter((w) => w.loaded_version === 0).sort(byOwner);
    const changedWallets = wallets.filter((w) => w.loaded_version !== 0 && w.version !== w.loaded_version);
    const newAccounts = accounts.filter((a) => a.loaded_version === 0).sort(byOwner);
    const changedAccounts = accounts.filter((a) => a.loaded_version !== 0 && a.version !== a.loaded_version);
    // Keyed by part: which position each part's parameters take is flushStatement's to decide.
    const jsonPart = (rows: unknown[]): FlushPartValues | undefined => (rows.length ? { params: [JSON.stringify(rows)], rows: rows.length } : undefined);
    const updatePart = (rows: { id: string }[]): FlushPartValues | undefined =>
      rows.length ? { params: [JSON.stringify(rows), rows.map((r) => r.id)], rows: rows.length } : undefined;
    const r = this.responses;
    const k = this.released;
    const values: Partial<Record<FlushPart, FlushPartValues | undefined>> = {
      newWallets: jsonPart(newWallets),
      changedWallets: updatePart(changedWallets),
      holds: jsonPart([...this.holds.values()]),
      allowances: jsonPart([...this.allowances.values()]),
      walletRows: jsonPart(this.walletRows),
      newAccounts: jsonPart(newAccounts),
      changedAccounts: updatePart(changedAccounts),
      lots: jsonPart([...this.lots.values()]),
      pointRows: jsonPart(this.pointRows),
      allocations: jsonPart(this.allocations),
      events: jsonPart(this.events),
      responses: r.length ? { params: [r.map((x) => x.scope), r.map((x) => x.key), r.map((x) => x.body)], rows: r.length } : undefined,
      releasedKeys: k.length ? { params: [k.map((x) => x.scope), k.map((x) => x.key)], rows: k.length } : undefined,
    };
    return flushStatement(values);
  }
}

/** The write statement of events alone (a checkpoint's, which belong to no aggregate). */
export function eventsStatement(events: readonly DomainEvent[]): { statement: Statement; params: unknown[] } | null {
  return flushStatement({ events: events.length ? { params: [JSON.stringify(events.map((e) => eventRow(e, null)))], rows: events.length } : undefined });
}
