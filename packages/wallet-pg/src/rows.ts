/** Row ⇄ aggregate mapping. Numbers arrive as text (numeric, bigint) and never pass through a float. @internal */
import {
  Money,
  metadataOf,
  type Metadata,
  type Allowance,
  PointAccount,
  Wallet,
  storedCurrencyOf,
  limitsFromStorage,
  usageFromStorage,
  type Actor,
  type Currency,
  type DomainEvent,
  type Hold,
  type LotClaim,
  type PointAccountState,
  type PointLot,
  type PointTransaction,
  type WalletTransaction,
} from '@goodgo/wallet-core';
import type { Row } from './driver.js';

/**
 * A zone's local mean time, before it kept standard time, is an offset with seconds
 * (Asia/Ho_Chi_Minh before 1906: `+07:06:30`). PostgreSQL writes such an offset into JSON, and
 * `Date` reads none: the reads that arrive as JSON would answer an invalid date where pg's own
 * parser reads the row's instant.
 */
const SECONDS_OFFSET = /([+-])(\d\d):(\d\d):(\d\d)$/;
function date(v: unknown): Date {
  if (v instanceof Date) return v;
  const text = String(v);
  const d = new Date(text);
  if (!Number.isNaN(d.getTime())) return d;
  const m = SECONDS_OFFSET.exec(text);
  if (m === null) return d;
  const offsetSeconds = (Number(m[2]) * 60 + Number(m[3])) * 60 + Number(m[4]);
  return new Date(new Date(`${text.slice(0, m.index)}Z`).getTime() - (m[1] === '-' ? -1 : 1) * offsetSeconds * 1000);
}
const nullableDate = (v: unknown): Date | null => (v === null || v === undefined ? null : date(v));
const str = (v: unknown): string => String(v);
const nullableStr = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
/** A jsonb column arrives parsed from pg and as text from some paths; both are accepted. */
const json = (v: unknown): unknown => (typeof v === 'string' ? JSON.parse(v) : v);
/** A JSON value a query built with row_to_json / jsonb_agg, as one row or a list of them. */
export const jsonRow = (v: unknown): Row => json(v) as Row;
export const jsonRows = (v: unknown): Row[] => (v === null || v === undefined ? [] : (json(v) as Row[]));
function actor(v: unknown): Actor | null {
  const a = json(v) as { sub?: unknown; role?: unknown } | null | undefined;
  return a && typeof a.sub === 'string' && typeof a.role === 'string' ? { sub: a.sub, role: a.role } : null;
}
/** A jsonb metadata column: null, or an object of strings, answered with its keys in the domain's (sorted) order. */
function metadata(v: unknown): Metadata | null {
  const m = json(v) as Record<string, unknown> | null | undefined;
  if (m === null || m === undefined) return null;
  return metadataOf(Object.entries(m).map(([k, value]) => [k, String(value)] as const));
}
/** Points are bigint in SQL and safe integers in the domain; refuse anything else rather than round. */
function points(v: unknown): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new RangeError(`points value ${String(v)} is outside the safe integer range`);
  return n;
}

export function holdFromRow(r: Row, currency: Currency): Hold {
  return {
    id: str(r.id),
    walletId: str(r.wallet_id),
    amount: Money.fromStorage(str(r.amount), currency),
    capturedAmount: Money.fromStorage(str(r.captured_amount), currency),
    status: str(r.status) as Hold['status'],
    reference: nullableStr(r.reference),
    description: nullableStr(r.description),
    expiresAt: date(r.expires_at),
    createdAt: date(r.created_at),
    updatedAt: date(r.updated_at),
    metadata: metadata(r.metadata),
  };
}

export function allowanceFromRow(r: Row, currency: Currency): Allowance {
  const money = (v: unknown) => Money.fromStorage(str(v), currency);
  return {
    id: str(r.id),
    walletId: str(r.wallet_id),
    tillId: str(r.till_id),
    amount: money(r.amount),
    spentAmount: money(r.spent_amount),
    spendCount: Number(r.spend_count),
    lastSeq: Number(r.last_seq),
    largestSpend: money(r.largest_spend),
    status: str(r.status) as Allowance['status'],
    spendUntil: date(r.spend_until),
    settleBy: date(r.settle_by),
    maxSpendAmount: r.max_spend_amount === null || r.max_spend_amount === undefined ? null : money(r.max_spend_amount),
    maxSpends: r.max_spends === null || r.max_spends === undefined ? null : Number(r.max_spends),
    createdAt: date(r.created_at),
    updatedAt: date(r.updated_at),
    metadata: metadata(r.metadata),
  };
}

/** Whether a locked wallet row says it has holds stored as active, which must then be loaded with it. */
export function hasHolds(r: Row): boolean {
  return Number(r.active_holds ?? 0) > 0;
}

/** A locked wallet row's chain head (null before its first keyed row). */
export function chainHeadOf(r: Row): string | null {
  return nullableStr(r.chain_head);
}

