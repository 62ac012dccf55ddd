import type { z } from 'zod';
import { randomIds, systemClock, type Actor, type ChangeContext, type Clock, type IdGenerator } from './context.js';
import { decodeCursor, decodeWalletCursor, encodeCursor, encodeWalletCursor } from './cursor.js';
import {
  AllowanceNotActiveError,
  AllowanceNotFoundError,
  HoldNotFoundError,
  IdempotencyConflictError,
  NotRefundableError,
  PointAccountNotFoundError,
  SameWalletError,
  TransactionNotFoundError,
  ValidationError,
  WalletNotFoundError,
} from './errors.js';
import { eventEnvelope, type EventEnvelope } from './event-schemas.js';
import type { ReconciliationReport } from './reconciliation.js';
import { canonicalJson, isValidIdempotencyKey, markReplayed } from './idempotency.js';
import { DEFAULT_CURRENCY, currencyOf } from './money/currency.js';
import { DEFAULT_MAX_AMOUNT, MAX_AMOUNT_PATTERN, Money } from './money/money.js';
import type { PointTransaction } from './points/ledger.js';
import { PointAccount } from './points/point-account.js';
import * as s from './schemas.js';
import type { FactReader, FoundWalletTransaction, LockPlan, LockedPointTransaction, ResolvingLockPlan, UnitOfWork, WalletStore } from './store.js';
import { parseInput as parse } from './validate.js';
import {
  allowanceView,
  holdView,
  pointAccountView,
  pointTransactionView,
  walletTransactionView,
  walletView,
  type AllowanceView,
  type HoldView,
  type Page,
  type PointAccountView,
  type PointTransactionView,
  type WalletTransactionView,
  type WalletView,
} from './views.js';
import { allowanceStatusAt, type Allowance, type AllowanceSpend } from './wallet/allowance.js';
import { syncAllowance as syncSpends } from './wallet/allowance-sync.js';
import { captureHold as captureBetween } from './wallet/capture.js';
import { assertRefundable, refund as refundPayment } from './wallet/refund.js';
import { transfer as transferBetween } from './wallet/transfer.js';
import { WALLET_TRANSACTION_TYPES, type WalletTransactionType } from './wallet/ledger.js';
import { Wallet } from './wallet/wallet.js';

export interface WalletServiceOptions {
  store: WalletStore;
  /** Currency of a wallet created without one. Default `VND`. */
  defaultCurrency?: string | undefined;
  /** Largest amount one command may move, in major units. Default `1000000000000`. */
  maxAmount?: string | undefined;
  clock?: Clock | undefined;
  ids?: IdGenerator | undefined;
  /** How long a hold lasts when placed without `expiresAt`, in milliseconds. Default 7 days; at most 30 days. */
  holdTtlMs?: number | undefined;
  /** How long a till may sell from an allowance opened without `spendUntil`, in milliseconds. Default 24 h; at most 7 days. */
  allowanceTtlMs?: number | undefined;
  /** How long after `spendUntil` an allowance stays reserved for late forwarding (`settleBy`), in milliseconds. Default 72 h; at most 30 days. */
  allowanceSyncGraceMs?: number | undefined;
}

const DAY_MS = 86_400_000;
/** The longest a hold may reserve money: a till's pre-authorisation, not a savings plan. */
export const MAX_HOLD_TTL_MS = 30 * DAY_MS;
export const DEFAULT_HOLD_TTL_MS = 7 * DAY_MS;
/** The longest a till may sell offline from one allowance: a shift or a few, not a credit line. */
export const MAX_ALLOWANCE_TTL_MS = 7 * DAY_MS;
export const DEFAULT_ALLOWANCE_TTL_MS = DAY_MS;
export const MAX_ALLOWANCE_SYNC_GRACE_MS = 30 * DAY_MS;
export const DEFAULT_ALLOWANCE_SYNC_GRACE_MS = 3 * DAY_MS;

/** A positive whole number of milliseconds up to `max`, or the constructor refuses the option. */
function durationOption(name: string, value: number | undefined, fallback: number, max: number, maxText: string): number {
  const ms = value ?? fallback;
  if (!Number.isSafeInteger(ms) || ms <= 0 || ms > max) throw new TypeError(`${name} must be a positive number of milliseconds up to ${maxText}, got ${ms}`);
  return ms;
}

export interface CommandOptions {
  /** Makes a retry of this command safe: a replay returns the first result and changes nothing. */
  idempotencyKey?: string | undefined;
  /** Whose key it is (the server passes the caller's `sub`). Default `''`. */
  idempotencyScope?: string | undefined;
  /**
   * Acting on behalf of this user: a wallet or pending points of someone else is reported as not
   * found, exactly like one that does not exist. The facade enforces no roles; this only scopes.
   */
  asUser?: string | undefined;
  /** Who is acting, written on every ledger row and event of the command (the audit trail). Default `null`. */
  actor?: Actor | null | undefined;
  /** The request that caused the command, written on its events (the server passes its request id). */
  requestId?: string | undefined;
}

export interface QueryOptions {
  asUser?: string | undefined;
}

// What the facade returns is what the HTTP API sends: each type is its response schema's output.
export type MovementResult = z.output<typeof s.movementResult>;
/** The source side only: the target wallet's balance is not disclosed. */
export type TransferResult = z.output<typeof s.transferResult>;
export type PointsResult = z.output<typeof s.pointsResult>;
export type ExpireResult = z.output<typeof s.expireResult>;

export interface EventPage {
  items: { position: string; event: EventEnvelope }[];
  /** Pass back as `after` for the next page: the last item's position, or the `after` given when there was none. */
  nextAfter: string | null;
}

/** The payer's side: its wallet after the capture and its `withdrawal`, or the `transfer_out` of the pair when captured into another wallet. */
export type CaptureResult = z.output<typeof s.captureResult>;
export type VoidResult = z.output<typeof s.voidResult>;
/** The payer's side: its wallet and its `refund_in` row. */
export type RefundResult = z.output<typeof s.refundResult>;
/** `expiredPoints`: points of lots already expired, counted as refunded, not returned. */
export type PointsRefundResult = z.output<typeof s.pointsRefundResult>;
/** `shortfall`: points already spent or expired, counted as reversed, not clawed back. */
export type PointsReversalResult = z.output<typeof s.pointsReversalResult>;
/** A wallet's balance at an instant, from its ledger. */
export type BalanceAtView = z.output<typeof s.balanceAtResource>;
/** A wallet's statement for a period: opening and closing balances, and per type the sum of the period's rows. */
export type StatementView = z.output<typeof s.statementResource>;
export type BalanceSummary = z.output<typeof s.balanceSummary>;
/** The allowance after the sync, and per spend (in seq order) whether it was booked now or before. */
export type AllowanceSyncResult = z.output<typeof s.allowanceSyncResult>;

