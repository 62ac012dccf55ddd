import type { CommandOptions, QueryOptions } from './command.js';
import { randomIds, systemClock, type Clock, type IdGenerator } from './context.js';
import { DEFAULT_CURRENCY, currencyOf } from './money/currency.js';
import { DEFAULT_MAX_AMOUNT, MAX_AMOUNT_PATTERN } from './money/money.js';
import type { ReconcileOptions, ReconciliationReport } from './reconciliation.js';
import type * as s from './schemas.js';
import type { WalletStore } from './store.js';
import type { WithTimes } from './validate.js';
import type { AllowanceSyncResult, Page } from './views.js';
import type * as v from './views.js';
import { DEFAULT_ALLOWANCE_SYNC_GRACE_MS, DEFAULT_ALLOWANCE_TTL_MS, MAX_ALLOWANCE_SYNC_GRACE_MS, MAX_ALLOWANCE_TTL_MS } from './wallet/allowance.js';
import { DEFAULT_HOLD_TTL_MS, MAX_HOLD_TTL_MS } from './wallet/hold.js';
import * as allowances from './facade/allowances.js';
import type { FacadeEnv } from './facade/env.js';
import * as holds from './facade/holds.js';
import * as payments from './facade/payments.js';
import * as points from './facade/points.js';
import * as queries from './facade/queries.js';
import * as wallets from './facade/wallets.js';
import { LimitPolicy, type LimitsInput } from './wallet/limits.js';

export interface WalletServiceOptions {
  store: WalletStore;
  /** Currency of a wallet created without one. Default `VND`. */
  defaultCurrency?: string | undefined;
  /** Largest amount one command may move, in major units. Default `DEFAULT_MAX_AMOUNT`. */
  maxAmount?: string | undefined;
  clock?: Clock | undefined;
  ids?: IdGenerator | undefined;
  /** How long a hold lasts when placed without `expiresAt`, in milliseconds. Default `DEFAULT_HOLD_TTL_MS`; at most `MAX_HOLD_TTL_MS`. */
  holdTtlMs?: number | undefined;
  /** How long a till may sell from an allowance opened without `spendUntil`, in milliseconds. Default `DEFAULT_ALLOWANCE_TTL_MS`; at most `MAX_ALLOWANCE_TTL_MS`. */
  allowanceTtlMs?: number | undefined;
  /** How long after `spendUntil` an allowance stays reserved for late forwarding (`settleBy`), in milliseconds. Default `DEFAULT_ALLOWANCE_SYNC_GRACE_MS`; at most `MAX_ALLOWANCE_SYNC_GRACE_MS`. */
  allowanceSyncGraceMs?: number | undefined;
  /** Default limits per currency (`WALLET_LIMITS`), as decimal strings; a wallet's own (`setLimits`) override them field by field. */
  limits?: Readonly<Record<string, LimitsInput>> | undefined;
  /** The IANA time zone a limit's day and month are counted in (`WALLET_LIMITS_TZ`). Default `Asia/Ho_Chi_Minh`. */
  limitsTimeZone?: string | undefined;
}

/** A positive whole number of milliseconds up to `max`, or the constructor refuses the option. */
function durationOption(name: string, value: number | undefined, fallback: number, max: number): number {
  const ms = value ?? fallback;
  if (!Number.isSafeInteger(ms) || ms <= 0 || ms > max) throw new TypeError(`${name} must be a positive number of milliseconds up to ${max}, got ${ms}`);
  return ms;
}

/**
 * The wallet and points service: one method per command and query of the API contract. It
 * orchestrates and nothing else: validate the input, load or lock what the command names, let
 * the aggregate apply its rules, hand the changes to the store, answer with views.
 *
 * Every command validates its input with the exported zod schemas, runs as one unit of work of
 * the store (one database transaction), and returns the new state with its ledger row. With an
 * `idempotencyKey`, the first result is stored in that same unit of work and a replay returns it.
 */
export class WalletService {
  readonly defaultCurrency: string;
  readonly maxAmount: string;
  private readonly env: FacadeEnv;

