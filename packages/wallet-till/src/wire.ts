/** What the wallet service answers for the routes a till uses (the "Offline till" part of the API). */

export const ALLOWANCE_STATUSES = ['active', 'settled', 'expired'] as const;
export type AllowanceStatus = (typeof ALLOWANCE_STATUSES)[number];

export interface Allowance {
  id: string;
  walletId: string;
  tillId: string;
  amount: string;
  spentAmount: string;
  spendCount: number;
  lastSeq: number;
  status: AllowanceStatus;
  spendUntil: string;
  settleBy: string;
  maxSpendAmount: string | null;
  maxSpends: number | null;
  createdAt: string;
  updatedAt: string;
}

/** One sale as the sync route takes it. */
export interface SpendLine {
  seq: number;
  amount: string;
  occurredAt: string;
  reference?: string;
  description?: string;
  toWalletId?: string;
  metadata?: Readonly<Record<string, string>>;
}

export interface SyncAnswer {
  allowance: Allowance;
  results: { seq: number; status: 'booked' | 'replayed'; transactionId: string }[];
}

export interface WalletAnswer {
  id: string;
  currency: string;
  status: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