/** An input whose time fields take a `Date` as well as an ISO 8601 string. */
export type WithTimes<T, K extends keyof T> = Omit<T, K> & { [P in K]?: T[P] | Date };

/**
 * Writes the `Date`s of a command's time fields as ISO strings, the one form its schema (shared
 * with the HTTP API) reads. An invalid Date is left as it is, so validation reports the field.
 */
function isoTimes(input: unknown, ...keys: string[]): unknown {
  if (input === null || typeof input !== 'object') return input;
  const fields = input as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  for (const key of keys) {
    const value = fields[key];
    if (value instanceof Date && !Number.isNaN(value.getTime())) {
      out ??= { ...fields };
      out[key] = value.toISOString();
    }
  }
  return out ?? input;
}

/** `isoTimes` for each spend of a sync. */
function isoSpendTimes(input: unknown): unknown {
  if (input === null || typeof input !== 'object') return input;
  const spends = (input as { spends?: unknown }).spends;
  return Array.isArray(spends) ? { ...input, spends: spends.map((spend) => isoTimes(spend, 'occurredAt')) } : input;
}

/** A time ahead of `now` (`ttlMs` from it when not given), at most `maxMs` ahead; VALIDATION_ERROR naming `path` otherwise. */
function deadline(path: string, given: string | undefined, now: Date, ttlMs: number, maxMs: number, maxText: string): Date {
  const at = given === undefined ? new Date(now.getTime() + ttlMs) : new Date(given);
  if (at.getTime() <= now.getTime()) throw new ValidationError(`${path} must be in the future`, [{ path, message: 'must be in the future' }]);
  if (at.getTime() - now.getTime() > maxMs) {
    throw new ValidationError(`${path} must be at most ${maxText} ahead`, [{ path, message: `must be at most ${maxText} ahead` }]);
  }
  return at;
}

function periodError(): ValidationError {
  return new ValidationError('from must be before to', [{ path: 'to', message: 'must be after from' }]);
}

/** What a command will lock and read under its locks, named before it runs (see `command`). */
type DeclaredLocks = Omit<LockPlan, 'idempotency'>;
/** What a command locks when that depends on facts it must read first: the facts, then the locks they name. */
interface Resolved<F> {
  resolve(facts: FactReader): Promise<F>;
  locks(facts: F): DeclaredLocks;
}
const NO_LOCKS = { wallets: [], pointAccounts: [] } as const satisfies DeclaredLocks;

function hidden(asUser: string | undefined, ownerId: string): boolean {
  return asUser !== undefined && asUser !== ownerId;
}

/**
 * The wallet and points service: one method per command and query of the API contract.
 *
 * Every command validates its input with the exported zod schemas, runs as one unit of work of
 * the store (one database transaction), and returns the new state with its ledger row. With an
 * `idempotencyKey`, the first result is stored in that same unit of work and a replay returns it.
 */
export class WalletService {
  private readonly store: WalletStore;
  readonly defaultCurrency: string;
  readonly maxAmount: string;
  private readonly clock: Clock;
  private readonly ids: IdGenerator;
  private readonly holdTtlMs: number;
  private readonly allowanceTtlMs: number;
  private readonly allowanceSyncGraceMs: number;

  constructor(options: WalletServiceOptions) {
    this.store = options.store;
    this.defaultCurrency = currencyOf(options.defaultCurrency ?? DEFAULT_CURRENCY).code;
    this.maxAmount = options.maxAmount ?? DEFAULT_MAX_AMOUNT;
    if (!MAX_AMOUNT_PATTERN.test(this.maxAmount)) throw new TypeError(`maxAmount must be a positive decimal string, got ${this.maxAmount}`);
    this.clock = options.clock ?? systemClock;
    this.ids = options.ids ?? randomIds;
    this.holdTtlMs = durationOption('holdTtlMs', options.holdTtlMs, DEFAULT_HOLD_TTL_MS, MAX_HOLD_TTL_MS, '30 days');
    this.allowanceTtlMs = durationOption('allowanceTtlMs', options.allowanceTtlMs, DEFAULT_ALLOWANCE_TTL_MS, MAX_ALLOWANCE_TTL_MS, '7 days');
    this.allowanceSyncGraceMs = durationOption(
      'allowanceSyncGraceMs',
      options.allowanceSyncGraceMs,
      DEFAULT_ALLOWANCE_SYNC_GRACE_MS,
      MAX_ALLOWANCE_SYNC_GRACE_MS,
      '30 days',
    );
  }

  // ---- wallets -------------------------------------------------------------------------------

  async createWallet(input: s.CreateWalletInput, options: CommandOptions = {}): Promise<WalletView> {
    const cmd = parse(s.createWalletInput, input);
    const currency = currencyOf(cmd.currency ?? this.defaultCurrency);
    return this.command(
      'createWallet',
      { ...cmd, currency: currency.code },
      options,
      async (uow, ctx) => {
        const wallet = Wallet.open(ctx, { userId: cmd.userId, currency });
        uow.save(wallet.pullChanges());
        return walletView(wallet, ctx.now);
      },
      // It only inserts; the (user, currency) pair is checked before the write.
      { ...NO_LOCKS, newWallets: [{ userId: cmd.userId, currency: currency.code }] },
    );
  }

  async getWallet(input: s.WalletIdInput, options: QueryOptions = {}): Promise<WalletView> {
    const { walletId: id } = parse(s.walletIdInput, input);
    const wallet = await this.store.getWallet(id);
    if (!wallet || hidden(options.asUser, wallet.userId)) throw new WalletNotFoundError(id);
    return walletView(wallet, this.clock());
  }

  async listWallets(input: s.UserIdInput): Promise<WalletView[]> {
    const cmd = parse(s.userIdInput, input);
    const now = this.clock();
    return (await this.store.listWallets(cmd.userId)).map((w) => walletView(w, now));
  }

  async deposit(input: s.DepositInput, options: CommandOptions = {}): Promise<MovementResult> {
    return this.movement('deposit', parse(s.depositInput, input), options);
  }