/** Whether a locked wallet row says it has allowances stored as active, which must then be loaded with it. */
export function hasAllowances(r: Row): boolean {
  return Number(r.active_allowances ?? 0) > 0;
}

/** A wallet row; its active holds and allowances come from the row's `holds` and `allowances` JSON arrays or are given. */
export function walletFromRow(r: Row, holds?: readonly Row[], allowances?: readonly Row[]): Wallet {
  const currency = storedCurrencyOf(str(r.currency));
  const holdRows = holds ?? (json(r.holds) as Row[] | null | undefined) ?? [];
  const allowanceRows = allowances ?? (json(r.allowances) as Row[] | null | undefined) ?? [];
  return Wallet.restore(
    {
      id: str(r.id),
      userId: str(r.user_id),
      currency,
      balance: Money.fromStorage(str(r.balance), currency),
      status: str(r.status) as Wallet['status'],
      version: Number(r.version),
      createdAt: date(r.created_at),
      updatedAt: date(r.updated_at),
      closedAt: nullableDate(r.closed_at),
      limits: limitsFromStorage(json(r.limits), currency),
      usage: usageFromStorage(json(r.limit_usage), currency),
    },
    holdRows.map((h) => holdFromRow(h, currency)),
    allowanceRows.map((a) => allowanceFromRow(a, currency)),
    // Holds stored as active that the read left out (past their expiry): counted, for the row's count.
    Math.max(0, Number(r.active_holds ?? 0) - holdRows.length),
  );
}

export function accountStateFromRow(r: Row): PointAccountState {
  return {
    id: str(r.id),
    userId: str(r.user_id),
    totalPoints: points(r.total_points),
    availablePoints: points(r.available_points),
    pendingPoints: points(r.pending_points),
    version: Number(r.version),
    createdAt: date(r.created_at),
    updatedAt: date(r.updated_at),
  };
}

export function lotFromRow(r: Row): PointLot {
  return {
    id: str(r.id),
    accountId: str(r.account_id),
    points: points(r.points),
    remaining: points(r.remaining),
    status: str(r.status) as PointLot['status'],
    source: str(r.source),
    expiresAt: nullableDate(r.expires_at),
    createdAt: date(r.created_at),
    owed: points(r.owed),
    owedTo: nullableStr(r.owed_to),
  };
}

export function claimFromRow(r: Row): LotClaim {
  return { lotId: str(r.lot_id), points: points(r.points), claimedBack: points(r.claimed_back) };
}

export function accountFromRows(account: Row, lots: readonly Row[]): PointAccount {
  const state = accountStateFromRow(account);
  return PointAccount.restore(state, lots.filter((l) => str(l.account_id) === state.id).map(lotFromRow));
}

export function walletTransactionFromRow(r: Row): WalletTransaction {
  const currency = storedCurrencyOf(str(r.currency));
  return {
    id: str(r.id),
    walletId: str(r.wallet_id),
    type: str(r.type) as WalletTransaction['type'],
    amount: Money.fromStorage(str(r.amount), currency),
    balanceAfter: Money.fromStorage(str(r.balance_after), currency),
    description: nullableStr(r.description),
    reference: nullableStr(r.reference),
    transferId: nullableStr(r.transfer_id),
    holdId: nullableStr(r.hold_id),
    refundOf: nullableStr(r.refund_of),
    actor: actor(r.actor),
    createdAt: date(r.created_at),
    // Stored only where it differs from created_at (a sale made offline).
    occurredAt: date(r.occurred_at ?? r.created_at),
    allowanceId: nullableStr(r.allowance_id),
    allowanceSeq: r.allowance_seq === null || r.allowance_seq === undefined ? null : Number(r.allowance_seq),
    pairedWith: nullableStr(r.paired_with),
    metadata: metadata(r.metadata),
  };
}

export function pointTransactionFromRow(r: Row): PointTransaction {
  return {
    id: str(r.id),
    accountId: str(r.account_id),
    type: str(r.type) as PointTransaction['type'],
    points: points(r.points),
    balanceAfter: points(r.balance_after),
    source: str(r.source),
    description: nullableStr(r.description),
    expiresAt: nullableDate(r.expires_at),
    refundOf: nullableStr(r.refund_of),
    reference: nullableStr(r.reference),
    pairedWith: nullableStr(r.paired_with),
    actor: actor(r.actor),
    createdAt: date(r.created_at),
    metadata: metadata(r.metadata),
  };
}

export function eventFromRow(r: Row): DomainEvent {
  return {
    id: str(r.id),
    type: str(r.type),
    aggregateType: str(r.aggregate_type),
    aggregateId: str(r.aggregate_id),
    occurredAt: date(r.occurred_at),
    actor: actor(r.actor),
    requestId: nullableStr(r.request_id),
    payload: json(r.payload),
  } as DomainEvent;
}
