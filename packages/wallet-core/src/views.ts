/**
 * The plain, JSON-ready shapes that the facade returns and the HTTP API sends: amounts as
 * strings with the currency's digits, times as ISO 8601 UTC strings. Stored as-is for
 * idempotent replays, so a replay answers byte for byte what the first call answered.
 */
import type { Actor } from './context.js';
import type { PointAccount, PointTransaction, PointTransactionType } from './points/point-account.js';
import { holdStatusAt, type Hold, type HoldStatus } from './wallet/hold.js';
import type { Wallet, WalletStatus, WalletTransaction, WalletTransactionType } from './wallet/wallet.js';

export interface WalletView {
  id: string;
  userId: string;
  currency: string;
  balance: string;
  heldAmount: string;
  availableBalance: string;
  status: WalletStatus;
  version: number;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
}

export interface WalletTransactionView {
  id: string;
  walletId: string;
  type: WalletTransactionType;
  amount: string;
  balanceAfter: string;
  description: string | null;
  reference: string | null;
  transferId: string | null;
  holdId: string | null;
  refundOf: string | null;
  actor: Actor | null;
  createdAt: string;
}

export interface HoldView {
  id: string;
  walletId: string;
  amount: string;
  capturedAmount: string;
  status: HoldStatus;
  reference: string | null;
  description: string | null;
  expiresAt: string;
  createdAt: string;
  updatedAt: string;
}

export interface PointAccountView {
  id: string;
  userId: string;
  totalPoints: number;
  availablePoints: number;
  pendingPoints: number;
  createdAt: string;
  updatedAt: string;
}

export interface PointTransactionView {
  id: string;
  accountId: string;
  type: PointTransactionType;
  points: number;
  balanceAfter: number;
  source: string;
  description: string | null;
  expiresAt: string | null;
  refundOf: string | null;
  actor: Actor | null;
  createdAt: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** The wallet as a reader sees it at `now`: holds past their expiry no longer count. */
export function walletView(w: Wallet, now: Date): WalletView {
  return {
    id: w.id,
    userId: w.userId,
    currency: w.currency.code,
    balance: w.balance.format(),
    heldAmount: w.heldAt(now).format(),
    availableBalance: w.availableAt(now).format(),
    status: w.status,
    version: w.version,
    createdAt: w.createdAt.toISOString(),
    updatedAt: w.updatedAt.toISOString(),
    closedAt: w.closedAt?.toISOString() ?? null,
  };
}

export function walletTransactionView(t: WalletTransaction): WalletTransactionView {
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
    createdAt: t.createdAt.toISOString(),
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
    actor: t.actor,
    createdAt: t.createdAt.toISOString(),
  };
}