  constructor(options: WalletServiceOptions) {
    this.defaultCurrency = currencyOf(options.defaultCurrency ?? DEFAULT_CURRENCY).code;
    this.maxAmount = options.maxAmount ?? DEFAULT_MAX_AMOUNT;
    if (!MAX_AMOUNT_PATTERN.test(this.maxAmount)) throw new TypeError(`maxAmount must be a positive decimal string, got ${this.maxAmount}`);
    this.env = {
      store: options.store,
      clock: options.clock ?? systemClock,
      ids: options.ids ?? randomIds,
      limits: new LimitPolicy({ defaults: options.limits, timeZone: options.limitsTimeZone }),
      maxAmount: this.maxAmount,
      holdTtlMs: durationOption('holdTtlMs', options.holdTtlMs, DEFAULT_HOLD_TTL_MS, MAX_HOLD_TTL_MS),
      allowanceTtlMs: durationOption('allowanceTtlMs', options.allowanceTtlMs, DEFAULT_ALLOWANCE_TTL_MS, MAX_ALLOWANCE_TTL_MS),
      allowanceSyncGraceMs: durationOption('allowanceSyncGraceMs', options.allowanceSyncGraceMs, DEFAULT_ALLOWANCE_SYNC_GRACE_MS, MAX_ALLOWANCE_SYNC_GRACE_MS),
    };
  }

  // ---- wallets -------------------------------------------------------------------------------

  async createWallet(input: s.CreateWalletInput, options: CommandOptions = {}): Promise<v.WalletView> {
    return wallets.createWallet(this.env, this.defaultCurrency, input, options);
  }

  // The hot reads hand on the query's own promise: an async method returning it costs further
  // turns of the microtask queue on every read (docs/DESIGN.md, "Hot reads").
  getWallet(input: s.WalletIdInput, options: QueryOptions = {}): Promise<v.WalletView> {
    return queries.getWallet(this.env, input, options);
  }

  async listWallets(input: s.UserIdInput): Promise<v.WalletView[]> {
    return queries.listWallets(this.env, input);
  }

  async deposit(input: s.DepositInput, options: CommandOptions = {}): Promise<v.MovementResult> {
    return wallets.movement(this.env, 'deposit', input, options);
  }

  async withdraw(input: s.WithdrawInput, options: CommandOptions = {}): Promise<v.MovementResult> {
    return wallets.movement(this.env, 'withdraw', input, options);
  }

  /** Moves money between two wallets of one currency. Answers with the source side only. */
  async transfer(input: s.TransferInput, options: CommandOptions = {}): Promise<v.TransferResult> {
    return wallets.transfer(this.env, input, options);
  }

  async freeze(input: s.WalletStatusInput, options: CommandOptions = {}): Promise<v.WalletView> {
    return wallets.changeStatus(this.env, 'freeze', input, options);
  }

  async unfreeze(input: s.WalletStatusInput, options: CommandOptions = {}): Promise<v.WalletView> {
    return wallets.changeStatus(this.env, 'unfreeze', input, options);
  }

  /** Closes an empty wallet: it accepts nothing more and stays readable with its history. */
  async close(input: s.WalletStatusInput, options: CommandOptions = {}): Promise<v.WalletView> {
    return wallets.changeStatus(this.env, 'close', input, options);
  }

  /**
   * Sets a wallet's own limits (an admin's): each field given overrides its currency's default,
   * each absent one falls back to it; `{}` gives the wallet its currency's defaults again.
   */
  async setLimits(input: s.SetLimitsInput, options: CommandOptions = {}): Promise<v.WalletLimitsView> {
    return wallets.setLimits(this.env, input, options);
  }

  /** A wallet's limits in force and what it used of each in the current day and month. */
  async getLimits(input: s.WalletIdInput, options: QueryOptions = {}): Promise<v.WalletLimitsView> {
    return queries.getLimits(this.env, input, options);
  }

  /**
   * A wallet's history, newest first, by keyset. `type`, `reference` and the period [`from`, `to`)
   * combine; with a period, pages run in (`createdAt`, position) order.
   */
  async listTransactions(input: s.ListTransactionsFilterInput, options: QueryOptions = {}): Promise<Page<v.WalletTransactionView>> {
    return queries.listTransactions(this.env, input, options);
  }

  // ---- reading the books ---------------------------------------------------------------------

  /**
   * The balance of a wallet at an instant, from its ledger: the `balanceAfter` of the last row
   * created at or before `at` (rows of one instant in ledger order), zero before the first row.
   * `at` must not be in the future: nobody knows that balance yet.
   */
  async getBalanceAt(input: s.BalanceAtInput, options: QueryOptions = {}): Promise<v.BalanceAtView> {
    return queries.getBalanceAt(this.env, input, options);
  }

  /**
   * A statement of the period [`from`, `to`): the opening balance (after the last row before
   * `from`), the closing balance (after the last row before `to`), and per type the sum of the
   * rows in between. `from` must be before `to`, at most `MAX_STATEMENT_DAYS` apart; `to` may lie
   * ahead (a period still running: its figures are those known so far).
   */
  async getStatement(input: s.StatementInput, options: QueryOptions = {}): Promise<v.StatementView> {
    return queries.getStatement(this.env, input, options);
  }

