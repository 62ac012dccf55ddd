import type { z } from 'zod';
import { NO_LOCKS, runCommand, type CommandOptions, type DeclaredLocks, type QueryOptions, type Resolved } from './command.js';
import { randomIds, systemClock, type ChangeContext, type Clock, type IdGenerator } from './context.js';
import {
  AllowanceNotActiveError,
  AllowanceNotFoundError,
  HoldNotActiveError,
  HoldNotFoundError,
  InternalError,
  NotRefundableError,
  PointAccountNotFoundError,
  TransactionNotFoundError,
  WalletError,
  WalletNotFoundError,
} from './errors.js';
import { DEFAULT_CURRENCY, currencyOf } from './money/currency.js';
import { DEFAULT_MAX_AMOUNT, MAX_AMOUNT_PATTERN } from './money/money.js';
import type { PointTransaction } from './points/ledger.js';
import { PointAccount } from './points/point-account.js';
import type { ReconcileOptions, ReconciliationReport } from './reconciliation.js';
import * as s from './schemas.js';
import type { FoundWalletTransaction, UnitOfWork, WalletStore } from './store.js';
import { assertNotFuture, deadline, isoTimes, parseInput, type WithTimes } from './validate.js';
import { allowanceView, holdView, pointAccountView, pointTransactionView, walletTransactionView, walletView, type Page } from './views.js';
import type * as v from './views.js';
import { DEFAULT_HOLD_TTL_MS, MAX_HOLD_TTL_MS, type Hold } from './wallet/hold.js';
import { allowanceStatusAt, type Allowance, type AllowanceSpend } from './wallet/allowance.js';
import { syncAllowance } from './wallet/allowance-sync.js';
import { refundPayment, reverseDeposit } from './wallet/refund.js';
import { payWithPoints } from './split-payment.js';
import { Wallet } from './wallet/wallet.js';
import { amountIn, type FacadeEnv } from './facade/env.js';
import * as queries from './facade/queries.js';
import { lockWallet, visible } from './facade/visible.js';

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
  /** How long a till may sell from an allowance opened without `spendUntil`, in milliseconds. Default 24 h; at most 7 days. */
  allowanceTtlMs?: number | undefined;
  /** How long after `spendUntil` an allowance stays reserved for late forwarding (`settleBy`), in milliseconds. Default 72 h; at most 30 days. */
  allowanceSyncGraceMs?: number | undefined;
}

const DAY_MS = 86_400_000;
/** The longest a till may sell offline from one allowance: a shift or a few, not a credit line. */
export const MAX_ALLOWANCE_TTL_MS = 7 * DAY_MS;
export const DEFAULT_ALLOWANCE_TTL_MS = DAY_MS;
export const MAX_ALLOWANCE_SYNC_GRACE_MS = 30 * DAY_MS;
export const DEFAULT_ALLOWANCE_SYNC_GRACE_MS = 3 * DAY_MS;

/** The allowance after the sync, and per spend (in seq order) whether it was booked now or before. */
export type AllowanceSyncResult = z.output<typeof s.allowanceSyncResult>;

/** A positive whole number of milliseconds up to `max`, or the constructor refuses the option. */
function durationOption(name: string, value: number | undefined, fallback: number, max: number): number {
  const ms = value ?? fallback;
  if (!Number.isSafeInteger(ms) || ms <= 0 || ms > max) throw new TypeError(`${name} must be a positive number of milliseconds up to ${max}, got ${ms}`);
  return ms;
}