  async withdraw(input: s.WithdrawInput, options: CommandOptions = {}): Promise<MovementResult> {
    return this.movement('withdraw', parse(s.withdrawInput, input), options);
  }

  /** Moves money between two wallets of one currency. Answers with the source side only. */
  async transfer(input: s.TransferInput, options: CommandOptions = {}): Promise<TransferResult> {
    const cmd = parse(s.transferInput, input);
    if (cmd.fromWalletId === cmd.toWalletId) throw new SameWalletError(cmd.fromWalletId);
    return this.command(
      'transfer',
      cmd,
      options,
      async (uow, ctx) => {
        const locked = await uow.lockWallets([cmd.fromWalletId, cmd.toWalletId]);
        const from = locked.get(cmd.fromWalletId);
        if (!from || hidden(options.asUser, from.userId)) throw new WalletNotFoundError(cmd.fromWalletId);
        const to = locked.get(cmd.toWalletId);
        if (!to) throw new WalletNotFoundError(cmd.toWalletId);
        const result = transferBetween(ctx, from, to, this.amount(cmd.amount, from), cmd);
        uow.save(from.pullChanges());
        uow.save(to.pullChanges());
        return { transferId: result.transferId, wallet: walletView(from, ctx.now), transaction: walletTransactionView(result.debit) };
      },
      { wallets: [cmd.fromWalletId, cmd.toWalletId], pointAccounts: [] },
    );
  }

  async freeze(input: s.WalletStatusInput, options: CommandOptions = {}): Promise<WalletView> {
    return this.changeStatus('freeze', input, options);
  }

  async unfreeze(input: s.WalletStatusInput, options: CommandOptions = {}): Promise<WalletView> {
    return this.changeStatus('unfreeze', input, options);
  }

  /** Closes an empty wallet: it accepts nothing more and stays readable with its history. */
  async close(input: s.WalletStatusInput, options: CommandOptions = {}): Promise<WalletView> {
    return this.changeStatus('close', input, options);
  }

  /**
   * A wallet's history, newest first, by keyset. `type`, `reference` and the period [`from`, `to`)
   * combine; with a period, pages run in (`createdAt`, position) order.
   */
  async listTransactions(input: s.ListTransactionsFilterInput, options: QueryOptions = {}): Promise<Page<WalletTransactionView>> {
    const q = parse(s.listTransactionsInput, isoTimes(input, 'from', 'to'));
    const before = q.cursor === undefined || q.cursor === null ? undefined : decodeCursor(q.cursor);
    const from = q.from === undefined ? undefined : new Date(q.from);
    const to = q.to === undefined ? undefined : new Date(q.to);
    if (from !== undefined && to !== undefined && from.getTime() >= to.getTime()) throw periodError();
    await this.visibleWallet(q.walletId, options.asUser);
    const rows = await this.store.listWalletTransactions(q.walletId, { limit: q.limit + 1, before, type: q.type, reference: q.reference, from, to });
    return this.page(rows, q.limit, walletTransactionView);
  }

  // ---- reading the books ---------------------------------------------------------------------

  /**
   * The balance of a wallet at an instant, from its ledger: the `balanceAfter` of the last row
   * created at or before `at` (rows of one instant in ledger order), zero before the first row.
   * `at` must not be in the future: nobody knows that balance yet.
   */
  async getBalanceAt(input: s.BalanceAtInput, options: QueryOptions = {}): Promise<BalanceAtView> {
    const q = parse(s.balanceAtInput, isoTimes(input, 'at'));
    const at = new Date(q.at);
    if (at.getTime() > this.clock().getTime()) {
      throw new ValidationError('at must not be in the future', [{ path: 'at', message: 'must not be in the future' }]);
    }
    const wallet = await this.visibleWallet(q.walletId, options.asUser);
    const balance = await this.store.balanceAt({ walletId: wallet.id, currency: wallet.currency, at, inclusive: true });
    return { walletId: wallet.id, at: at.toISOString(), balance: balance.format() };
  }

  /**
   * A statement of the period [`from`, `to`): the opening balance (after the last row before
   * `from`), the closing balance (after the last row before `to`), and per type the sum of the
   * rows in between. `from` must be before `to`, at most `MAX_STATEMENT_DAYS` apart; `to` may lie
   * ahead (a period still running: its figures are those known so far).
   */
  async getStatement(input: s.StatementInput, options: QueryOptions = {}): Promise<StatementView> {
    const q = parse(s.statementInput, isoTimes(input, 'from', 'to'));
    const from = new Date(q.from);
    const to = new Date(q.to);
    if (from.getTime() >= to.getTime()) throw periodError();
    if (to.getTime() - from.getTime() > s.MAX_STATEMENT_DAYS * DAY_MS) {
      throw new ValidationError(`A statement covers at most ${s.MAX_STATEMENT_DAYS} days`, [
        { path: 'to', message: `must be at most ${s.MAX_STATEMENT_DAYS} days after from` },
      ]);
    }
    const wallet = await this.visibleWallet(q.walletId, options.asUser);
    const figures = await this.store.walletStatement({ walletId: wallet.id, currency: wallet.currency, from, to });
    const zero = Money.zero(wallet.currency);
    const totals = Object.fromEntries(WALLET_TRANSACTION_TYPES.map((type) => [type, (figures.totals.get(type) ?? zero).format()])) as Record<
      WalletTransactionType,
      string
    >;
    return {
      walletId: wallet.id,
      currency: wallet.currency.code,
      from: from.toISOString(),
      to: to.toISOString(),
      openingBalance: figures.opening.format(),
      closingBalance: figures.closing.format(),
      totals,
      count: figures.count,
    };
  }

  /** Wallets matching every filter given, newest first, by keyset (an admin's search). */
  async searchWallets(input: s.SearchWalletsInput = {}): Promise<Page<WalletView>> {
    const q = parse(s.searchWalletsInput, input);
    const after = q.cursor === undefined || q.cursor === null ? undefined : decodeWalletCursor(q.cursor);
    const rows = await this.store.searchWallets({ limit: q.limit + 1, userId: q.userId, status: q.status, currency: q.currency, after });
    const now = this.clock();
    const items = rows.slice(0, q.limit);
    const last = items[items.length - 1];
    return { items: items.map((w) => walletView(w, now)), nextCursor: rows.length > q.limit && last ? encodeWalletCursor(last.id) : null };
  }

