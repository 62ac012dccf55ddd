/**
 * The plain, JSON-ready shapes that the facade returns and the HTTP API sends: amounts as
 * strings with the currency's digits, times as ISO 8601 UTC strings. Stored as-is for
 * idempotent replays, so a replay answers byte for byte what the first call answered.
 */
import type { z } from 'zod';
import { Money } from './money/money.js';
import type { PointTransaction } from './points/ledger.js';
import type { PointAccount } from './points/point-account.js';
import type * as s from './schemas.js';
import { allowanceStatusAt, type Allowance } from './wallet/allowance.js';
import { holdStatusAt, type Hold } from './wallet/hold.js';
import type { StatementFigures } from './store.js';
import { WALLET_TRANSACTION_TYPES, type WalletTransaction, type WalletTransactionType } from './wallet/ledger.js';
import type { Wallet } from './wallet/wallet.js';
import { formatLimits, type LimitPolicy } from './wallet/limits.js';

// Each view is its response schema's output: the schema that documents and (in tests) checks the
// HTTP answer is the one type the facade returns.
export type WalletView = z.output<typeof s.walletResource>;
export type WalletTransactionView = z.output<typeof s.walletTransactionResource>;
export type HoldView = z.output<typeof s.holdResource>;
export type AllowanceView = z.output<typeof s.allowanceResource>;
export type PointAccountView = z.output<typeof s.pointAccountResource>;
export type PointTransactionView = z.output<typeof s.pointTransactionResource>;

export type WalletLimitsView = z.output<typeof s.walletLimitsResource>;
export type MovementResult = z.output<typeof s.movementResult>;
/** The source side only: the target wallet's balance is not disclosed. */
export type TransferResult = z.output<typeof s.transferResult>;
export type PointsResult = z.output<typeof s.pointsResult>;
export type ExpireResult = z.output<typeof s.expireResult>;
/** A split payment: the payer's side of the money and the owner's points spend (null without points). */
export type PayResult = z.output<typeof s.payResult>;

/** The allowance after the sync, and per spend (in seq order) whether it was booked now or before. */
export type AllowanceSyncResult = z.output<typeof s.allowanceSyncResult>;

/** A page of the event feed. */
export type EventPage = z.output<typeof s.eventPage>;

/** The payer's side: its wallet after the capture and its `withdrawal`, or the `transfer_out` of the pair when captured into another wallet. */
export type CaptureResult = z.output<typeof s.captureResult>;
export type VoidResult = z.output<typeof s.voidResult>;
/** The payer's side: its wallet and its `refund_in` row. */
export type RefundResult = z.output<typeof s.refundResult>;
export type DepositReversalResult = z.output<typeof s.depositReversalResult>;
/** `expiredPoints`: points of lots already expired, counted as refunded, not returned. */
export type PointsRefundResult = z.output<typeof s.pointsRefundResult>;
/** `shortfall`: points already spent or expired, counted as reversed, not clawed back now: owed, paid first from points a refund later gives back to the lot. */
export type PointsReversalResult = z.output<typeof s.pointsReversalResult>;
/** A wallet's balance at an instant, from its ledger. */
export type BalanceAtView = z.output<typeof s.balanceAtResource>;
/** A wallet's statement for a period: opening and closing balances, and per type the sum of the period's rows. */
export type StatementView = z.output<typeof s.statementResource>;
export type BalanceSummary = z.output<typeof s.balanceSummary>;

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

const ISO_TIMES = new Map<number, string>();

/**
 * `d.toISOString()`, remembered for the last few hundred instants: a command's views write its
 * own instant several times (the wallet's `updatedAt`, its rows' `createdAt`) and each wallet's
 * `createdAt` on every command, and one `toISOString` costs more than the rest of a view.
 */
function iso(d: Date): string {
  const t = d.getTime();
  let text = ISO_TIMES.get(t);
  if (text === undefined) {
    text = d.toISOString(); // throws for an invalid date, as before: NaN is never kept
    if (ISO_TIMES.size >= 512) ISO_TIMES.clear();
    ISO_TIMES.set(t, text);
  }
  return text;
}

/** The wallet as a reader sees it at `now`: holds past their expiry no longer count. */
export function walletView(w: Wallet, now: Date): WalletView {
  const held = w.heldAt(now);
  const balance = w.balance.format();
  return {
    id: w.id,
    userId: w.userId,
    currency: w.currency.code,
    balance,
    heldAmount: held.format(),
    // Most wallets hold nothing: their available balance is their balance, already written.
    availableBalance: held.isZero() ? balance : w.balance.subtract(held).format(),
    status: w.status,
    version: w.version,
    createdAt: iso(w.createdAt),
    updatedAt: iso(w.updatedAt),
    closedAt: w.closedAt?.toISOString() ?? null,
  };
}

