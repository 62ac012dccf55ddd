import { ChangeLog, NONE, type Changes } from '../change-log.js';
import type { ChangeContext } from '../context.js';
import {
  AllowanceExistsError,
  AllowanceNotActiveError,
  AllowanceSeqConflictError,
  AllowanceSeqGapError,
  CaptureExceedsHoldError,
  CurrencyMismatchError,
  HoldNotActiveError,
  HoldNotFoundError,
  InsufficientFundsError,
  SameWalletError,
  WalletClosedError,
  WalletFrozenError,
  WalletHasHoldsError,
  WalletNotEmptyError,
} from '../errors.js';
import type { BalanceChanged, WalletEvent } from '../events.js';
import type { Currency } from '../money/currency.js';
import { Money } from '../money/money.js';
import type { Metadata } from '../metadata.js';
import { allowanceCounts, allowanceLeft, assertSpendable, spendMetadata, type Allowance, type AllowanceSpend, type AllowanceTerms } from './allowance.js';
import { assertHoldExpiry, EXPIRED_HOLDS_PER_CHANGE, holdCounts, type Hold } from './hold.js';
import { isCredit, type WalletTransaction, type WalletTransactionType } from './ledger.js';
import {
  addUse,
  assertBalanceFits,
  assertUseFits,
  formatLimits,
  giveBackUse,
  usageIn,
  type LimitPolicy,
  type LimitUsage,
  type WalletLimits,
} from './limits.js';

/** What each row type counts toward a period's limits; the rest count toward none (a transfer in only toward `maxBalance`). */
const COUNTED: Partial<Record<WalletTransactionType, 'deposit' | 'spend'>> = { deposit: 'deposit', withdrawal: 'spend', transfer_out: 'spend' };

export const WALLET_STATUSES = ['active', 'frozen', 'closed'] as const;
export type WalletStatus = (typeof WALLET_STATUSES)[number];

export interface WalletState {
  readonly id: string;
  readonly userId: string;
  readonly currency: Currency;
  readonly balance: Money;
  readonly status: WalletStatus;
  readonly version: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly closedAt: Date | null;
  /** The wallet's own limits (set by an admin), each field overriding its currency's default; null: the defaults. */
  readonly limits?: WalletLimits | null | undefined;
  /** What the wallet used of the day and month it last counted in (kept with the balance, under its lock). */
  readonly usage?: LimitUsage | null | undefined;
}

export interface MovementDetails {
  description?: string | null | undefined;
  reference?: string | null | undefined;
}

/** Links of a ledger row beyond its amount. */
export interface RowLinks {
  transferId?: string | null;
  holdId?: string | null;
  refundOf?: string | null;
  allowanceId?: string | null;
  allowanceSeq?: number | null;
  /** Business time, when it is not the booking time (a sale made offline). */
  occurredAt?: Date | null;
  /** The points row of a split payment this row is paid with. */
  pairedWith?: string | null;
  /** The row's labels, when they are not the command's (a capture's default, an allowance's spend). */
  metadata?: Metadata | null;
}

export interface HoldDetails extends MovementDetails {
  expiresAt: Date;
}

export interface CaptureDetails {
  description?: string | null | undefined;
  /** Captures into this wallet as a transfer pair; without it the money leaves as a `withdrawal`. */
  to?: Wallet | null | undefined;
}

export interface TransferEntries {
  readonly transferId: string;
  readonly debit: WalletTransaction;
  readonly credit: WalletTransaction;
}

export interface CaptureEntries {
  readonly hold: Hold;
  /** The payer's row: a `withdrawal`, or the `transfer_out` of a pair. */
  readonly debit: WalletTransaction;
  /** The `transfer_in` of the target wallet, when captured into one. */
  readonly credit: WalletTransaction | null;
  readonly transferId: string | null;
}

export interface RefundEntries {
  /** The payer's `refund_in`. */
  readonly credit: WalletTransaction;
  /** The recipient's `refund_out`, for a transfer. */
  readonly debit: WalletTransaction | null;
  readonly transferId: string | null;
}

export interface WalletChanges extends Changes<WalletTransaction, WalletEvent> {
  readonly wallet: Wallet;
  /** Holds placed or changed since loading, in their new state. */
  readonly holds: readonly Hold[];
  /** Allowances opened or changed since loading, in their new state. */
  readonly allowances: readonly Allowance[];
}

/** Never written to: `putHold` and `putAllowance` give a wallet its own map first. */
const NO_HOLDS: Map<string, Hold> = new Map();
const NO_ALLOWANCES: Map<string, Allowance> = new Map();

const isAllowance = (part: Hold | Allowance): part is Allowance => 'tillId' in part;