  async getBalanceSummary(input: s.UserIdInput): Promise<BalanceSummary> {
    const cmd = parse(s.userIdInput, input);
    const now = this.clock();
    const [wallets, points] = await Promise.all([this.store.listWallets(cmd.userId), this.store.getPointAccount(cmd.userId)]);
    return { userId: cmd.userId, wallets: wallets.map((w) => walletView(w, now)), points: points ? pointAccountView(points, now) : null };
  }

  // ---- points --------------------------------------------------------------------------------

  /** Credits points, opening the user's account on the first earn. `pending` holds them until confirmed. */
  async earnPoints(input: WithTimes<s.EarnPointsInput, 'expiresAt'>, options: CommandOptions = {}): Promise<PointsResult> {
    const cmd = parse(s.earnPointsInput, isoTimes(input, 'expiresAt'));
    return this.pointsCommand('earnPoints', cmd, options, 'open', (account, ctx) =>
      account.earn(ctx, { ...cmd, expiresAt: cmd.expiresAt === undefined ? null : new Date(cmd.expiresAt) }),
    );
  }

  async spendPoints(input: s.SpendPointsInput, options: CommandOptions = {}): Promise<PointsResult> {
    const cmd = parse(s.spendPointsInput, input);
    return this.pointsCommand('spendPoints', cmd, options, 'existing', (account, ctx) => account.spend(ctx, cmd));
  }

  async adjustPoints(input: s.AdjustPointsInput, options: CommandOptions = {}): Promise<PointsResult> {
    const cmd = parse(s.adjustPointsInput, input);
    return this.pointsCommand('adjustPoints', cmd, options, 'open', (account, ctx) => account.adjust(ctx, cmd));
  }

  /** Confirms a pending earn, identified by the id of its `pending` ledger row. */
  async confirmPendingPoints(input: s.PendingPointsInput, options: CommandOptions = {}): Promise<PointsResult> {
    return this.settlePending('confirm', input, options);
  }

  async cancelPendingPoints(input: s.PendingPointsInput, options: CommandOptions = {}): Promise<PointsResult> {
    return this.settlePending('cancel', input, options);
  }

  /**
   * Expires every lot whose expiry is at or before `asOf` (default now; a future `asOf` is refused,
   * since it would take points before their time). Running it twice expires nothing the second time.
   */
  async expirePoints(input: WithTimes<s.ExpirePointsInput, 'asOf'> = {}, options: CommandOptions = {}): Promise<ExpireResult> {
    const cmd = parse(s.expirePointsInput, isoTimes(input, 'asOf'));
    // The clock is read for the scan too: a future asOf is refused before anything is read.
    const asOfOf = (now: Date) => (cmd.asOf === undefined ? now : new Date(cmd.asOf));
    return this.command(
      'expirePoints',
      cmd,
      options,
      async (uow, ctx, users: readonly string[]) => {
        const asOf = asOfOf(ctx.now);
        if (asOf.getTime() > ctx.now.getTime()) {
          throw new ValidationError('asOf must not be in the future', [{ path: 'asOf', message: 'must not be in the future' }]);
        }
        let expiredPoints = 0;
        let accounts = 0;
        for (const userId of users) {
          // Found by a scan before the lock: what is due is decided now, under it.
          const account = await uow.lockPointAccount(userId);
          if (!account) continue;
          const txs = account.expire(ctx, asOf);
          if (txs.length === 0) continue;
          accounts += 1;
          for (const tx of txs) expiredPoints -= tx.points;
          uow.save(account.pullChanges());
        }
        return { expiredPoints, accounts };
      },
      {
        resolve: async (facts) => {
          const now = this.clock();
          const asOf = asOfOf(now);
          return asOf.getTime() > now.getTime() ? [] : [...new Set(await facts.usersWithDueLots(asOf))].sort();
        },
        locks: (users) => ({ wallets: [], pointAccounts: users }),
      },
    );
  }

  async getPointAccount(input: s.UserIdInput): Promise<PointAccountView> {
    const cmd = parse(s.userIdInput, input);
    const account = await this.store.getPointAccount(cmd.userId);
    if (!account) throw new PointAccountNotFoundError(cmd.userId);
    return pointAccountView(account, this.clock());
  }

  async listPointTransactions(input: s.ListPointTransactionsInput): Promise<Page<PointTransactionView>> {
    const q = parse(s.listPointTransactionsInput, input);
    const before = q.cursor === undefined || q.cursor === null ? undefined : decodeCursor(q.cursor);
    const account = await this.store.getPointAccount(q.userId);
    if (!account) throw new PointAccountNotFoundError(q.userId);
    const rows = await this.store.listPointTransactions(account.id, { limit: q.limit + 1, before, type: q.type });
    return this.page(rows, q.limit, pointTransactionView);
  }

  // ---- the books -----------------------------------------------------------------------------

  /** Runs every reconciliation check over the whole store; `ok` when nothing was found. */
  async reconcile(): Promise<ReconciliationReport> {
    const findings = await this.store.reconcile();
    return { ok: findings.problems.length === 0, checkedAt: this.clock().toISOString(), ...findings };
  }

  // ---- events --------------------------------------------------------------------------------

  /**
   * Committed events in position order, after `after` (exclusive), as published envelopes. A page
   * never skips an event whose transaction is still committing: following `nextAfter` sees every
   * event exactly once.
   */
  async listEvents(input: s.ListEventsInput = {}): Promise<EventPage> {
    const q = parse(s.listEventsInput, input);
    const rows = await this.store.listEvents(q.after, q.limit);
    const last = rows[rows.length - 1];
    return { items: rows.map((r) => ({ position: r.position, event: eventEnvelope(r.row) })), nextAfter: last?.position ?? q.after ?? null };
  }

  // ---- holds --------------------------------------------------------------------------------

  /**
   * Reserves `amount` of the wallet's available balance until `expiresAt` (default: the hold TTL;
   * at most 30 days ahead). Withdrawals, transfers and other holds can no longer use it.
   */
  async placeHold(input: s.PlaceHoldInput, options: CommandOptions = {}): Promise<HoldView> {
    const cmd = parse(s.placeHoldInput, isoTimes(input, 'expiresAt'));
    return this.command(
      'placeHold',
      cmd,
      options,
      async (uow, ctx) => {
        const expiresAt = deadline('expiresAt', cmd.expiresAt, ctx.now, this.holdTtlMs, MAX_HOLD_TTL_MS, '30 days');
        const wallet = await this.lockOne(uow, cmd.walletId, options.asUser);
        const hold = wallet.placeHold(ctx, this.amount(cmd.amount, wallet), { expiresAt, reference: cmd.reference, description: cmd.description });
        uow.save(wallet.pullChanges());
        return holdView(hold, ctx.now);
      },
      { wallets: [cmd.walletId], pointAccounts: [] },
    );
  }

