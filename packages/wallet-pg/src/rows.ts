/** Row ⇄ aggregate mapping. Numbers arrive as text (numeric, bigint) and never pass through a float. @internal */
import {
  Money,
  PointAccount,
  Wallet,
  currencyOf,
  type Actor,
  type Currency,
  type DomainEvent,
  type Hold,
  type LotClaim,
  type PointAccountChanges,
  type PointAccountState,
  type PointLot,
  type PointTransaction,
  type WalletChanges,
  type WalletTransaction,
} from '@goodgo/wallet-core';
import { UnstorableValueError, isStorableText, type Row } from './driver.js';
import { flushStatement, type FlushPart, type FlushPartValues, type Statement } from './queries.js';

const date = (v: unknown): Date => (v instanceof Date ? v : new Date(String(v)));
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
  };
}

/** Whether a locked wallet row says it has holds stored as active, which must then be loaded with it. */
export function hasHolds(r: Row): boolean {
  return !/^0(\.0*)?$/.test(str(r.held_amount));
}

/** A wallet row; its active holds come from the row's `holds` JSON array or are given. */
export function walletFromRow(r: Row, holds?: readonly Row[]): Wallet {
  const currency = currencyOf(str(r.currency));
  const holdRows = holds ?? (json(r.holds) as Row[] | null | undefined) ?? [];
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
    },
    holdRows.map((h) => holdFromRow(h, currency)),
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
  const currency = currencyOf(str(r.currency));
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
    actor: actor(r.actor),
    createdAt: date(r.created_at),
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

export interface KeyRef {
  scope: string;
  key: string;
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
type WalletRow = { id: string; user_id: string; currency: string; status: string; version: number; loaded_version: number } & Record<string, unknown>;
type AccountRow = { id: string; user_id: string; version: number; loaded_version: number } & Record<string, unknown>;

/**
 * What a batch writes, gathered unit by unit, and the one write-everything statement for it.
 * `add` takes the changes of a unit that succeeded and refuses them, before the write and without
 * keeping any, when a text in them cannot be stored: that unit fails alone, not the statement.
 * Several changes of one wallet or account (a batch's commands one after another) become one row
 * change: its final state, checked against the version first loaded; a hold or lot changed twice
 * is written once, as it ended. Ledger rows, allocations and events keep the order they were made
 * in, so each wallet's rows reach the hash-chain trigger in order.
 */
export class BatchWrite {
  private readonly wallets = new Latest<WalletRow>();
  private readonly holds = new Latest<{ id: string } & Record<string, unknown>>();
  private readonly walletRows: unknown[] = [];
  private readonly accounts = new Latest<AccountRow>();
  private readonly lots = new Latest<{ id: string } & Record<string, unknown>>();
  private readonly pointRows: unknown[] = [];
  private readonly allocations: unknown[] = [];
  private readonly events: unknown[] = [];
  private readonly responses: (KeyRef & { body: string })[] = [];
  private readonly released: KeyRef[] = [];

  /** A unit's changes and the stored answer of its claimed key; UnstorableValueError leaves the batch as it was. */
  add(changes: readonly Changes[], response: (KeyRef & { body: string }) | null): void {
    const wallets: WalletRow[] = [];
    const holds: ({ id: string } & Record<string, unknown>)[] = [];
    const walletRows: unknown[] = [];
    const accounts: AccountRow[] = [];
    const lots: ({ id: string } & Record<string, unknown>)[] = [];
    const pointRows: unknown[] = [];
    const allocations: unknown[] = [];
    const events: unknown[] = [];
    for (const c of changes) {
      if ('wallet' in c) {
        const w = c.wallet;
        wallets.push({
          id: w.id,
          user_id: w.userId,
          currency: w.currency.code,
          balance: w.balance.format(),
          held_amount: w.storedHeldAmount.format(),
          status: w.status,
          version: w.version,
          created_at: w.createdAt.toISOString(),
          updated_at: w.updatedAt.toISOString(),
          closed_at: w.closedAt?.toISOString() ?? null,
          loaded_version: c.loadedVersion,
        });
        for (const h of c.holds) {
          holds.push({
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
          });
        }
        for (const t of c.transactions) {
          walletRows.push({
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
          });
        }
      } else {
        const a = c.account;
        accounts.push({
          id: a.id,
          user_id: a.userId,
          total_points: a.totalPoints,
          available_points: a.availablePoints,
          pending_points: a.pendingPoints,
          version: a.version,
          created_at: a.createdAt.toISOString(),
          updated_at: a.updatedAt.toISOString(),
          loaded_version: c.loadedVersion,
        });
        for (const l of c.lots) {
          lots.push({
            id: l.id,
            account_id: l.accountId,
            points: l.points,
            remaining: l.remaining,
            status: l.status,
            source: l.source,
            expires_at: l.expiresAt?.toISOString() ?? null,
            created_at: l.createdAt.toISOString(),
          });
        }
        for (const t of c.transactions) {
          pointRows.push({
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
          });
        }
        for (const al of c.allocations) allocations.push({ transaction_id: al.transactionId, lot_id: al.lotId, points: al.points });
      }
      for (const e of c.events) {
        events.push({
          id: e.id,
          type: e.type,
          aggregate_type: e.aggregateType,
          aggregate_id: e.aggregateId,
          payload: e.payload,
          occurred_at: e.occurredAt.toISOString(),
          actor: e.actor,
          request_id: e.requestId,
        });
      }
    }
    assertStorable([wallets, holds, walletRows, accounts, lots, pointRows, events, response]);
    for (const w of wallets) this.wallets.put({ ...w, loaded_version: this.wallets.get(w.id)?.loaded_version ?? w.loaded_version });
    for (const a of accounts) this.accounts.put({ ...a, loaded_version: this.accounts.get(a.id)?.loaded_version ?? a.loaded_version });
    for (const h of holds) this.holds.put(h);
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
    const byOwner = (a: { user_id: string; currency?: unknown }, b: { user_id: string; currency?: unknown }) =>
      a.user_id !== b.user_id ? (a.user_id < b.user_id ? -1 : 1) : String(a.currency ?? '') < String(b.currency ?? '') ? -1 : 1;
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
