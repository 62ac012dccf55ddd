/**
 * An offline allowance: money of a wallet set aside for one till, which the till spends from its
 * own database while the network is down and forwards later. It is a hold that is captured many
 * times (each forwarded sale, in `seq` order), never past its amount, and that keeps reserving what
 * is left until `settleBy`: sales made before `spendUntil` and forwarded late are still covered.
 */
import { AllowanceExceededError, AllowanceSeqConflictError, AllowanceSeqGapError } from '../errors.js';
import { sameMetadata, type Metadata } from '../metadata.js';
import type { Money } from '../money/money.js';
import { DAY_MS } from '../validate.js';
import type { WalletTransaction } from './ledger.js';

/** The longest a till may sell offline from one allowance: a shift or a few, not a credit line. */
export const MAX_ALLOWANCE_TTL_MS = 7 * DAY_MS;
/** How long a till may sell from an allowance opened without `spendUntil`, unless the service is configured otherwise. */
export const DEFAULT_ALLOWANCE_TTL_MS = DAY_MS;
/** The longest an allowance may stay reserved after `spendUntil` for sales forwarded late. */
export const MAX_ALLOWANCE_SYNC_GRACE_MS = 30 * DAY_MS;
/** How long after `spendUntil` an allowance stays reserved, unless the service is configured otherwise. */
export const DEFAULT_ALLOWANCE_SYNC_GRACE_MS = 3 * DAY_MS;

/** Every status an allowance can have; the TypeScript union, the zod enum and the SQL check derive from it. */
export const ALLOWANCE_STATUSES = ['active', 'settled', 'expired'] as const;
export type AllowanceStatus = (typeof ALLOWANCE_STATUSES)[number];

export interface Allowance {
  readonly id: string;
  readonly walletId: string;
  readonly tillId: string;
  readonly amount: Money;
  /** The sum of the spends booked so far. */
  readonly spentAmount: Money;
  readonly spendCount: number;
  /** The `seq` of the last spend booked; 0 before the first. Seqs run 1, 2, 3 … without a gap, so it equals `spendCount`. */
  readonly lastSeq: number;
  /** The largest spend booked so far: kept so that the database can check `maxSpendAmount` on this row alone. */
  readonly largestSpend: Money;
  /** As stored: an `active` allowance past `settleBy` may not have been marked `expired` yet. */
  readonly status: AllowanceStatus;
  /** When the till must stop selling. */
  readonly spendUntil: Date;
  /** When what is left stops being reserved: `spendUntil` plus the grace for forwarding. */
  readonly settleBy: Date;
  readonly maxSpendAmount: Money | null;
  readonly maxSpends: number | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /** The labels of the command that opened it; a spend that carries none writes these on its rows. */
  readonly metadata: Metadata | null;
}

/** What an allowance is opened with, checked by the facade (times) and the wallet (money). */
export interface AllowanceTerms {
  readonly tillId: string;
  readonly amount: Money;
  readonly spendUntil: Date;
  readonly settleBy: Date;
  readonly maxSpendAmount: Money | null;
  readonly maxSpends: number | null;
}

/**
 * Whether an allowance reserves money at `now`: active and not past `settleBy`. Like a hold's
 * expiry, decided when read: at `settleBy` what is left is released, whether or not anything has
 * marked the allowance expired since.
 */
export function allowanceCounts(allowance: Allowance, now: Date): boolean {
  return allowance.status === 'active' && allowance.settleBy.getTime() > now.getTime();
}

/** The status a reader sees at `now`: an active allowance past `settleBy` reads as `expired`. */
export function allowanceStatusAt(allowance: Allowance, now: Date): AllowanceStatus {
  return allowance.status === 'active' && !allowanceCounts(allowance, now) ? 'expired' : allowance.status;
}

/** What an allowance still reserves: its amount less what was spent. */
export function allowanceLeft(allowance: Allowance): Money {
  return allowance.amount.subtract(allowance.spentAmount);
}