  async getHold(input: s.HoldIdInput, options: QueryOptions = {}): Promise<HoldView> {
    const cmd = parse(s.holdIdInput, input);
    const hold = await this.store.getHold(cmd.holdId);
    if (!hold) throw new HoldNotFoundError(cmd.holdId);
    if (options.asUser !== undefined) {
      const wallet = await this.store.getWallet(hold.walletId);
      if (!wallet || hidden(options.asUser, wallet.userId)) throw new HoldNotFoundError(cmd.holdId);
    }
    return holdView(hold, this.clock());
  }

  /** A wallet's holds, newest first; `status` as a reader sees it now (an unswept expired hold is `expired`). */
  async listHolds(input: s.ListHoldsInput, options: QueryOptions = {}): Promise<Page<HoldView>> {
    const q = parse(s.listHoldsInput, input);
    const before = q.cursor === undefined || q.cursor === null ? undefined : decodeCursor(q.cursor);
    const wallet = await this.store.getWallet(q.walletId);
    if (!wallet || hidden(options.asUser, wallet.userId)) throw new WalletNotFoundError(q.walletId);
    const now = this.clock();
    const rows = await this.store.listHolds(q.walletId, { limit: q.limit + 1, before, status: q.status, now });
    return this.page(rows, q.limit, (h) => holdView(h, now));
  }

  /**
   * Takes all or part of an active hold, once; the rest is released. Without `toWalletId` the
   * money leaves as a `withdrawal`; with it, as a transfer pair into that wallet. Both carry `holdId`.
   */
  async captureHold(input: s.CaptureHoldInput, options: CommandOptions = {}): Promise<CaptureResult> {
    const cmd = parse(s.captureHoldInput, input);
    return this.command(
      'captureHold',
      cmd,
      options,
      async (uow, ctx, walletId) => {
        const from = await this.lockHoldWallet(uow, cmd.holdId, walletId, cmd.toWalletId, options.asUser);
        const to = cmd.toWalletId === undefined ? null : from.others.get(cmd.toWalletId);
        if (to === undefined) throw new WalletNotFoundError(cmd.toWalletId as string);
        const amount = cmd.amount === undefined ? undefined : this.amount(cmd.amount, from.wallet);
        const result = captureBetween(ctx, from.wallet, cmd.holdId, amount, to, { description: cmd.description });
        uow.save(from.wallet.pullChanges());
        if (to !== null) uow.save(to.pullChanges());
        return { hold: holdView(result.hold, ctx.now), wallet: walletView(from.wallet, ctx.now), transaction: walletTransactionView(result.debit) };
      },
      holdWallet(cmd.holdId, cmd.toWalletId),
    );
  }

  /** Releases an active hold without taking anything; allowed on a frozen wallet. */
  async voidHold(input: s.VoidHoldInput, options: CommandOptions = {}): Promise<VoidResult> {
    const cmd = parse(s.voidHoldInput, input);
    return this.command(
      'voidHold',
      cmd,
      options,
      async (uow, ctx, walletId) => {
        const { wallet } = await this.lockHoldWallet(uow, cmd.holdId, walletId, undefined, options.asUser);
        const hold = wallet.voidHold(ctx, cmd.holdId, cmd.reason ?? null);
        uow.save(wallet.pullChanges());
        return { hold: holdView(hold, ctx.now), wallet: walletView(wallet, ctx.now) };
      },
      holdWallet(cmd.holdId, undefined),
    );
  }

  // ---- offline allowances --------------------------------------------------------------------

  /**
   * Sets aside `amount` of a wallet's available balance for one till to spend offline until
   * `spendUntil`; it stays reserved until `settleBy` (`spendUntil` plus the sync grace), so sales
   * forwarded late are still covered. One active allowance per (wallet, till).
   */
  async openAllowance(input: s.OpenAllowanceInput, options: CommandOptions = {}): Promise<AllowanceView> {
    const cmd = parse(s.openAllowanceInput, isoTimes(input, 'spendUntil'));
    return this.command(
      'openAllowance',
      cmd,
      options,
      async (uow, ctx) => {
        const spendUntil = deadline('spendUntil', cmd.spendUntil, ctx.now, this.allowanceTtlMs, MAX_ALLOWANCE_TTL_MS, '7 days');
        const wallet = await this.lockOne(uow, cmd.walletId, options.asUser);
        const allowance = wallet.openAllowance(ctx, {
          tillId: cmd.tillId,
          amount: this.amount(cmd.amount, wallet),
          spendUntil,
          settleBy: new Date(spendUntil.getTime() + this.allowanceSyncGraceMs),
          maxSpendAmount: cmd.maxSpendAmount === undefined ? null : this.amount(cmd.maxSpendAmount, wallet),
          maxSpends: cmd.maxSpends ?? null,
        });
        uow.save(wallet.pullChanges());
        return allowanceView(allowance, ctx.now);
      },
      { wallets: [cmd.walletId], pointAccounts: [] },
    );
  }

  async getAllowance(input: s.AllowanceIdInput, options: QueryOptions = {}): Promise<AllowanceView> {
    const cmd = parse(s.allowanceIdInput, input);
    return allowanceView(await this.visibleAllowance(cmd.allowanceId, options.asUser), this.clock());
  }

  /** A wallet's allowances, newest first; `status` as a reader sees it now (one past `settleBy` is `expired`). */
  async listAllowances(input: s.ListAllowancesInput, options: QueryOptions = {}): Promise<Page<AllowanceView>> {
    const q = parse(s.listAllowancesInput, input);
    const before = q.cursor === undefined || q.cursor === null ? undefined : decodeCursor(q.cursor);
    await this.visibleWallet(q.walletId, options.asUser);
    const now = this.clock();
    const rows = await this.store.listAllowances(q.walletId, { limit: q.limit + 1, before, status: q.status, now });
    return this.page(rows, q.limit, (a) => allowanceView(a, now));
  }