/**
 * The wallet aggregate: one currency, a balance that never goes below zero, a status, and the
 * holds that reserve part of the balance. Every balance change appends a ledger row carrying
 * `balanceAfter` and records an event. What can be paid out is the available balance: the balance
 * less the holds that still count at the command's `now`. Every change first marks holds past
 * their expiry as expired, so that stored state catches up with what readers already see.
 */
export class Wallet {
  private state: WalletState;
  private readonly changes: ChangeLog<WalletTransaction, WalletEvent, Hold | Allowance>;
  // The shared empty maps until a part is loaded or put: most wallets hold nothing, and two Maps
  // per wallet loaded were a tenth of what a transfer allocated (docs/DESIGN.md, "Memory path").
  private holds: Map<string, Hold> = NO_HOLDS;
  private allowances: Map<string, Allowance> = NO_ALLOWANCES;
  /** Holds stored as active that the store did not load: all past their expiry before the command began. */
  readonly unloadedHolds: number;

  private constructor(state: WalletState, loadedVersion: number, holds: readonly Hold[], allowances: readonly Allowance[], unloadedHolds = 0) {
    this.state = state;
    this.unloadedHolds = unloadedHolds;
    this.changes = new ChangeLog(loadedVersion, { aggregateType: 'wallet', aggregateId: state.id });
    if (holds.length > 0) {
      this.holds = new Map();
      for (const h of holds) this.holds.set(h.id, h);
    }
    if (allowances.length > 0) {
      this.allowances = new Map();
      for (const a of allowances) this.allowances.set(a.id, a);
    }
  }

  /**
   * Rebuilds a wallet from stored state and its stored-active holds and allowances; records
   * nothing. A store may leave out holds that were past their expiry before the command began
   * (beyond `EXPIRED_HOLDS_PER_CHANGE` of them), counting them in `unloadedHolds`: they reserve
   * nothing, and later changes mark them.
   */
  static restore(state: WalletState, activeHolds: readonly Hold[] = [], activeAllowances: readonly Allowance[] = [], unloadedHolds = 0): Wallet {
    return new Wallet(state, state.version, activeHolds, activeAllowances, unloadedHolds);
  }

  static open(ctx: ChangeContext, input: { id?: string; userId: string; currency: Currency }): Wallet {
    const wallet = new Wallet(
      {
        id: input.id ?? ctx.newId(),
        userId: input.userId,
        currency: input.currency,
        balance: Money.zero(input.currency),
        status: 'active',
        version: 1,
        createdAt: ctx.now,
        updatedAt: ctx.now,
        closedAt: null,
      },
      0,
      [],
      [],
    );
    wallet.record(ctx, 'WalletCreated', { userId: input.userId, currency: input.currency.code });
    return wallet;
  }

  get id(): string {
    return this.state.id;
  }
  get userId(): string {
    return this.state.userId;
  }
  get currency(): Currency {
    return this.state.currency;
  }
  get balance(): Money {
    return this.state.balance;
  }
  get status(): WalletStatus {
    return this.state.status;
  }
  get version(): number {
    return this.state.version;
  }
  get createdAt(): Date {
    return this.state.createdAt;
  }
  get updatedAt(): Date {
    return this.state.updatedAt;
  }
  get closedAt(): Date | null {
    return this.state.closedAt;
  }
  get snapshot(): WalletState {
    return this.state;
  }
  get isNew(): boolean {
    return this.changes.isNew;
  }

  /** The holds stored as active, expired or not: what a store keeps loaded with the wallet. */
  get activeHolds(): readonly Hold[] {
    return [...this.holds.values()].filter((h) => h.status === 'active');
  }

  /** How many holds are stored as active, loaded or not: the wallet row's `active_holds`, which tells a lock to load them. */
  get storedActiveHolds(): number {
    return this.unloadedHolds + this.activeHolds.length;
  }

  /**
   * The wallet row's `held_amount`: what the holds that count at its last change (`updatedAt`) and
   * the allowances stored as active reserve. Holds past their expiry are left out whether marked or
   * not, so it stays within the balance while some wait to be marked.
   */
  get storedHeldAmount(): Money {
    let held = Money.zero(this.currency);
    for (const h of this.holds.values()) if (holdCounts(h, this.state.updatedAt)) held = held.add(h.amount);
    return this.activeAllowances.reduce((sum, a) => sum.add(allowanceLeft(a)), held);
  }

  /** The allowances stored as active, past `settleBy` or not: what a store keeps loaded with the wallet. */
  get activeAllowances(): readonly Allowance[] {
    return [...this.allowances.values()].filter((a) => a.status === 'active');
  }