/** One sale made at a till against an allowance, as the till forwards it. */
export interface AllowanceSpend {
  readonly seq: number;
  readonly amount: Money;
  /** The till's clock: business time, kept on the ledger row. */
  readonly occurredAt: Date;
  readonly reference: string | null;
  readonly description: string | null;
  /** The merchant's wallet when the sale is a transfer; null for a withdrawal. */
  readonly toWalletId: string | null;
  /** The sale's own labels; null: the allowance's. */
  readonly metadata: Metadata | null;
}

/** A spend as it was booked: the payer's ledger row and where the money went. */
export interface BookedSpend {
  readonly transaction: WalletTransaction;
  readonly toWalletId: string | null;
}

/** A payer's row of an allowance's spend (not the merchant's credit): what the unique key on (allowance, seq) covers. */
export function isAllowanceSpend(t: WalletTransaction): t is WalletTransaction & { allowanceId: string; allowanceSeq: number } {
  return t.allowanceId !== null && t.allowanceSeq !== null && (t.type === 'withdrawal' || t.type === 'transfer_out');
}

/** Whether a forwarded spend is the one booked under its seq: same amount, instant, texts and target. */
export function isSameSpend(booked: BookedSpend, spend: AllowanceSpend, allowance: Pick<Allowance, 'metadata'>): boolean {
  const row = booked.transaction;
  return (
    row.amount.equals(spend.amount) &&
    row.occurredAt.getTime() === spend.occurredAt.getTime() &&
    row.reference === spend.reference &&
    row.description === spend.description &&
    booked.toWalletId === spend.toWalletId &&
    sameMetadata(row.metadata, spendMetadata(spend, allowance))
  );
}

/** What a spend's rows carry: its own metadata, else the allowance's (fixed when it was opened, so a replay compares alike). */
export function spendMetadata(spend: AllowanceSpend, allowance: Pick<Allowance, 'metadata'>): Metadata | null {
  return spend.metadata ?? allowance.metadata;
}

/**
 * Checks that `fresh` (spends not booked yet, in seq order) may all be booked on `allowance`: they
 * continue its seqs without a gap, and together they stay within its amount and caps. Throws the
 * first rule broken; books nothing.
 */
export function assertSpendable(allowance: Allowance, fresh: readonly AllowanceSpend[]): void {
  let expected = allowance.lastSeq + 1;
  let total = allowance.spentAmount;
  for (const spend of fresh) {
    if (spend.seq !== expected) throw new AllowanceSeqGapError(allowance.id, expected, spend.seq);
    expected += 1;
    total = total.add(spend.amount);
    if (allowance.maxSpendAmount !== null && allowance.maxSpendAmount.lessThan(spend.amount)) {
      throw new AllowanceExceededError(allowance.id, 'maxSpendAmount', allowance.maxSpendAmount.format(), spend.amount.format());
    }
  }
  if (allowance.amount.lessThan(total)) throw new AllowanceExceededError(allowance.id, 'amount', allowance.amount.format(), total.format());
  const count = allowance.spendCount + fresh.length;
  if (allowance.maxSpends !== null && count > allowance.maxSpends) {
    throw new AllowanceExceededError(allowance.id, 'maxSpends', String(allowance.maxSpends), String(count));
  }
}

/**
 * Splits a sync's spends (in seq order) into those already booked, which must match what was
 * booked, and the fresh ones after `lastSeq`. A seq booked with other content is a till restored
 * from an old copy of its database: ALLOWANCE_SEQ_CONFLICT, and nothing of the sync is booked.
 */
export function sortOutSpends(
  allowance: Allowance,
  spends: readonly AllowanceSpend[],
  booked: ReadonlyMap<number, BookedSpend>,
): { replayed: { seq: number; transactionId: string }[]; fresh: AllowanceSpend[] } {
  const replayed: { seq: number; transactionId: string }[] = [];
  const fresh: AllowanceSpend[] = [];
  for (const spend of spends) {
    if (spend.seq > allowance.lastSeq) {
      fresh.push(spend);
      continue;
    }
    const row = booked.get(spend.seq);
    if (row === undefined || !isSameSpend(row, spend, allowance)) throw new AllowanceSeqConflictError(allowance.id, spend.seq, allowance.lastSeq);
    replayed.push({ seq: spend.seq, transactionId: row.transaction.id });
  }
  return { replayed, fresh };
}
