/**
 * The wallet ledger's vocabulary: its row types and the row itself. Events, schemas and stores
 * read it from here, beneath the aggregate, so none of them imports the aggregate for a type.
 */
import type { Actor } from '../context.js';
import type { Metadata } from '../metadata.js';
import type { Money } from '../money/money.js';

/** Every ledger row type; the TypeScript union, the zod enum and the SQL check derive from it. */
export const WALLET_TRANSACTION_TYPES = ['deposit', 'withdrawal', 'transfer_in', 'transfer_out', 'refund_in', 'refund_out', 'deposit_reversal'] as const;
export type WalletTransactionType = (typeof WALLET_TRANSACTION_TYPES)[number];

/** The row types that add to a balance; every other type takes from it. */
export const CREDIT_TRANSACTION_TYPES: readonly WalletTransactionType[] = ['deposit', 'transfer_in', 'refund_in'];

/**
 * The row types that give back part of the row their `refundOf` names, and so count against what
 * is left of it: a payment's `refund_in`, a deposit's `deposit_reversal`. (A transfer refund's
 * `refund_out` is the recipient's half of the same give-back, not a second one.)
 */
export const GIVE_BACK_TRANSACTION_TYPES: readonly WalletTransactionType[] = ['refund_in', 'deposit_reversal'];

export function isCredit(type: WalletTransactionType): boolean {
  return CREDIT_TRANSACTION_TYPES.includes(type);
}

/** A row's own fields with its amounts written out: what the chain covers, and the start of its view (`walletTransactionView` writes the same fields first, in this order). */
export function ledgerRowText(t: WalletTransaction) {
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
  };
}

/** One append-only ledger row: every balance change has exactly one. */
export interface WalletTransaction {
  readonly id: string;
  readonly walletId: string;
  readonly type: WalletTransactionType;
  readonly amount: Money;
  readonly balanceAfter: Money;
  readonly description: string | null;
  readonly reference: string | null;
  /** Shared by the two rows of a transfer (and of a transfer's refund). */
  readonly transferId: string | null;
  /** The hold a capture took this money from. */
  readonly holdId: string | null;
  /** The row this one gives money back for (a refund), or takes back (a deposit's reversal). */
  readonly refundOf: string | null;
  readonly actor: Actor | null;
  readonly createdAt: Date;
  /** Business time: the till's clock for a sale made offline, else `createdAt`. */
  readonly occurredAt: Date;
  /** The allowance a till's offline sale was spent from, with the till's seq of that sale. */
  readonly allowanceId: string | null;
  readonly allowanceSeq: number | null;
  /** The points row paid together with this one (a split payment's `spend`), and it names this row back. */
  readonly pairedWith: string | null;
  /** The labels of the command that wrote it (for a capture, the hold's when the capture named none). */
  readonly metadata: Metadata | null;
}