  /** What the holds and the allowances that count at `now` reserve. */
  heldAt(now: Date): Money {
    // Loops, not filter/reduce: every command and every view asks, and most wallets hold nothing.
    let held = Money.zero(this.currency);
    if (this.holds.size === 0 && this.allowances.size === 0) return held;
    for (const h of this.holds.values()) if (holdCounts(h, now)) held = held.add(h.amount);
    for (const a of this.allowances.values()) if (allowanceCounts(a, now)) held = held.add(allowanceLeft(a));
    return held;
  }

  /** The balance less what counting holds and allowances reserve at `now`: what can be paid out or held. */
  availableAt(now: Date): Money {
    const held = this.heldAt(now);
    return held.isZero() ? this.state.balance : this.state.balance.subtract(held);
  }

  /** A hold loaded with this wallet (the stored-active ones, and those changed since loading). */
  hold(id: string): Hold | undefined {
    return this.holds.get(id);
  }

  deposit(ctx: ChangeContext, amount: Money, details: MovementDetails = {}): WalletTransaction {
    this.settleExpiredHolds(ctx);
    this.assertMovable(amount);
    this.assertLimits(ctx, 'deposit', amount);
    return this.move(ctx, 'deposit', amount, details, {});
  }

  /** `links.pairedWith`: the points row of a split payment (see `payWithPoints`). */
  withdraw(ctx: ChangeContext, amount: Money, details: MovementDetails = {}, links: Pick<RowLinks, 'pairedWith'> = {}): WalletTransaction {
    this.settleExpiredHolds(ctx);
    this.assertCanPay(ctx, amount);
    this.assertLimits(ctx, 'spend', amount);
    return this.move(ctx, 'withdrawal', amount, details, links);
  }

  /**
   * Moves `amount` to `to`, a wallet of the same currency, as a transfer pair. Every rule of both
   * sides is checked before either changes, so a rejected transfer leaves both as they were.
   */
  transferTo(ctx: ChangeContext, to: Wallet, amount: Money, details: MovementDetails = {}, links: Pick<RowLinks, 'pairedWith'> = {}): TransferEntries {
    this.assertPairWith(to);
    this.assertCanPay(ctx, amount);
    to.assertMovable(amount);
    this.assertLimits(ctx, 'spend', amount);
    to.assertLimits(ctx, null, amount);
    const transferId = ctx.newId();
    this.settleExpiredHolds(ctx);
    // Only the payer's row is paid with the points; the recipient's row is a plain transfer_in.
    const debit = this.move(ctx, 'transfer_out', amount, details, { transferId, pairedWith: links.pairedWith ?? null });
    to.settleExpiredHolds(ctx);
    const credit = to.move(ctx, 'transfer_in', amount, details, { transferId });
    return { transferId, debit, credit };
  }

  /**
   * Gives `amount` back to this wallet, the payer of `refundOf`, as a `refund_in`. When the payment
   * was a transfer, `recipient` gives it back from its available balance as a `refund_out` (the
   * two share a transfer id). Both sides are checked before either changes.
   */
  takeRefund(
    ctx: ChangeContext,
    amount: Money,
    refundOf: string,
    recipient: Wallet | null,
    details: MovementDetails = {},
    refundedAt: Date | null = null,
  ): RefundEntries {
    if (recipient === null) {
      this.assertMovable(amount);
      this.assertLimits(ctx, null, amount);
      this.settleExpiredHolds(ctx);
      const credit = this.move(ctx, 'refund_in', amount, details, { refundOf });
      this.giveBackUse(ctx, 'spend', amount, refundedAt);
      return { credit, debit: null, transferId: null };
    }
    recipient.assertCanPay(ctx, amount);
    this.assertMovable(amount);
    this.assertLimits(ctx, null, amount);
    const transferId = ctx.newId();
    recipient.settleExpiredHolds(ctx);
    const debit = recipient.move(ctx, 'refund_out', amount, details, { refundOf, transferId });
    this.settleExpiredHolds(ctx);
    const credit = this.move(ctx, 'refund_in', amount, details, { refundOf, transferId });
    this.giveBackUse(ctx, 'spend', amount, refundedAt);
    return { credit, debit, transferId };
  }