  /**
   * Books the spends a till forwarded, in seq order, each a capture of the allowance (a
   * `withdrawal`, or a transfer pair into `toWalletId`) with `allowanceId`, `allowanceSeq` and the
   * till's `occurredAt` on its rows. Exactly once per seq: a seq booked with the same content
   * answers `replayed`, with other content ALLOWANCE_SEQ_CONFLICT; a gap is ALLOWANCE_SEQ_GAP.
   * Whole or nothing. A frozen wallet still takes them: the money was set aside before.
   */
  async syncAllowance(input: s.SyncAllowanceInput, options: CommandOptions = {}): Promise<AllowanceSyncResult> {
    const cmd = parse(s.syncAllowanceInput, isoSpendTimes(input));
    const merchants = [...new Set(cmd.spends.flatMap((spend) => (spend.toWalletId === undefined ? [] : [spend.toWalletId])))];
    const seqs = cmd.spends.map((spend) => spend.seq);
    return this.command(
      'syncAllowance',
      cmd,
      options,
      async (uow, ctx, resolved: Allowance | null) => {
        const locked = await uow.lockWallets(resolved === null ? [] : [resolved.walletId, ...merchants]);
        const { wallet: payer, found } = this.allowanceWallet(locked, cmd.allowanceId, resolved, ctx.now, options.asUser);
        const spends: AllowanceSpend[] = cmd.spends
          .map((spend) => ({
            seq: spend.seq,
            amount: this.amount(spend.amount, payer),
            occurredAt: new Date(spend.occurredAt),
            reference: spend.reference ?? null,
            description: spend.description ?? null,
            toWalletId: spend.toWalletId ?? null,
          }))
          .sort((a, b) => a.seq - b.seq);
        const { lastSeq } = payer.activeAllowance(ctx, found.id);
        const seen = spends.filter((spend) => spend.seq <= lastSeq).map((spend) => spend.seq);
        const booked = seen.length === 0 ? new Map() : await uow.bookedSpends(found.id, seen);
        const result = syncSpends(ctx, payer, found.id, spends, locked, booked);
        for (const wallet of locked.values()) uow.save(wallet.pullChanges());
        return { allowance: allowanceView(result.allowance, ctx.now), results: [...result.results] };
      },
      // The allowance's wallet never changes: the resolve step reads it, and the sync joins a batch
      // with every seq it names, so that a retry compares with what was booked under the lock.
      allowanceWallet(cmd.allowanceId, (found) => ({
        wallets: [found.walletId, ...merchants],
        pointAccounts: [],
        bookedSpends: [{ allowanceId: found.id, seqs }],
      })),
    );
  }

  /**
   * Ends an allowance once the till has forwarded every sale: `lastSeq` is the till's last seq.
   * What was not spent goes back to the available balance.
   */
  async settleAllowance(input: s.SettleAllowanceInput, options: CommandOptions = {}): Promise<AllowanceView> {
    const cmd = parse(s.settleAllowanceInput, input);
    return this.command(
      'settleAllowance',
      cmd,
      options,
      async (uow, ctx, resolved: Allowance | null) => {
        const locked = await uow.lockWallets(resolved === null ? [] : [resolved.walletId]);
        const { wallet } = this.allowanceWallet(locked, cmd.allowanceId, resolved, ctx.now, options.asUser);
        const settled = wallet.settleAllowance(ctx, cmd.allowanceId, cmd.lastSeq);
        uow.save(wallet.pullChanges());
        return allowanceView(settled, ctx.now);
      },
      allowanceWallet(cmd.allowanceId, (found) => ({ wallets: [found.walletId], pointAccounts: [] })),
    );
  }

  // ---- refunds and reversals -----------------------------------------------------------------

  /**
   * Gives back all or part of a `withdrawal` (a capture's included) or a `transfer_out`: a
   * `refund_in` on the payer, and for a transfer a `refund_out` on the recipient. All refunds of
   * one payment never exceed it. Answers with the payer's side.
   */
  async refund(input: s.RefundInput, options: CommandOptions = {}): Promise<RefundResult> {
    const cmd = parse(s.refundInput, input);
    return this.command(
      'refund',
      cmd,
      options,
      async (uow, ctx, found) => {
        if (!found) throw new TransactionNotFoundError(cmd.transactionId);
        assertRefundable(found.transaction);
        const { transaction: original, counterpartWalletId } = found;
        const locked = await uow.lockWallets(counterpartWalletId === null ? [original.walletId] : [original.walletId, counterpartWalletId]);
        const payer = locked.get(original.walletId);
        if (!payer || hidden(options.asUser, payer.userId)) throw new TransactionNotFoundError(cmd.transactionId);
        const recipient = counterpartWalletId === null ? null : (locked.get(counterpartWalletId) ?? null);
        if (counterpartWalletId !== null && recipient === null) throw new WalletNotFoundError(counterpartWalletId);
        const refundedSoFar = await uow.refundedAmount(original);
        const result = refundPayment(ctx, {
          original,
          refundedSoFar,
          payer,
          recipient,
          amount: cmd.amount === undefined ? undefined : this.amount(cmd.amount, payer),
          details: { description: cmd.reason, reference: cmd.reference },
        });
        uow.save(payer.pullChanges());
        if (recipient) uow.save(recipient.pullChanges());
        return { wallet: walletView(payer, ctx.now), transaction: walletTransactionView(result.credit) };
      },
      {
        resolve: (facts) => facts.walletTransaction(cmd.transactionId),
        locks: (found: FoundWalletTransaction | null) =>
          found === null
            ? NO_LOCKS
            : {
                wallets: found.counterpartWalletId === null ? [found.transaction.walletId] : [found.transaction.walletId, found.counterpartWalletId],
                pointAccounts: [],
                refundsOf: [found.transaction.id],
              },
      },
    );
  }

  /**
   * Gives all or part of a points `spend` back to the lots it took them from, each keeping its
   * expiry; the share of lots already expired is reported as `expiredPoints`, not returned.
   */
  async refundPoints(input: s.RefundPointsInput, options: CommandOptions = {}): Promise<PointsRefundResult> {
    const cmd = parse(s.refundPointsInput, input);
    return this.command(
      'refundPoints',
      cmd,
      options,
      async (uow, ctx, owner: string | null) => {
        const locked = await this.lockPointTransaction(uow, cmd.transactionId, owner, options.asUser);
        if (locked.transaction.type === 'spend' && locked.lots.length === 0) {
          throw new NotRefundableError(cmd.transactionId, 'This spend was recorded before the ledger kept which lots a spend took');
        }
        const { transaction, expiredPoints } = locked.account.refundSpend(ctx, {
          spend: locked.transaction,
          lots: locked.lots,
          points: cmd.points,
          reason: cmd.reason,
        });
        uow.save(locked.account.pullChanges());
        return { account: pointAccountView(locked.account, ctx.now), transaction: pointTransactionView(transaction), expiredPoints };
      },
      pointTransactionOwner(cmd.transactionId),
    );
  }