export function walletTransactionView(t: WalletTransaction): WalletTransactionView {
  // One literal, `ledgerRowText`'s fields first in its order: a spread of it was copied slowly on
  // every call (a fifth of the memory path's CPU), and an Object.assign onto it still built two objects.
  return {
    id: t.id,
    walletId: t.walletId,
    type: t.type,
    amount: t.amount.format(),
    balanceAfter: t.balanceAfter.format(),
    description: t.description,
    reference: t.reference,
    transferId: t.transferId,
    holdId: t.holdId,
    refundOf: t.refundOf,
    actor: t.actor,
    createdAt: iso(t.createdAt),
    occurredAt: iso(t.occurredAt),
    allowanceId: t.allowanceId,
    allowanceSeq: t.allowanceSeq,
    pairedWith: t.pairedWith,
    metadata: t.metadata,
  };
}

/** The allowance as a reader sees it at `now`: an active allowance past `settleBy` reads as expired. */
export function allowanceView(a: Allowance, now: Date): AllowanceView {
  return {
    id: a.id,
    walletId: a.walletId,
    tillId: a.tillId,
    amount: a.amount.format(),
    spentAmount: a.spentAmount.format(),
    spendCount: a.spendCount,
    lastSeq: a.lastSeq,
    status: allowanceStatusAt(a, now),
    spendUntil: a.spendUntil.toISOString(),
    settleBy: a.settleBy.toISOString(),
    maxSpendAmount: a.maxSpendAmount?.format() ?? null,
    maxSpends: a.maxSpends,
    createdAt: a.createdAt.toISOString(),
    updatedAt: a.updatedAt.toISOString(),
    metadata: a.metadata,
  };
}

/** The hold as a reader sees it at `now`: an active hold past its expiry reads as expired. */
export function holdView(h: Hold, now: Date): HoldView {
  return {
    id: h.id,
    walletId: h.walletId,
    amount: h.amount.format(),
    capturedAmount: h.capturedAmount.format(),
    status: holdStatusAt(h, now),
    reference: h.reference,
    description: h.description,
    expiresAt: h.expiresAt.toISOString(),
    createdAt: h.createdAt.toISOString(),
    updatedAt: h.updatedAt.toISOString(),
    metadata: h.metadata,
  };
}

/** The account as a reader sees it at `now`: lots past their expiry never count, swept or not. */
export function pointAccountView(a: PointAccount, now: Date): PointAccountView {
  return {
    id: a.id,
    userId: a.userId,
    totalPoints: a.totalPoints,
    availablePoints: a.availableAt(now),
    pendingPoints: a.pendingPoints,
    createdAt: a.createdAt.toISOString(),
    updatedAt: a.updatedAt.toISOString(),
  };
}

export function pointTransactionView(t: PointTransaction): PointTransactionView {
  return {
    id: t.id,
    accountId: t.accountId,
    type: t.type,
    points: t.points,
    balanceAfter: t.balanceAfter,
    source: t.source,
    description: t.description,
    expiresAt: t.expiresAt?.toISOString() ?? null,
    refundOf: t.refundOf,
    reference: t.reference,
    pairedWith: t.pairedWith,
    actor: t.actor,
    createdAt: t.createdAt.toISOString(),
    metadata: t.metadata,
  };
}

/** A statement of [`from`, `to`): every transaction type has a total, zero when the period has none of it. */
export function statementView(w: Wallet, from: Date, to: Date, figures: StatementFigures): StatementView {
  const zero = Money.zero(w.currency);
  const totals = Object.fromEntries(WALLET_TRANSACTION_TYPES.map((type) => [type, (figures.totals.get(type) ?? zero).format()]));
  return {
    walletId: w.id,
    currency: w.currency.code,
    from: from.toISOString(),
    to: to.toISOString(),
    openingBalance: figures.opening.format(),
    closingBalance: figures.closing.format(),
    totals: totals as Record<WalletTransactionType, string>,
    count: figures.count,
  };
}

/** A wallet's limits in force at `now` and what it used of each period `now` falls in. */
export function walletLimitsView(wallet: Wallet, policy: LimitPolicy, now: Date): WalletLimitsView {
  const limits = policy.limitsOf(wallet.currency, wallet.ownLimits);
  const usage = wallet.usageAt(policy, now);
  const figure = (limit: Money | undefined, used: Money) => ({ limit: limit?.format() ?? null, used: used.format() });
  return {
    walletId: wallet.id,
    currency: wallet.currency.code,
    timeZone: policy.timeZone,
    own: wallet.ownLimits === null ? null : formatLimits(wallet.ownLimits),
    maxBalance: figure(limits.maxBalance, wallet.balance),
    daily: { period: usage.day, deposit: figure(limits.daily?.deposit, usage.dayDeposit), spend: figure(limits.daily?.spend, usage.daySpend) },
    monthly: {
      period: usage.month,
      deposit: figure(limits.monthly?.deposit, usage.monthDeposit),
      spend: figure(limits.monthly?.spend, usage.monthSpend),
    },
  };
}