  /** Reserves `amount` of the available balance until `details.expiresAt`: after now, at most `MAX_HOLD_TTL_MS` ahead. */
  placeHold(ctx: ChangeContext, amount: Money, details: HoldDetails): Hold {
    assertHoldExpiry(details.expiresAt, ctx.now);
    this.settleExpiredHolds(ctx);
    this.assertCanPay(ctx, amount);
    this.assertLimits(ctx, 'spend', amount);
    const hold: Hold = {
      id: ctx.newId(),
      walletId: this.id,
      amount,
      capturedAmount: Money.zero(this.currency),
      status: 'active',
      reference: details.reference ?? null,
      description: details.description ?? null,
      expiresAt: details.expiresAt,
      createdAt: ctx.now,
      updatedAt: ctx.now,
      metadata: ctx.metadata ?? null,
    };
    this.putHold(ctx, hold);
    this.record(ctx, 'HoldPlaced', { ...this.holdPayload(hold), expiresAt: hold.expiresAt.toISOString() });
    return hold;
  }

  /**
   * Captures a hold once, all of it or `amount`; the rest is released. Without `to` the money
   * leaves as a `withdrawal`; with it, as a transfer pair into `to`. Every row carries the hold's
   * id. Every rule of both sides is checked before either changes.
   */
  captureHold(ctx: ChangeContext, holdId: string, amount: Money | undefined, details: CaptureDetails = {}): CaptureEntries {
    const to = details.to ?? null;
    if (to !== null) this.assertPairWith(to);
    this.settleExpiredHolds(ctx);
    const hold = this.activeHold(holdId);
    const take = amount ?? hold.amount;
    this.assertMovable(take);
    if (hold.amount.lessThan(take)) throw new CaptureExceedsHoldError(hold.id, hold.amount.format(), take.format());
    // The hold guarantees the money is there; a shortfall here would mean corrupted state.
    if (this.state.balance.lessThan(take)) throw new InsufficientFundsError(this.id, this.state.balance.format(), take.format());
    to?.assertMovable(take);
    this.assertLimits(ctx, 'spend', take);
    to?.assertLimits(ctx, null, take);
    const transferId = to === null ? null : ctx.newId();
    const captured: Hold = { ...hold, status: 'captured', capturedAmount: take, updatedAt: ctx.now };
    this.putHold(ctx, captured);
    const rowDetails = { description: details.description ?? hold.description, reference: hold.reference };
    // A capture that names no metadata books the hold's: the sale the hold was placed for.
    const metadata = ctx.metadata ?? hold.metadata;
    const debit = this.move(ctx, to === null ? 'withdrawal' : 'transfer_out', take, rowDetails, { transferId, holdId, metadata });
    this.record(ctx, 'HoldCaptured', {
      ...this.holdPayload(captured),
      capturedAmount: take.format(),
      releasedAmount: captured.amount.subtract(take).format(),
      transactionId: debit.id,
      toWalletId: to?.id ?? null,
    });
    if (to === null) return { hold: captured, debit, credit: null, transferId };
    to.settleExpiredHolds(ctx);
    const credit = to.move(ctx, 'transfer_in', take, rowDetails, { transferId, holdId, metadata });
    return { hold: captured, debit, credit, transferId };
  }

  /**
   * Takes `amount` of the deposit `depositId` back out of this wallet as a `deposit_reversal` (a
   * mistaken top-up). Refused like a payment of `amount`: on a frozen wallet (no money moves in
   * or out of it, as with a refund), on a closed one, and beyond the available balance (what was
   * already spent or is held stays where it went). What was taken back is given back to the
   * deposit limits of the day and month the deposit was counted in (`depositedAt`), while current,
   * as a refund gives back spend: a top-up keyed wrong must not keep the wallet from the right one.
   */
  reverseDeposit(ctx: ChangeContext, amount: Money, depositId: string, details: MovementDetails = {}, depositedAt: Date | null = null): WalletTransaction {
    this.settleExpiredHolds(ctx);
    this.assertCanPay(ctx, amount);
    const tx = this.move(ctx, 'deposit_reversal', amount, details, { refundOf: depositId });
    this.giveBackUse(ctx, 'deposit', amount, depositedAt);
    return tx;
  }

  /** An allowance loaded with this wallet (the stored-active ones, and those changed since loading). */
  allowance(id: string): Allowance | undefined {
    return this.allowances.get(id);
  }

  /**
   * Sets aside `terms.amount` of the available balance for one till until `terms.settleBy`. A
   * frozen or closed wallet refuses it, and a till has one active allowance per wallet at a time.
   */
  openAllowance(ctx: ChangeContext, terms: AllowanceTerms): Allowance {
    this.settleExpiredHolds(ctx);
    if (this.activeAllowances.some((a) => a.tillId === terms.tillId)) throw new AllowanceExistsError(this.id, terms.tillId);
    this.assertCanPay(ctx, terms.amount);
    this.assertLimits(ctx, 'spend', terms.amount);
    const zero = Money.zero(this.currency);
    const allowance: Allowance = {
      id: ctx.newId(),
      walletId: this.id,
      ...terms,
      spentAmount: zero,
      spendCount: 0,
      lastSeq: 0,
      largestSpend: zero,
      status: 'active',
      createdAt: ctx.now,
      updatedAt: ctx.now,
      metadata: ctx.metadata ?? null,
    };
    this.putAllowance(ctx, allowance);
    this.record(ctx, 'AllowanceOpened', {
      ...this.allowancePayload(allowance),
      spendUntil: allowance.spendUntil.toISOString(),
      settleBy: allowance.settleBy.toISOString(),
    });
    return allowance;
  }