  /**
   * Claws back all or part of an `earn` or `confirm` from what is left of its lot, never below
   * zero; what was already spent or expired is reported as `shortfall`.
   */
  async reversePoints(input: s.ReversePointsInput, options: CommandOptions = {}): Promise<PointsReversalResult> {
    const cmd = parse(s.reversePointsInput, input);
    return this.command(
      'reversePoints',
      cmd,
      options,
      async (uow, ctx, owner: string | null) => {
        const locked = await this.lockPointTransaction(uow, cmd.transactionId, owner, options.asUser);
        const [lot] = locked.lots;
        const credit = locked.transaction;
        if ((credit.type === 'earn' || credit.type === 'confirm') && lot === undefined) {
          throw new NotRefundableError(cmd.transactionId, 'This credit was recorded before the ledger linked credits to their lots');
        }
        const { transaction, shortfall } = locked.account.reverseCredit(ctx, {
          credit,
          lot: lot ?? { lotId: credit.id, points: 0, claimedBack: 0 },
          points: cmd.points,
          reason: cmd.reason,
        });
        uow.save(locked.account.pullChanges());
        return { account: pointAccountView(locked.account, ctx.now), transaction: pointTransactionView(transaction), shortfall };
      },
      pointTransactionOwner(cmd.transactionId),
    );
  }

  // ---- internals -----------------------------------------------------------------------------

  /**
   * A command on one user's point account that writes one ledger row. `open`: a user without an
   * account gets one (a credit); `existing`: POINT_ACCOUNT_NOT_FOUND.
   */
  private pointsCommand(
    name: string,
    cmd: { userId: string },
    options: CommandOptions,
    account: 'open' | 'existing',
    apply: (account: PointAccount, ctx: ChangeContext) => PointTransaction,
  ): Promise<PointsResult> {
    return this.command(
      name,
      cmd,
      options,
      async (uow, ctx) => {
        const locked =
          account === 'open' ? ((await uow.lockPointAccount(cmd.userId)) ?? PointAccount.open(ctx, cmd.userId)) : await this.lockAccount(uow, cmd.userId);
        const tx = apply(locked, ctx);
        uow.save(locked.pullChanges());
        return { account: pointAccountView(locked, ctx.now), transaction: pointTransactionView(tx) };
      },
      { wallets: [], pointAccounts: [cmd.userId] },
    );
  }

  /** A deposit or a withdrawal: one wallet, one ledger row. */
  private movement(op: 'deposit' | 'withdraw', cmd: z.output<typeof s.depositInput>, options: CommandOptions): Promise<MovementResult> {
    return this.command(
      op,
      cmd,
      options,
      async (uow, ctx) => {
        const wallet = await this.lockOne(uow, cmd.walletId, options.asUser);
        const tx = wallet[op](ctx, this.amount(cmd.amount, wallet), cmd);
        uow.save(wallet.pullChanges());
        return { wallet: walletView(wallet, ctx.now), transaction: walletTransactionView(tx) };
      },
      { wallets: [cmd.walletId], pointAccounts: [] },
    );
  }

  private async changeStatus(op: 'freeze' | 'unfreeze' | 'close', input: s.WalletStatusInput, options: CommandOptions): Promise<WalletView> {
    const cmd = parse(s.walletStatusInput, input);
    return this.command(
      op,
      cmd,
      options,
      async (uow, ctx) => {
        const wallet = await this.lockOne(uow, cmd.walletId, options.asUser);
        wallet[op](ctx, cmd.reason ?? null);
        uow.save(wallet.pullChanges());
        return walletView(wallet, ctx.now);
      },
      { wallets: [cmd.walletId], pointAccounts: [] },
    );
  }

  private async settlePending(op: 'confirm' | 'cancel', input: s.PendingPointsInput, options: CommandOptions): Promise<PointsResult> {
    const cmd = parse(s.pendingPointsInput, input);
    return this.command(
      `${op}PendingPoints`,
      cmd,
      options,
      async (uow, ctx, userId: string | null) => {
        const account = userId === null ? null : await uow.lockPointAccount(userId);
        if (!account || hidden(options.asUser, account.userId)) {
          throw new TransactionNotFoundError(cmd.transactionId);
        }
        const tx = account[op](ctx, cmd.transactionId);
        uow.save(account.pullChanges());
        return { account: pointAccountView(account, ctx.now), transaction: pointTransactionView(tx) };
      },
      // The pending row's id is its lot's.
      { resolve: (facts) => facts.lotOwner(cmd.transactionId), locks: (userId) => ({ wallets: [], pointAccounts: userId === null ? [] : [userId] }) },
    );
  }

  /**
   * Locks the wallet of a hold (and `otherId` with it, in the one lock order of lockWallets), as
   * the resolve step found it (`holdWallet`).
   */
  private async lockHoldWallet(
    uow: UnitOfWork,
    holdId: string,
    walletId: string | null,
    otherId: string | undefined,
    asUser: string | undefined,
  ): Promise<{ wallet: Wallet; others: ReadonlyMap<string, Wallet> }> {
    if (walletId === null) throw new HoldNotFoundError(holdId);
    const locked = await uow.lockWallets(otherId === undefined ? [walletId] : [walletId, otherId]);
    const wallet = locked.get(walletId);
    if (!wallet || hidden(asUser, wallet.userId)) throw new HoldNotFoundError(holdId);
    return { wallet, others: locked };
  }

  /** Locks the account of a points row, as the resolve step found its owner (`pointTransactionOwner`). */
  private async lockPointTransaction(
    uow: UnitOfWork,
    transactionId: string,
    owner: string | null,
    asUser: string | undefined,
  ): Promise<LockedPointTransaction> {
    const locked = owner === null ? null : await uow.lockPointAccountByTransaction(transactionId);
    if (!locked || hidden(asUser, locked.account.userId)) throw new TransactionNotFoundError(transactionId);
    return locked;
  }

