/**
 * The plain, JSON-ready shapes that the facade returns and the HTTP API sends: amounts as
 * strings with the currency's digits, times as ISO 8601 UTC strings. Stored as-is for
 * idempotent replays, so a replay answers byte for byte what the first call answered.
 */
import type { PointAccount, PointAccountState, PointTransaction, PointTransactionType } from './points/point-account.js';
import type { Wallet, WalletStatus, WalletTransaction, WalletTransactionType } from './wallet/wallet.js';

export interface WalletView {
  id: string;
  userId: string;
  currency: string;
  balance: string;
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
  createdAt: string;
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
  createdAt: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export function walletView(w: Wallet): WalletView {
  return {
    id: w.id,
    userId: w.userId,
    currency: w.currency.code,
    balance: w.balance.format(),
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
    createdAt: t.createdAt.toISOString(),
  };
}

export function pointAccountView(a: PointAccount | PointAccountState): PointAccountView {
  return {
    id: a.id,
    userId: a.userId,
    totalPoints: a.totalPoints,
    availablePoints: a.availablePoints,
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
    createdAt: t.createdAt.toISOString(),
  };
}