  /** An allowance that is active now; marks the ones past `settleBy` expired first. */
  activeAllowance(ctx: ChangeContext, allowanceId: string): Allowance {
    this.settleExpiredHolds(ctx);
    const allowance = this.allowances.get(allowanceId);
    if (!allowance || allowance.status !== 'active') throw new AllowanceNotActiveError(allowanceId, allowance?.status ?? 'not active');
    return allowance;
  }

  /**
   * Books the next spend of an active allowance: a `withdrawal`, or with `transferId` the
   * `transfer_out` of a pair, taken from what the allowance reserves. Allowed on a frozen wallet:
   * the money was set aside before the freeze, for goods already handed over.
   */
  spendAllowance(
    ctx: ChangeContext,
    allowanceId: string,
    spend: AllowanceSpend,
    to: Wallet | null,
  ): { debit: WalletTransaction; credit: WalletTransaction | null } {
    const allowance = this.activeAllowance(ctx, allowanceId);
    assertSpendable(allowance, [spend]);
    this.assertNotClosed();
    if (spend.amount.currency.code !== this.currency.code) throw new CurrencyMismatchError(this.currency.code, spend.amount.currency.code);
    if (to !== null) {
      this.assertPairWith(to);
      to.assertMovable(spend.amount);
    }
    // What the allowance reserves is in the balance; a shortfall here would mean corrupted state.
    if (this.state.balance.lessThan(spend.amount)) throw new InsufficientFundsError(this.id, this.state.balance.format(), spend.amount.format());
    this.putAllowance(ctx, {
      ...allowance,
      spentAmount: allowance.spentAmount.add(spend.amount),
      spendCount: allowance.spendCount + 1,
      lastSeq: spend.seq,
      largestSpend: allowance.largestSpend.lessThan(spend.amount) ? spend.amount : allowance.largestSpend,
      updatedAt: ctx.now,
    });
    const transferId = to === null ? null : ctx.newId();
    const links = {
      transferId,
      holdId: allowance.id,
      allowanceId: allowance.id,
      allowanceSeq: spend.seq,
      occurredAt: spend.occurredAt,
      metadata: spendMetadata(spend, allowance),
    };
    const details = { description: spend.description, reference: spend.reference };
    const debit = this.move(ctx, to === null ? 'withdrawal' : 'transfer_out', spend.amount, details, links);
    if (to === null) return { debit, credit: null };
    to.settleExpiredHolds(ctx);
    return { debit, credit: to.move(ctx, 'transfer_in', spend.amount, { description: debit.description, reference: debit.reference }, links) };
  }

  /**
   * Ends an active allowance: what it did not spend goes back to the available balance. `lastSeq`
   * is the till's last sale: one not booked yet is ALLOWANCE_SEQ_GAP (forward it first), fewer
   * than were booked is ALLOWANCE_SEQ_CONFLICT (a till restored from an old copy). Allowed on a
   * frozen wallet: it only releases money.
   */
  settleAllowance(ctx: ChangeContext, allowanceId: string, lastSeq: number): Allowance {
    const allowance = this.activeAllowance(ctx, allowanceId);
    if (lastSeq > allowance.lastSeq) throw new AllowanceSeqGapError(allowanceId, allowance.lastSeq + 1, lastSeq);
    if (lastSeq < allowance.lastSeq) {
      throw new AllowanceSeqConflictError(
        allowanceId,
        lastSeq,
        allowance.lastSeq,
        `Allowance ${allowanceId} has ${allowance.lastSeq} spends booked, the till names ${lastSeq}`,
      );
    }
    const settled: Allowance = { ...allowance, status: 'settled', updatedAt: ctx.now };
    this.putAllowance(ctx, settled);
    this.record(ctx, 'AllowanceSettled', {
      ...this.allowancePayload(settled),
      spentAmount: settled.spentAmount.format(),
      releasedAmount: allowanceLeft(settled).format(),
      lastSeq: settled.lastSeq,
    });
    return settled;
  }