/** `isoTimes` for each spend of a sync. */
function isoSpendTimes(input: unknown): unknown {
  if (input === null || typeof input !== 'object') return input;
  const spends = (input as { spends?: unknown }).spends;
  return Array.isArray(spends) ? { ...input, spends: spends.map((spend) => isoTimes(spend, 'occurredAt')) } : input;
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
      maxAmount: this.maxAmount,
      holdTtlMs: durationOption('holdTtlMs', options.holdTtlMs, DEFAULT_HOLD_TTL_MS, MAX_HOLD_TTL_MS),
      allowanceTtlMs: durationOption('allowanceTtlMs', options.allowanceTtlMs, DEFAULT_ALLOWANCE_TTL_MS, MAX_ALLOWANCE_TTL_MS),
      allowanceSyncGraceMs: durationOption('allowanceSyncGraceMs', options.allowanceSyncGraceMs, DEFAULT_ALLOWANCE_SYNC_GRACE_MS, MAX_ALLOWANCE_SYNC_GRACE_MS),
    };
  }

  // ---- wallets -------------------------------------------------------------------------------

  async createWallet(input: s.CreateWalletInput, options: CommandOptions = {}): Promise<v.WalletView> {
    const cmd = parseInput(s.createWalletInput, input);
    const currency = currencyOf(cmd.currency ?? this.defaultCurrency);
    // It only inserts; the (user, currency) pair is checked before the write.
    const locks = { ...NO_LOCKS, newWallets: [{ userId: cmd.userId, currency: currency.code }] };
    return this.command('createWallet', { ...cmd, currency: currency.code }, options, locks, async (uow, ctx) => {
      const wallet = Wallet.open(ctx, { userId: cmd.userId, currency });
      uow.save(wallet.pullChanges());
      return walletView(wallet, ctx.now);
    });
  }

  async getWallet(input: s.WalletIdInput, options: QueryOptions = {}): Promise<v.WalletView> {
    return queries.getWallet(this.env, input, options);
  }

  async listWallets(input: s.UserIdInput): Promise<v.WalletView[]> {
    return queries.listWallets(this.env, input);
  }

  async deposit(input: s.DepositInput, options: CommandOptions = {}): Promise<v.MovementResult> {
    return this.movement('deposit', parseInput(s.depositInput, input), options);
  }

  async withdraw(input: s.WithdrawInput, options: CommandOptions = {}): Promise<v.MovementResult> {
    return this.movement('withdraw', parseInput(s.withdrawInput, input), options);
  }

  /** Moves money between two wallets of one currency. Answers with the source side only. */
  async transfer(input: s.TransferInput, options: CommandOptions = {}): Promise<v.TransferResult> {
    const cmd = parseInput(s.transferInput, input);
    return this.command('transfer', cmd, options, { wallets: [cmd.fromWalletId, cmd.toWalletId], pointAccounts: [] }, async (uow, ctx) => {
      const locked = await uow.lockWallets([cmd.fromWalletId, cmd.toWalletId]);
      const from = visible(locked.get(cmd.fromWalletId), options.asUser, () => new WalletNotFoundError(cmd.fromWalletId));
      const to = visible(locked.get(cmd.toWalletId), undefined, () => new WalletNotFoundError(cmd.toWalletId));
      const { transferId, debit } = from.transferTo(ctx, to, amountIn(this.env, cmd.amount, from), cmd);
      uow.save(from.pullChanges());
      uow.save(to.pullChanges());
      return { transferId, wallet: walletView(from, ctx.now), transaction: walletTransactionView(debit) };
    });
  }

  async freeze(input: s.WalletStatusInput, options: CommandOptions = {}): Promise<v.WalletView> {
    return this.changeStatus('freeze', input, options);
  }

  async unfreeze(input: s.WalletStatusInput, options: CommandOptions = {}): Promise<v.WalletView> {
    return this.changeStatus('unfreeze', input, options);
  }

  /** Closes an empty wallet: it accepts nothing more and stays readable with its history. */
  async close(input: s.WalletStatusInput, options: CommandOptions = {}): Promise<v.WalletView> {
    return this.changeStatus('close', input, options);
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

  async getBalanceSummary(input: s.UserIdInput): Promise<v.BalanceSummary> {
    return queries.getBalanceSummary(this.env, input);
  }

  // ---- points --------------------------------------------------------------------------------

  /** Credits points, opening the user's account on the first earn. `pending` holds them until confirmed. */
  async earnPoints(input: WithTimes<s.EarnPointsInput, 'expiresAt'>, options: CommandOptions = {}): Promise<v.PointsResult> {
    const cmd = parseInput(s.earnPointsInput, isoTimes(input, 'expiresAt'));
    const expiresAt = cmd.expiresAt === undefined ? null : new Date(cmd.expiresAt);
    return this.pointsCommand('earnPoints', cmd, options, 'open', (account, ctx) => account.earn(ctx, { ...cmd, expiresAt }));
  }

  async spendPoints(input: s.SpendPointsInput, options: CommandOptions = {}): Promise<v.PointsResult> {
    const cmd = parseInput(s.spendPointsInput, input);
    return this.pointsCommand('spendPoints', cmd, options, 'existing', (account, ctx) => account.spend(ctx, cmd));
  }

  async adjustPoints(input: s.AdjustPointsInput, options: CommandOptions = {}): Promise<v.PointsResult> {
    const cmd = parseInput(s.adjustPointsInput, input);
    return this.pointsCommand('adjustPoints', cmd, options, 'open', (account, ctx) => account.adjust(ctx, cmd));
  }

  /** Confirms a pending earn, identified by the id of its `pending` ledger row. */
  async confirmPendingPoints(input: s.PendingPointsInput, options: CommandOptions = {}): Promise<v.PointsResult> {
    return this.settlePending('confirm', input, options);
  }

  async cancelPendingPoints(input: s.PendingPointsInput, options: CommandOptions = {}): Promise<v.PointsResult> {
    return this.settlePending('cancel', input, options);
  }

  /**
   * Expires every lot whose expiry is at or before `asOf` (default now; a future `asOf` is refused,
   * since it would take points before their time). Running it twice expires nothing the second time.
   */
  async expirePoints(input: WithTimes<s.ExpirePointsInput, 'asOf'> = {}, options: CommandOptions = {}): Promise<v.ExpireResult> {
    const cmd = parseInput(s.expirePointsInput, isoTimes(input, 'asOf'));
    const asOfAt = (now: Date) => (cmd.asOf === undefined ? now : new Date(cmd.asOf));
    // The accounts are found by a scan before the locks (a future asOf finds none); what is due is decided under them.
    const dueAccounts: Resolved<readonly string[]> = {
      resolve: async (facts) => {
        const now = this.env.clock();
        const asOf = asOfAt(now);
        return asOf.getTime() > now.getTime() ? [] : [...new Set(await facts.usersWithDueLots(asOf))].sort();
      },
      locks: (users) => ({ wallets: [], pointAccounts: users }),
    };
    return this.command('expirePoints', cmd, options, dueAccounts, async (uow, ctx, users) => {
      const asOf = asOfAt(ctx.now);
      assertNotFuture('asOf', asOf, ctx.now);
      let expiredPoints = 0;
      let accounts = 0;
      for (const userId of users) {
        const account = await uow.lockPointAccount(userId);
        const txs = account?.expire(ctx, asOf) ?? [];
        if (!account || txs.length === 0) continue;
        accounts += 1;
        for (const tx of txs) expiredPoints -= tx.points;
        uow.save(account.pullChanges());
      }
      return { expiredPoints, accounts };
    });
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
    const cmd = parseInput(s.placeHoldInput, isoTimes(input, 'expiresAt'));
    return this.command('placeHold', cmd, options, { wallets: [cmd.walletId], pointAccounts: [] }, async (uow, ctx) => {
      const expiresAt = cmd.expiresAt === undefined ? new Date(ctx.now.getTime() + this.env.holdTtlMs) : new Date(cmd.expiresAt);
      const wallet = await lockWallet(uow, cmd.walletId, options.asUser);
      const hold = wallet.placeHold(ctx, amountIn(this.env, cmd.amount, wallet), { ...cmd, expiresAt });
      uow.save(wallet.pullChanges());
      return holdView(hold, ctx.now);
    });
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
    const cmd = parseInput(s.captureHoldInput, input);
    return this.holdCommand('captureHold', cmd, options, holdWallet(cmd.holdId, cmd.toWalletId), async (uow, ctx, found) => {
      const { wallet, others } = await this.lockHoldWallet(uow, cmd.holdId, found, cmd.toWalletId, options.asUser);
      const to = cmd.toWalletId === undefined ? null : visible(others.get(cmd.toWalletId), undefined, () => new WalletNotFoundError(cmd.toWalletId as string));
      const amount = cmd.amount === undefined ? undefined : amountIn(this.env, cmd.amount, wallet);
      const { hold, debit } = wallet.captureHold(ctx, cmd.holdId, amount, { description: cmd.description, to });
      uow.save(wallet.pullChanges());
      if (to !== null) uow.save(to.pullChanges());
      return { hold: holdView(hold, ctx.now), wallet: walletView(wallet, ctx.now), transaction: walletTransactionView(debit) };
    });
  }

  /**
   * Grows an active hold by `amount`, taken from the available balance like a new hold; its
   * expiry is unchanged. Answers with the hold.
   */
  async incrementHold(input: s.IncrementHoldInput, options: CommandOptions = {}): Promise<v.HoldView> {
    const cmd = parseInput(s.incrementHoldInput, input);
    return this.holdCommand('incrementHold', cmd, options, holdWallet(cmd.holdId, undefined), async (uow, ctx, found) => {
      const { wallet } = await this.lockHoldWallet(uow, cmd.holdId, found, undefined, options.asUser);
      const hold = wallet.incrementHold(ctx, cmd.holdId, amountIn(this.env, cmd.amount, wallet));
      uow.save(wallet.pullChanges());
      return holdView(hold, ctx.now);
    });
  }

  /** Releases an active hold without taking anything; allowed on a frozen wallet. */
  async voidHold(input: s.VoidHoldInput, options: CommandOptions = {}): Promise<v.VoidResult> {
    const cmd = parseInput(s.voidHoldInput, input);
    return this.holdCommand('voidHold', cmd, options, holdWallet(cmd.holdId, undefined), async (uow, ctx, found) => {
      const { wallet } = await this.lockHoldWallet(uow, cmd.holdId, found, undefined, options.asUser);
      const hold = wallet.voidHold(ctx, cmd.holdId, cmd.reason ?? null);
      uow.save(wallet.pullChanges());
      return { hold: holdView(hold, ctx.now), wallet: walletView(wallet, ctx.now) };
    });
  }

  // ---- offline allowances --------------------------------------------------------------------

  /**
   * Sets aside `amount` of a wallet's available balance for one till to spend offline until
   * `spendUntil`; it stays reserved until `settleBy` (`spendUntil` plus the sync grace), so sales
   * forwarded late are still covered. One active allowance per (wallet, till).
   */
  async openAllowance(input: s.OpenAllowanceInput, options: CommandOptions = {}): Promise<v.AllowanceView> {
    const cmd = parseInput(s.openAllowanceInput, isoTimes(input, 'spendUntil'));
    return this.command('openAllowance', cmd, options, { wallets: [cmd.walletId], pointAccounts: [] }, async (uow, ctx) => {
      const spendUntil = deadline('spendUntil', cmd.spendUntil, ctx.now, this.env.allowanceTtlMs, MAX_ALLOWANCE_TTL_MS);
      const wallet = await lockWallet(uow, cmd.walletId, options.asUser);
      const allowance = wallet.openAllowance(ctx, {
        tillId: cmd.tillId,
        amount: amountIn(this.env, cmd.amount, wallet),
        spendUntil,
        settleBy: new Date(spendUntil.getTime() + this.env.allowanceSyncGraceMs),
        maxSpendAmount: cmd.maxSpendAmount === undefined ? null : amountIn(this.env, cmd.maxSpendAmount, wallet),
        maxSpends: cmd.maxSpends ?? null,
      });
      uow.save(wallet.pullChanges());
      return allowanceView(allowance, ctx.now);
    });
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
    const cmd = parseInput(s.syncAllowanceInput, isoSpendTimes(input));
    const merchants = [...new Set(cmd.spends.flatMap((spend) => (spend.toWalletId === undefined ? [] : [spend.toWalletId])))];
    const seqs = cmd.spends.map((spend) => spend.seq);
    // The allowance's wallet never changes: the resolve step reads it, and the sync joins a batch
    // with every seq it names, so that a retry compares with what was booked under the lock.
    const locks = allowanceWallet(cmd.allowanceId, (found) => ({
      wallets: [found.walletId, ...merchants],
      pointAccounts: [],
      bookedSpends: [{ allowanceId: found.id, seqs }],
    }));
    return this.command('syncAllowance', cmd, options, locks, async (uow, ctx, resolved) => {
      const locked = await uow.lockWallets(resolved === null ? [] : [resolved.walletId, ...merchants]);
      const { wallet: payer, found } = this.lockedAllowanceWallet(locked, cmd.allowanceId, resolved, ctx.now, options.asUser);
      const spends: AllowanceSpend[] = cmd.spends
        .map((spend) => ({
          seq: spend.seq,
          amount: amountIn(this.env, spend.amount, payer),
          occurredAt: new Date(spend.occurredAt),
          reference: spend.reference ?? null,
          description: spend.description ?? null,
          toWalletId: spend.toWalletId ?? null,
        }))
        .sort((a, b) => a.seq - b.seq);
      const { lastSeq } = payer.activeAllowance(ctx, found.id);
      const seen = spends.filter((spend) => spend.seq <= lastSeq).map((spend) => spend.seq);
      const booked = seen.length === 0 ? new Map() : await uow.bookedSpends(found.id, seen);
      const result = syncAllowance(ctx, payer, found.id, spends, locked, booked);
      for (const wallet of locked.values()) uow.save(wallet.pullChanges());
      return { allowance: allowanceView(result.allowance, ctx.now), results: [...result.results] };
    });
  }

  /**
   * Ends an allowance once the till has forwarded every sale: `lastSeq` is the till's last seq.
   * What was not spent goes back to the available balance.
   */
  async settleAllowance(input: s.SettleAllowanceInput, options: CommandOptions = {}): Promise<v.AllowanceView> {
    const cmd = parseInput(s.settleAllowanceInput, input);
    const locks = allowanceWallet(cmd.allowanceId, (found) => ({ wallets: [found.walletId], pointAccounts: [] }));
    return this.command('settleAllowance', cmd, options, locks, async (uow, ctx, resolved) => {
      const locked = await uow.lockWallets(resolved === null ? [] : [resolved.walletId]);
      const { wallet } = this.lockedAllowanceWallet(locked, cmd.allowanceId, resolved, ctx.now, options.asUser);
      const settled = wallet.settleAllowance(ctx, cmd.allowanceId, cmd.lastSeq);
      uow.save(wallet.pullChanges());
      return allowanceView(settled, ctx.now);
    });
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
    const cmd = parseInput(s.payInput, input);
    const points = cmd.points;
    const walletIds = cmd.toWalletId === undefined ? [cmd.walletId] : [cmd.walletId, cmd.toWalletId];
    const owner: Resolved<string | null> = {
      resolve: (facts) => facts.walletOwner(cmd.walletId),
      locks: (userId) => ({ wallets: walletIds, pointAccounts: userId === null || points === undefined ? [] : [userId] }),
    };
    return this.command('pay', cmd, options, owner, async (uow, ctx, userId) => {
      const locked = await uow.lockWallets(walletIds);
      const payer = visible(locked.get(cmd.walletId), options.asUser, () => new WalletNotFoundError(cmd.walletId));
      const to = cmd.toWalletId === undefined ? null : visible(locked.get(cmd.toWalletId), undefined, () => new WalletNotFoundError(cmd.toWalletId as string));
      let spend: { account: PointAccount; points: number } | null = null;
      if (points !== undefined) {
        const found = userId === null ? null : await uow.lockPointAccount(userId);
        spend = { account: visible(found, undefined, () => new PointAccountNotFoundError(payer.userId)), points };
      }
      const entries = payWithPoints(ctx, {
        payer,
        to,
        amount: amountIn(this.env, cmd.amount, payer),
        points: spend,
        reference: cmd.reference,
        description: cmd.description ?? null,
      });
      uow.save(payer.pullChanges());
      if (to) uow.save(to.pullChanges());
      if (spend) uow.save(spend.account.pullChanges());
      return {
        wallet: walletView(payer, ctx.now),
        transaction: walletTransactionView(entries.debit),
        account: spend === null ? null : pointAccountView(spend.account, ctx.now),
        pointTransaction: entries.spend === null ? null : pointTransactionView(entries.spend),
      };
    });
  }

  // ---- refunds and reversals -----------------------------------------------------------------

  /**
   * Gives back all or part of a `withdrawal` (a capture's included) or a `transfer_out`: a
   * `refund_in` on the payer, and for a transfer a `refund_out` on the recipient. All refunds of
   * one payment never exceed it. Answers with the payer's side.
   */
  async refund(input: s.RefundInput, options: CommandOptions = {}): Promise<v.RefundResult> {
    const cmd = parseInput(s.refundInput, input);
    return this.command('refund', cmd, options, refundedRow(cmd.transactionId), async (uow, ctx, found) => {
      if (!found) throw new TransactionNotFoundError(cmd.transactionId);
      const { transaction: original, counterpartWalletId: recipientId } = found;
      const locked = await uow.lockWallets(recipientId === null ? [original.walletId] : [original.walletId, recipientId]);
      const payer = visible(locked.get(original.walletId), options.asUser, () => new TransactionNotFoundError(cmd.transactionId));
      const recipient = recipientId === null ? null : visible(locked.get(recipientId), undefined, () => new WalletNotFoundError(recipientId));
      const amount = cmd.amount === undefined ? undefined : amountIn(this.env, cmd.amount, payer);
      const refundedSoFar = await uow.refundedAmount(original);
      const details = { description: cmd.reason, reference: cmd.reference };
      const { credit } = refundPayment(ctx, { original, refundedSoFar, payer, recipient, amount, details });
      uow.save(payer.pullChanges());
      if (recipient) uow.save(recipient.pullChanges());
      return { wallet: walletView(payer, ctx.now), transaction: walletTransactionView(credit) };
    });
  }

  /**
   * Takes back all or part of a mistaken `deposit` as a `deposit_reversal` naming it in `refundOf`:
   * all reversals of one deposit never exceed it, and none takes more than `availableBalance`.
   * Refused like a refund on a frozen or closed wallet. Answers with the wallet and the new row.
   */
  async reverseDeposit(input: s.ReverseDepositInput, options: CommandOptions = {}): Promise<v.DepositReversalResult> {
    const cmd = parseInput(s.reverseDepositInput, input);
    return this.command('reverseDeposit', cmd, options, reversedRow(cmd.transactionId), async (uow, ctx, found) => {
      if (!found) throw new TransactionNotFoundError(cmd.transactionId);
      const deposit = found.transaction;
      const wallet = visible(
        (await uow.lockWallets([deposit.walletId])).get(deposit.walletId),
        options.asUser,
        () => new TransactionNotFoundError(cmd.transactionId),
      );
      const amount = cmd.amount === undefined ? undefined : amountIn(this.env, cmd.amount, wallet);
      const reversedSoFar = await uow.refundedAmount(deposit);
      const tx = reverseDeposit(ctx, { deposit, reversedSoFar, wallet, amount, details: { description: cmd.reason } });
      uow.save(wallet.pullChanges());
      return { wallet: walletView(wallet, ctx.now), transaction: walletTransactionView(tx) };
    });
  }

  /**
   * Gives all or part of a points `spend` back to the lots it took them from, each keeping its
   * expiry; the share of lots already expired is reported as `expiredPoints`, not returned.
   */
  async refundPoints(input: s.RefundPointsInput, options: CommandOptions = {}): Promise<v.PointsRefundResult> {
    const cmd = parseInput(s.refundPointsInput, input);
    return this.command('refundPoints', cmd, options, pointTransactionOwner(cmd.transactionId), async (uow, ctx, owner) => {
      const { account, transaction: spend, lots } = await this.lockPointTransaction(uow, cmd.transactionId, owner, options.asUser);
      if (spend.type === 'spend' && lots.length === 0) {
        throw new NotRefundableError(cmd.transactionId, 'This spend was recorded before the ledger kept which lots a spend took');
      }
      const { transaction, expiredPoints } = account.refundSpend(ctx, { spend, lots, points: cmd.points, reason: cmd.reason });
      uow.save(account.pullChanges());
      return { account: pointAccountView(account, ctx.now), transaction: pointTransactionView(transaction), expiredPoints };
    });
  }

  /**
   * Claws back all or part of an `earn` or `confirm` from what is left of its lot, never below
   * zero; what was already spent or expired is reported as `shortfall`.
   */
  async reversePoints(input: s.ReversePointsInput, options: CommandOptions = {}): Promise<v.PointsReversalResult> {
    const cmd = parseInput(s.reversePointsInput, input);
    return this.command('reversePoints', cmd, options, pointTransactionOwner(cmd.transactionId), async (uow, ctx, owner) => {
      const { account, transaction: credit, lots } = await this.lockPointTransaction(uow, cmd.transactionId, owner, options.asUser);
      const [lot] = lots;
      if ((credit.type === 'earn' || credit.type === 'confirm') && lot === undefined) {
        throw new NotRefundableError(cmd.transactionId, 'This credit was recorded before the ledger linked credits to their lots');
      }
      const claim = lot ?? { lotId: credit.id, points: 0, claimedBack: 0 };
      const { transaction, shortfall } = account.reverseCredit(ctx, { credit, lot: claim, points: cmd.points, reason: cmd.reason });
      uow.save(account.pullChanges());
      return { account: pointAccountView(account, ctx.now), transaction: pointTransactionView(transaction), shortfall };
    });
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
  ): Promise<v.PointsResult> {
    return this.command(name, cmd, options, { wallets: [], pointAccounts: [cmd.userId] }, async (uow, ctx) => {
      const found = await uow.lockPointAccount(cmd.userId);
      const locked =
        account === 'open' ? (found ?? PointAccount.open(ctx, cmd.userId)) : visible(found, undefined, () => new PointAccountNotFoundError(cmd.userId));
      const tx = apply(locked, ctx);
      uow.save(locked.pullChanges());
      return { account: pointAccountView(locked, ctx.now), transaction: pointTransactionView(tx) };
    });
  }

  /** A deposit or a withdrawal: one wallet, one ledger row. */
  private movement(op: 'deposit' | 'withdraw', cmd: z.output<typeof s.depositInput>, options: CommandOptions): Promise<v.MovementResult> {
    return this.command(op, cmd, options, { wallets: [cmd.walletId], pointAccounts: [] }, async (uow, ctx) => {
      const wallet = await lockWallet(uow, cmd.walletId, options.asUser);
      const tx = wallet[op](ctx, amountIn(this.env, cmd.amount, wallet), cmd);
      uow.save(wallet.pullChanges());
      return { wallet: walletView(wallet, ctx.now), transaction: walletTransactionView(tx) };
    });
  }

  private async changeStatus(op: 'freeze' | 'unfreeze' | 'close', input: s.WalletStatusInput, options: CommandOptions): Promise<v.WalletView> {
    const cmd = parseInput(s.walletStatusInput, input);
    return this.command(op, cmd, options, { wallets: [cmd.walletId], pointAccounts: [] }, async (uow, ctx) => {
      const wallet = await lockWallet(uow, cmd.walletId, options.asUser);
      wallet[op](ctx, cmd.reason ?? null);
      uow.save(wallet.pullChanges());
      return walletView(wallet, ctx.now);
    });
  }

  private async settlePending(op: 'confirm' | 'cancel', input: s.PendingPointsInput, options: CommandOptions): Promise<v.PointsResult> {
    const cmd = parseInput(s.pendingPointsInput, input);
    // The pending row's id is its lot's.
    const lotOwner: Resolved<string | null> = {
      resolve: (facts) => facts.lotOwner(cmd.transactionId),
      locks: (userId) => ({ wallets: [], pointAccounts: userId === null ? [] : [userId] }),
    };
    return this.command(`${op}PendingPoints`, cmd, options, lotOwner, async (uow, ctx, userId) => {
      const found = userId === null ? null : await uow.lockPointAccount(userId);
      const account = visible(found, options.asUser, () => new TransactionNotFoundError(cmd.transactionId));
      const tx = account[op](ctx, cmd.transactionId);
      uow.save(account.pullChanges());
      return { account: pointAccountView(account, ctx.now), transaction: pointTransactionView(tx) };
    });
  }

  /**
   * Locks the wallet of a hold (and `otherId` with it, in the one lock order of lockWallets), as
   * the resolve step found it. A wallet loads its stored-active holds only: one it lacks had
   * ended, and its stored status says how (final once not active), unless it ended between the
   * resolve step's read and the lock (`HoldEndedMeanwhile`, answered by `holdCommand`).
   */
  private async lockHoldWallet(uow: UnitOfWork, holdId: string, found: Hold | null, otherId: string | undefined, asUser: string | undefined) {
    if (found === null) throw new HoldNotFoundError(holdId);
    const others = await uow.lockWallets(otherId === undefined ? [found.walletId] : [found.walletId, otherId]);
    const wallet = visible(others.get(found.walletId), asUser, () => new HoldNotFoundError(holdId));
    if (wallet.hold(holdId) === undefined) {
      if (found.status === 'active') throw new HoldEndedMeanwhile(holdId);
      throw new HoldNotActiveError(holdId, found.status);
    }
    return { wallet, others };
  }

  /** Locks the account of a points row, as the resolve step found its owner. */
  private async lockPointTransaction(uow: UnitOfWork, transactionId: string, owner: string | null, asUser: string | undefined) {
    const locked = owner === null ? null : await uow.lockPointAccountByTransaction(transactionId);
    return visible(locked && { ...locked, userId: locked.account.userId }, asUser, () => new TransactionNotFoundError(transactionId));
  }

  /**
   * The locked wallet of an allowance the resolve step found. A wallet loads its stored-active
   * allowances only: one it lacks ended meanwhile, by settle unless `settleBy` has passed.
   */
  private lockedAllowanceWallet(
    locked: ReadonlyMap<string, Wallet>,
    allowanceId: string,
    found: Allowance | null,
    now: Date,
    asUser: string | undefined,
  ): { wallet: Wallet; found: Allowance } {
    const wallet = visible(found === null ? undefined : locked.get(found.walletId), asUser, () => new AllowanceNotFoundError(allowanceId));
    if (!found) throw new AllowanceNotFoundError(allowanceId);
    if (!wallet.allowance(found.id)) {
      const status = allowanceStatusAt(found, now);
      throw new AllowanceNotActiveError(found.id, status === 'active' ? 'settled' : status);
    }
    return { wallet, found };
  }

  /**
   * A command on a hold (`cmd.holdId`). When the hold ended between the resolve step and the lock,
   * the unit failed having changed nothing; its final status is read then, outside it (captured,
   * voided and expired never change again), so HOLD_NOT_ACTIVE always says how the hold ended.
   */
  private async holdCommand<I extends { holdId: string }, T>(
    name: string,
    cmd: I,
    options: CommandOptions,
    locks: Resolved<Hold | null>,
    run: (uow: UnitOfWork, ctx: ChangeContext, found: Hold | null) => Promise<T>,
  ): Promise<T> {
    try {
      return await this.command(name, cmd, options, locks, run);
    } catch (e) {
      if (!(e instanceof HoldEndedMeanwhile)) throw e;
      const hold = await this.env.store.getHold(cmd.holdId);
      if (hold === null || hold.status === 'active')
        throw new InternalError(`Hold ${cmd.holdId} left its wallet's active holds but is stored ${hold?.status ?? 'nowhere'}`);
      throw new HoldNotActiveError(cmd.holdId, hold.status);
    }
  }

  /** One command as one unit of work (see `runCommand`): its locks declared, or resolved from facts it reads first. */
  private command<I, T, F = null>(
    name: string,
    input: I,
    options: CommandOptions,
    locks: DeclaredLocks | Resolved<F>,
    run: (uow: UnitOfWork, ctx: ChangeContext, facts: F) => Promise<T>,
  ): Promise<T> {
    return runCommand(this.env, { name, input, options, run, locks });
  }
}