  /** Wallets matching every filter given, newest first, by keyset (an admin's search). */
  async searchWallets(input: s.SearchWalletsInput = {}): Promise<Page<v.WalletView>> {
    return queries.searchWallets(this.env, input);
  }

  getBalanceSummary(input: s.UserIdInput): Promise<v.BalanceSummary> {
    return queries.getBalanceSummary(this.env, input);
  }

  // ---- points --------------------------------------------------------------------------------

  /** Credits points, opening the user's account on the first earn. `pending` holds them until confirmed. */
  async earnPoints(input: WithTimes<s.EarnPointsInput, 'expiresAt'>, options: CommandOptions = {}): Promise<v.PointsResult> {
    return points.earnPoints(this.env, input, options);
  }

  async spendPoints(input: s.SpendPointsInput, options: CommandOptions = {}): Promise<v.PointsResult> {
    return points.spendPoints(this.env, input, options);
  }

  async adjustPoints(input: s.AdjustPointsInput, options: CommandOptions = {}): Promise<v.PointsResult> {
    return points.adjustPoints(this.env, input, options);
  }

  /** Confirms a pending earn, identified by the id of its `pending` ledger row. */
  async confirmPendingPoints(input: s.PendingPointsInput, options: CommandOptions = {}): Promise<v.PointsResult> {
    return points.settlePending(this.env, 'confirm', input, options);
  }

  async cancelPendingPoints(input: s.PendingPointsInput, options: CommandOptions = {}): Promise<v.PointsResult> {
    return points.settlePending(this.env, 'cancel', input, options);
  }

  /**
   * Expires every lot whose expiry is at or before `asOf` (default now; a future `asOf` is refused,
   * since it would take points before their time). Running it twice expires nothing the second time.
   */
  async expirePoints(input: WithTimes<s.ExpirePointsInput, 'asOf'> = {}, options: CommandOptions = {}): Promise<v.ExpireResult> {
    return points.expirePoints(this.env, input, options);
  }

  async getPointAccount(input: s.UserIdInput): Promise<v.PointAccountView> {
    return queries.getPointAccount(this.env, input);
  }

  async listPointTransactions(input: s.ListPointTransactionsInput): Promise<Page<v.PointTransactionView>> {
    return queries.listPointTransactions(this.env, input);
  }

  // ---- the books -----------------------------------------------------------------------------

  /**
   * Runs the reconciliation checks: over the whole store, or (`incremental`) over what was written
   * since the last checkpoint; `checkpoint` publishes a signed checkpoint of what it walked. `ok`
   * when nothing was found.
   */
  async reconcile(options: ReconcileOptions = {}): Promise<ReconciliationReport> {
    return queries.reconcile(this.env, options);
  }

  // ---- events --------------------------------------------------------------------------------

  /**
   * Committed events in position order, after `after` (exclusive), as published envelopes. A page
   * never skips an event whose transaction is still committing: following `nextAfter` sees every
   * event exactly once.
   */
  async listEvents(input: s.ListEventsInput = {}): Promise<v.EventPage> {
    return queries.listEvents(this.env, input);
  }

  // ---- holds --------------------------------------------------------------------------------

  /**
   * Reserves `amount` of the wallet's available balance until `expiresAt` (default: the hold TTL;
   * at most `MAX_HOLD_TTL_MS` ahead). Withdrawals, transfers and other holds can no longer use it.
   */
  async placeHold(input: s.PlaceHoldInput, options: CommandOptions = {}): Promise<v.HoldView> {
    return holds.placeHold(this.env, input, options);
  }

  async getHold(input: s.HoldIdInput, options: QueryOptions = {}): Promise<v.HoldView> {
    return queries.getHold(this.env, input, options);
  }

  /** A wallet's holds, newest first; `status` as a reader sees it now (an unswept expired hold is `expired`). */
  async listHolds(input: s.ListHoldsInput, options: QueryOptions = {}): Promise<Page<v.HoldView>> {
    return queries.listHolds(this.env, input, options);
  }

  /**
   * Takes all or part of an active hold, once; the rest is released. Without `toWalletId` the
   * money leaves as a `withdrawal`; with it, as a transfer pair into that wallet. Both carry `holdId`.
   */
  async captureHold(input: s.CaptureHoldInput, options: CommandOptions = {}): Promise<v.CaptureResult> {
    return holds.captureHold(this.env, input, options);
  }

  /**
   * Grows an active hold by `amount`, taken from the available balance like a new hold; its
   * expiry is unchanged. Answers with the hold.
   */
  async incrementHold(input: s.IncrementHoldInput, options: CommandOptions = {}): Promise<v.HoldView> {
    return holds.incrementHold(this.env, input, options);
  }