  /**
   * Grows an active hold by `amount` of the available balance (a table orders another round after
   * the pre-authorisation). Its expiry stays: growing is not a way to keep money reserved longer.
   * Refused like a new hold of `amount`: on a frozen or closed wallet, or beyond what is available.
   */
  incrementHold(ctx: ChangeContext, holdId: string, amount: Money): Hold {
    this.settleExpiredHolds(ctx);
    const hold = this.activeHold(holdId);
    this.assertCanPay(ctx, amount);
    this.assertLimits(ctx, 'spend', hold.amount.add(amount));
    const grown: Hold = { ...hold, amount: hold.amount.add(amount), updatedAt: ctx.now };
    this.putHold(ctx, grown);
    this.record(ctx, 'HoldIncremented', { ...this.holdPayload(grown), incrementedBy: amount.format(), expiresAt: grown.expiresAt.toISOString() });
    return grown;
  }

  /** Releases a hold without taking anything. Allowed on a frozen wallet: it moves no money. */
  voidHold(ctx: ChangeContext, holdId: string, reason: string | null = null): Hold {
    this.settleExpiredHolds(ctx);
    const hold = this.activeHold(holdId);
    const voided: Hold = { ...hold, status: 'voided', updatedAt: ctx.now };
    this.putHold(ctx, voided);
    this.record(ctx, 'HoldVoided', { ...this.holdPayload(voided), reason });
    return voided;
  }