/** The resolve step of a command on an allowance: the allowance as stored, for its wallet, which `locks` names. */
function allowanceWallet(allowanceId: string, locks: (found: Allowance) => DeclaredLocks): Resolved<Allowance | null> {
  return { resolve: (facts) => facts.allowance(allowanceId), locks: (found) => (found === null ? NO_LOCKS : locks(found)) };
}

/** The resolve step of a command on a hold: the hold as stored, its wallet locked (with `otherId` when given). */
function holdWallet(holdId: string, otherId: string | undefined): Resolved<Hold | null> {
  return {
    resolve: (facts) => facts.hold(holdId),
    locks: (found) => ({ wallets: found === null ? [] : otherId === undefined ? [found.walletId] : [found.walletId, otherId], pointAccounts: [] }),
  };
}

/**
 * A hold stored active when the resolve step read it, gone from its wallet once locked: a command
 * ended it in between. The unit fails (changing nothing; a wallet error, so every store hands it
 * back as the unit's own answer) and `holdCommand` answers HOLD_NOT_ACTIVE with how it ended.
 */
class HoldEndedMeanwhile extends WalletError {
  static override readonly code = 'HOLD_NOT_ACTIVE';
  constructor(readonly holdId: string) {
    super(`Hold ${holdId} ended while the command waited for its wallet`);
  }
}