  /** Releases an active hold without taking anything; allowed on a frozen wallet. */
  async voidHold(input: s.VoidHoldInput, options: CommandOptions = {}): Promise<v.VoidResult> {
    return holds.voidHold(this.env, input, options);
  }

  // ---- offline allowances --------------------------------------------------------------------

  /**
   * Sets aside `amount` of a wallet's available balance for one till to spend offline until
   * `spendUntil`; it stays reserved until `settleBy` (`spendUntil` plus the sync grace), so sales
   * forwarded late are still covered. One active allowance per (wallet, till).
   */
  async openAllowance(input: s.OpenAllowanceInput, options: CommandOptions = {}): Promise<v.AllowanceView> {
    return allowances.openAllowance(this.env, input, options);
  }

  async getAllowance(input: s.AllowanceIdInput, options: QueryOptions = {}): Promise<v.AllowanceView> {
    return queries.getAllowance(this.env, input, options);
  }

  /** A wallet's allowances, newest first; `status` as a reader sees it now (one past `settleBy` is `expired`). */
  async listAllowances(input: s.ListAllowancesInput, options: QueryOptions = {}): Promise<Page<v.AllowanceView>> {
    return queries.listAllowances(this.env, input, options);
  }

  /**
   * Books the spends a till forwarded, in seq order, each a capture of the allowance (a
   * `withdrawal`, or a transfer pair into `toWalletId`) with `allowanceId`, `allowanceSeq` and the
   * till's `occurredAt` on its rows. Exactly once per seq: a seq booked with the same content
   * answers `replayed`, with other content ALLOWANCE_SEQ_CONFLICT; a gap is ALLOWANCE_SEQ_GAP.
   * Whole or nothing. A frozen wallet still takes them: the money was set aside before.
   */
  async syncAllowance(input: s.SyncAllowanceInput, options: CommandOptions = {}): Promise<AllowanceSyncResult> {
    return allowances.syncSpends(this.env, input, options);
  }

  /**
   * Ends an allowance once the till has forwarded every sale: `lastSeq` is the till's last seq.
   * What was not spent goes back to the available balance.
   */
  async settleAllowance(input: s.SettleAllowanceInput, options: CommandOptions = {}): Promise<v.AllowanceView> {
    return allowances.settleAllowance(this.env, input, options);
  }

  // ---- split payments ------------------------------------------------------------------------

  /**
   * Pays with money and points at once, both or neither: the money as a `withdrawal` (or a
   * transfer pair into `toWalletId`) and the points as a `spend` of the wallet owner's account,
   * in one unit of work. The two rows share `reference` and name each other (`pairedWith`). The
   * owner is a fact of the wallet (it never changes): the resolve step reads it, and the payment
   * locks the wallets and the account together, so it batches like any command.
   */
  async pay(input: s.PayInput, options: CommandOptions = {}): Promise<v.PayResult> {
    return payments.pay(this.env, input, options);
  }

  // ---- refunds and reversals -----------------------------------------------------------------

  /**
   * Gives back all or part of a `withdrawal` (a capture's included) or a `transfer_out`: a
   * `refund_in` on the payer, and for a transfer a `refund_out` on the recipient. All refunds of
   * one payment never exceed it. Answers with the payer's side.
   */
  async refund(input: s.RefundInput, options: CommandOptions = {}): Promise<v.RefundResult> {
    return payments.refund(this.env, input, options);
  }

  /**
   * Takes back all or part of a mistaken `deposit` as a `deposit_reversal` naming it in `refundOf`:
   * all reversals of one deposit never exceed it, and none takes more than `availableBalance`.
   * Refused like a refund on a frozen or closed wallet. Answers with the wallet and the new row.
   */
  async reverseDeposit(input: s.ReverseDepositInput, options: CommandOptions = {}): Promise<v.DepositReversalResult> {
    return payments.reverseDeposit(this.env, input, options);
  }

  /**
   * Gives all or part of a points `spend` back to the lots it took them from, each keeping its
   * expiry; the share of lots already expired is reported as `expiredPoints`, not returned.
   */
  async refundPoints(input: s.RefundPointsInput, options: CommandOptions = {}): Promise<v.PointsRefundResult> {
    return points.refundPoints(this.env, input, options);
  }

  /**
   * Claws back all or part of an `earn` or `confirm` from what is left of its lot, never below
   * zero; what was already spent or expired is reported as `shortfall`.
   */
  async reversePoints(input: s.ReversePointsInput, options: CommandOptions = {}): Promise<v.PointsReversalResult> {
    return points.reversePoints(this.env, input, options);
  }
}