  /**
   * Marks active holds past their expiry as expired, one HoldExpired event each, the earliest
   * expired first and at most `EXPIRED_HOLDS_PER_CHANGE` (the rest reserve nothing and wait for
   * the next change), and every active allowance past `settleBy` likewise (AllowanceExpired).
   */
  settleExpiredHolds(ctx: ChangeContext): readonly Hold[] {
    if (this.holds.size === 0 && this.allowances.size === 0) return NONE;
    for (const allowance of this.activeAllowances.filter((a) => !allowanceCounts(a, ctx.now))) {
      const expired: Allowance = { ...allowance, status: 'expired', updatedAt: ctx.now };
      this.putAllowance(ctx, expired);
      this.record(ctx, 'AllowanceExpired', {
        ...this.allowancePayload(expired),
        spentAmount: expired.spentAmount.format(),
        releasedAmount: allowanceLeft(expired).format(),
        settleBy: expired.settleBy.toISOString(),
      });
    }
    const due = this.activeHolds
      .filter((h) => !holdCounts(h, ctx.now))
      .sort((a, b) => a.expiresAt.getTime() - b.expiresAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .slice(0, EXPIRED_HOLDS_PER_CHANGE);
    return due.map((hold) => {
      const expired: Hold = { ...hold, status: 'expired', updatedAt: ctx.now };
      this.putHold(ctx, expired);
      this.record(ctx, 'HoldExpired', { ...this.holdPayload(expired), expiresAt: expired.expiresAt.toISOString() });
      return expired;
    });
  }

  /**
   * Sets the wallet's own limits (null: its currency's defaults again). A limit below what is
   * already used or held refuses what would go further, and takes nothing back.
   */
  setLimits(ctx: ChangeContext, limits: WalletLimits | null): void {
    this.assertNotClosed();
    this.settleExpiredHolds(ctx);
    this.setState(ctx, { limits });
    this.record(ctx, 'WalletLimitsSet', { userId: this.userId, currency: this.currency.code, limits: limits === null ? null : formatLimits(limits) });
  }

  /** The wallet's own limits, as an admin set them; null when its currency's defaults apply. */
  get ownLimits(): WalletLimits | null {
    return this.state.limits ?? null;
  }

  /** What the wallet used of the day and month `at` falls in, by `policy`'s time zone. */
  usageAt(policy: LimitPolicy, at: Date): LimitUsage {
    return usageIn(this.state.usage, this.currency, policy.periodsAt(at));
  }

  /** The stored counters, as they were last written (for a store). */
  get storedUsage(): LimitUsage | null {
    return this.state.usage ?? null;
  }

  /**
   * Checks a movement against the wallet's limits before anything changes: `kind` is the period
   * use it counts toward (null for a credit that counts toward none); every credit must keep the
   * balance within `maxBalance`.
   */
  private assertLimits(ctx: ChangeContext, kind: 'deposit' | 'spend' | null, amount: Money): void {
    const policy = ctx.limits;
    if (policy === undefined) return;
    const limits = policy.limitsOf(this.currency, this.state.limits);
    if (kind !== null) assertUseFits(limits, this.usageAt(policy, this.bookingTime(ctx)), kind, amount);
    if (kind !== 'spend') assertBalanceFits(limits, this.state.balance, amount);
  }

  /** Gives back use a refund or reversal returns, to the period its row `countedAt` was counted in, if still current. */
  private giveBackUse(ctx: ChangeContext, kind: 'deposit' | 'spend', amount: Money, countedAt: Date | null): void {
    const policy = ctx.limits;
    if (policy === undefined || countedAt === null) return;
    this.setState(ctx, { usage: giveBackUse(this.usageAt(policy, this.bookingTime(ctx)), kind, amount, policy.periodsAt(countedAt)) });
  }

  /** Checks that `amount` could be paid out (or held) now, without changing anything. */
  private assertCanPay(ctx: ChangeContext, amount: Money): void {
    this.assertMovable(amount);
    const available = this.availableAt(ctx.now);
    if (available.lessThan(amount)) {
      throw new InsufficientFundsError(this.id, available.format(), amount.format());
    }
  }

  /** Checks that `amount` could be received now, without changing anything (a batch of spends checks every target first). */
  assertCanReceive(amount: Money): void {
    this.assertMovable(amount);
  }

  /** Freezing a frozen wallet changes nothing and records nothing: the outcome is the same. */
  freeze(ctx: ChangeContext, reason: string | null = null): void {
    this.switchStatus(ctx, 'frozen', 'WalletFrozen', reason);
  }

  /** Unfreezing an active wallet changes nothing and records nothing. */
  unfreeze(ctx: ChangeContext, reason: string | null = null): void {
    this.switchStatus(ctx, 'active', 'WalletUnfrozen', reason);
  }

  private switchStatus(ctx: ChangeContext, status: 'active' | 'frozen', event: 'WalletFrozen' | 'WalletUnfrozen', reason: string | null): void {
    this.assertNotClosed();
    this.settleExpiredHolds(ctx);
    if (this.state.status === status) return;
    this.setState(ctx, { status });
    this.record(ctx, event, { userId: this.userId, reason });
  }

  /** Soft delete: the wallet and its history stay readable; only an empty wallet without active holds closes. */
  close(ctx: ChangeContext, reason: string | null = null): void {
    this.assertNotClosed();
    this.settleExpiredHolds(ctx);
    const held = this.heldAt(ctx.now);
    // An allowance counts until settled or past settleBy, even one spent to the last đồng: its till may still forward.
    if (!held.isZero() || this.activeAllowances.length > 0) throw new WalletHasHoldsError(this.id, held.format());
    if (!this.state.balance.isZero()) throw new WalletNotEmptyError(this.id, this.state.balance.format());
    this.setState(ctx, { status: 'closed', closedAt: ctx.now });
    this.record(ctx, 'WalletClosed', { userId: this.userId, reason });
  }

  /** Hands over what changed since loading and forgets it. */
  pullChanges(): WalletChanges {
    const { loadedVersion, transactions, events, parts } = this.changes.pull();
    if (parts.length === 0) return { wallet: this, loadedVersion, transactions, holds: NONE, allowances: NONE, events };
    const holds: Hold[] = [];
    const allowances: Allowance[] = [];
    for (const part of parts) {
      if (isAllowance(part)) allowances.push(part);
      else holds.push(part);
    }
    return { wallet: this, loadedVersion, transactions, holds, allowances, events };
  }

  /**
   * A hold this wallet was loaded with (its stored-active ones) that is still active. One that
   * ended before the wallet was loaded is not here: the facade answers for it from the stored hold.
   */
  private activeHold(holdId: string): Hold {
    const hold = this.holds.get(holdId);
    if (!hold) throw new HoldNotFoundError(holdId);
    if (hold.status !== 'active') throw new HoldNotActiveError(holdId, hold.status);
    return hold;
  }

  private move(ctx: ChangeContext, type: WalletTransactionType, amount: Money, details: MovementDetails, links: RowLinks): WalletTransaction {
    const balanceAfter = isCredit(type) ? this.state.balance.add(amount) : this.state.balance.subtract(amount);
    const at = this.bookingTime(ctx);
    const tx: WalletTransaction = {
      id: ctx.newId(),
      walletId: this.id,
      type,
      amount,
      balanceAfter,
      description: details.description ?? null,
      reference: details.reference ?? null,
      transferId: links.transferId ?? null,
      holdId: links.holdId ?? null,
      refundOf: links.refundOf ?? null,
      actor: ctx.actor ?? null,
      createdAt: at,
      occurredAt: links.occurredAt ?? at,
      allowanceId: links.allowanceId ?? null,
      allowanceSeq: links.allowanceSeq ?? null,
      pairedWith: links.pairedWith ?? null,
      metadata: links.metadata === undefined ? (ctx.metadata ?? null) : links.metadata,
    };
    const counted = ctx.limits === undefined ? undefined : COUNTED[type];
    this.setState(
      ctx,
      counted === undefined || ctx.limits === undefined
        ? { balance: balanceAfter }
        : { balance: balanceAfter, usage: addUse(this.usageAt(ctx.limits, this.bookingTime(ctx)), counted, amount) },
    );
    this.changes.append(tx);
    const payload: BalanceChanged['payload'] = {
      userId: this.userId,
      currency: this.currency.code,
      transactionId: tx.id,
      transactionType: type,
      amount: amount.format(),
      balanceAfter: balanceAfter.format(),
      transferId: tx.transferId,
      reference: tx.reference,
      holdId: tx.holdId,
      refundOf: tx.refundOf,
    };
    // Only on an allowance's rows: every other event keeps the payload it always had. Assigned,
    // not spread into the literal: a spread builds the object by a slower generic copy.
    if (tx.allowanceId !== null) {
      payload.allowanceId = tx.allowanceId;
      payload.allowanceSeq = tx.allowanceSeq;
    }
    if (tx.pairedWith !== null) payload.pairedWith = tx.pairedWith;
    if (tx.metadata !== null) payload.metadata = tx.metadata;
    this.record(ctx, 'BalanceChanged', payload);
    return tx;
  }

  private putHold(ctx: ChangeContext, hold: Hold): void {
    if (this.holds === NO_HOLDS) this.holds = new Map();
    this.holds.set(hold.id, hold);
    this.changes.touch(hold);
    this.setState(ctx, {});
  }

  private putAllowance(ctx: ChangeContext, allowance: Allowance): void {
    if (this.allowances === NO_ALLOWANCES) this.allowances = new Map();
    this.allowances.set(allowance.id, allowance);
    this.changes.touch(allowance);
    this.setState(ctx, {});
  }

  private allowancePayload(a: Allowance) {
    return { userId: this.userId, currency: this.currency.code, allowanceId: a.id, tillId: a.tillId, amount: a.amount.format() };
  }

  private holdPayload(hold: Hold) {
    return { userId: this.userId, currency: this.currency.code, holdId: hold.id, amount: hold.amount.format(), reference: hold.reference };
  }

  /** Two wallets a pair of rows may join: distinct, of one currency. */
  private assertPairWith(other: Wallet): void {
    if (this.id === other.id) throw new SameWalletError(this.id);
    if (this.currency.code !== other.currency.code) throw new CurrencyMismatchError(this.currency.code, other.currency.code);
  }

  /** Whether `amount` may move in or out of this wallet: open, not frozen, in its currency. */
  private assertMovable(amount: Money): void {
    this.assertNotClosed();
    if (this.state.status === 'frozen') throw new WalletFrozenError(this.id);
    if (amount.currency.code !== this.currency.code) throw new CurrencyMismatchError(this.currency.code, amount.currency.code);
  }

  private assertNotClosed(): void {
    if (this.state.status === 'closed') throw new WalletClosedError(this.id);
  }

  /** A new state, never a change of the old one: a store may keep the object `snapshot` gave it. */
  private setState(ctx: ChangeContext, patch: Partial<Pick<WalletState, 'balance' | 'status' | 'closedAt' | 'limits' | 'usage'>>): void {
    const s = this.state;
    // Written out, not spread: this runs on every change of every wallet.
    this.state = {
      id: s.id,
      userId: s.userId,
      currency: s.currency,
      balance: patch.balance ?? s.balance,
      status: patch.status ?? s.status,
      version: s.version + 1,
      createdAt: s.createdAt,
      updatedAt: this.bookingTime(ctx),
      closedAt: patch.closedAt === undefined ? s.closedAt : patch.closedAt,
      limits: patch.limits === undefined ? s.limits : patch.limits,
      usage: patch.usage ?? s.usage,
    };
  }

  /**
   * When a change of this wallet is booked: the command's time, but never before the wallet's
   * last change. A command takes its time before it waits for the wallet's lock, so one that
   * waited behind a later command would otherwise write a row dated before the row it follows;
   * it is booked at that row's instant instead (ledger order breaks the tie). So a wallet's
   * ledger is in time order, and a balance or a statement read by time agrees with balanceAfter.
   */
  private bookingTime(ctx: ChangeContext): Date {
    return ctx.now.getTime() < this.state.updatedAt.getTime() ? this.state.updatedAt : ctx.now;
  }

  private record<E extends WalletEvent>(ctx: ChangeContext, type: E['type'], payload: E['payload']): void {
    this.changes.record<E>(ctx, type, payload);
  }
}