  /** An allowance as stored, if the caller may see its wallet; ALLOWANCE_NOT_FOUND otherwise. */
  private async visibleAllowance(allowanceId: string, asUser: string | undefined): Promise<Allowance> {
    const allowance = await this.store.getAllowance(allowanceId);
    if (!allowance) throw new AllowanceNotFoundError(allowanceId);
    if (asUser !== undefined) {
      const wallet = await this.store.getWallet(allowance.walletId);
      if (!wallet || hidden(asUser, wallet.userId)) throw new AllowanceNotFoundError(allowanceId);
    }
    return allowance;
  }

  /**
   * The locked wallet of an allowance the resolve step found. A wallet loads its stored-active
   * allowances only: one it lacks ended meanwhile, by settle unless `settleBy` has passed.
   */
  private allowanceWallet(
    locked: ReadonlyMap<string, Wallet>,
    allowanceId: string,
    found: Allowance | null,
    now: Date,
    asUser: string | undefined,
  ): { wallet: Wallet; found: Allowance } {
    const wallet = found === null ? undefined : locked.get(found.walletId);
    if (!wallet || !found || hidden(asUser, wallet.userId)) throw new AllowanceNotFoundError(allowanceId);
    if (!wallet.allowance(found.id)) {
      const status = allowanceStatusAt(found, now);
      throw new AllowanceNotActiveError(found.id, status === 'active' ? 'settled' : status);
    }
    return { wallet, found };
  }

  private async visibleWallet(walletId: string, asUser: string | undefined): Promise<Wallet> {
    const wallet = await this.store.getWallet(walletId);
    if (!wallet || hidden(asUser, wallet.userId)) throw new WalletNotFoundError(walletId);
    return wallet;
  }

  private async lockOne(uow: UnitOfWork, walletId: string, asUser: string | undefined): Promise<Wallet> {
    const wallet = (await uow.lockWallets([walletId])).get(walletId);
    if (!wallet || hidden(asUser, wallet.userId)) throw new WalletNotFoundError(walletId);
    return wallet;
  }

  private async lockAccount(uow: UnitOfWork, userId: string): Promise<PointAccount> {
    const account = await uow.lockPointAccount(userId);
    if (!account) throw new PointAccountNotFoundError(userId);
    return account;
  }

  private amount(value: string, wallet: Wallet): Money {
    return Money.parse(value, wallet.currency, { max: this.maxAmount });
  }

  private page<R, V>(rows: readonly { position: string; row: R }[], limit: number, view: (r: R) => V): Page<V> {
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return { items: items.map((r) => view(r.row)), nextCursor: rows.length > limit && last ? encodeCursor(last.position) : null };
  }

  /**
   * Runs one command as one unit of work. With an idempotency key, the key is claimed first (a
   * concurrent duplicate waits for us), a committed replay is answered from storage, and our own
   * response is stored in the same unit as the change: there is no window where one is committed
   * without the other. A failing command rolls back its claim too, so it may be retried.
   *
   * `locks` declares, before anything is locked, every wallet and point account `run` will lock,
   * so that a store can commit the command together with others (group commit). A command that
   * must read something first to know what to lock (a hold's wallet, a refunded row's) declares a
   * resolve step: the facts it reads never change, and `run` gets them.
   */
  private async command<I, T, F = null>(
    name: string,
    input: I,
    options: CommandOptions,
    run: (uow: UnitOfWork, ctx: ChangeContext, facts: F) => Promise<T>,
    locks: DeclaredLocks | Resolved<F>,
  ): Promise<T> {
    const key = options.idempotencyKey;
    if (key !== undefined && !isValidIdempotencyKey(key)) {
      throw new ValidationError('Idempotency key must be 1-255 visible ASCII characters', [
        { path: 'idempotencyKey', message: 'must be 1-255 visible ASCII characters' },
      ]);
    }
    const fingerprint = key === undefined ? '' : canonicalJson({ command: name, input, asUser: options.asUser ?? null });
    const planOf = (declared: DeclaredLocks): LockPlan => ({
      ...declared,
      idempotency: key === undefined ? null : { scope: options.idempotencyScope ?? '', key, fingerprint, now: this.clock() },
    });
    let facts = null as F;
    const plan: LockPlan | ResolvingLockPlan =
      'resolve' in locks
        ? async (reader) => {
            facts = await locks.resolve(reader);
            return planOf(locks.locks(facts));
          }
        : planOf(locks);
    let replayed = false;
    const result = await this.store.transaction(async (uow) => {
      // A store may run this unit again after a deadlock; every run starts from scratch.
      replayed = false;
      const ctx: ChangeContext = { now: this.clock(), newId: this.ids, actor: options.actor ?? null, requestId: options.requestId ?? null };
      if (key !== undefined) {
        const claim = await uow.claimIdempotencyKey({ scope: options.idempotencyScope ?? '', key, fingerprint, now: ctx.now });
        if (claim.status === 'replay') {
          if (claim.fingerprint !== fingerprint) throw new IdempotencyConflictError(key);
          replayed = true;
          return claim.response as T;
        }
      }
      const value = await run(uow, ctx, facts);
      if (key !== undefined) uow.completeIdempotencyKey(value);
      return value;
    }, plan);
    return replayed ? markReplayed(result) : result;
  }
}

/** The resolve step of a command on an allowance: the allowance as stored, for its wallet, which `locks` names. */
function allowanceWallet(allowanceId: string, locks: (found: Allowance) => DeclaredLocks): Resolved<Allowance | null> {
  return { resolve: (facts) => facts.allowance(allowanceId), locks: (found) => (found === null ? NO_LOCKS : locks(found)) };
}

/** The resolve step of a command on a hold: its wallet, locked with `otherId` when given. */
function holdWallet(holdId: string, otherId: string | undefined): Resolved<string | null> {
  return {
    resolve: (facts) => facts.holdWallet(holdId),
    locks: (walletId) => ({ wallets: walletId === null ? [] : otherId === undefined ? [walletId] : [walletId, otherId], pointAccounts: [] }),
  };
}

/** The resolve step of a command on a points row: its owner's account, loaded with the row's lots and claims. */
function pointTransactionOwner(transactionId: string): Resolved<string | null> {
  return {
    resolve: (facts) => facts.pointTransactionOwner(transactionId),
    locks: (userId) => (userId === null ? NO_LOCKS : { wallets: [], pointAccounts: [userId], pointTransactions: [transactionId] }),
  };
}