/** The resolve step of a refund: the row refunded and its pair's other wallet, both locked. */
function refundedRow(transactionId: string): Resolved<FoundWalletTransaction | null> {
  return {
    resolve: (facts) => facts.walletTransaction(transactionId),
    locks: (found) =>
      found === null
        ? NO_LOCKS
        : {
            wallets: found.counterpartWalletId === null ? [found.transaction.walletId] : [found.transaction.walletId, found.counterpartWalletId],
            pointAccounts: [],
            refundsOf: [found.transaction.id],
          },
  };
}

/** The resolve step of a deposit's reversal: the row named, its wallet locked (one wallet: a deposit has no counterpart). */
function reversedRow(transactionId: string): Resolved<FoundWalletTransaction | null> {
  return {
    resolve: (facts) => facts.walletTransaction(transactionId),
    locks: (found) => (found === null ? NO_LOCKS : { wallets: [found.transaction.walletId], pointAccounts: [], refundsOf: [found.transaction.id] }),
  };
}

/** The resolve step of a command on a points row: its owner's account, loaded with the row's lots and claims. */
function pointTransactionOwner(transactionId: string): Resolved<string | null> {
  return {
    resolve: (facts) => facts.pointTransactionOwner(transactionId),
    locks: (userId) => (userId === null ? NO_LOCKS : { wallets: [], pointAccounts: [userId], pointTransactions: [transactionId] }),
  };
}
