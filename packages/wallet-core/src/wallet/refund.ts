import type { ChangeContext } from '../context.js';
import { NotRefundableError, RefundExceedsOriginalError } from '../errors.js';
import type { Money } from '../money/money.js';
import type { WalletTransaction, WalletTransactionType } from './ledger.js';
import type { MovementDetails, RefundEntries, Wallet } from './wallet.js';

/** The ledger rows a refund can give money back for: payments out of a wallet. */
export const REFUNDABLE_TRANSACTION_TYPES: readonly WalletTransactionType[] = ['withdrawal', 'transfer_out'];

export interface RefundInput {
  /** The payment being refunded: a `withdrawal` (a capture's included) or a `transfer_out`. */
  readonly original: WalletTransaction;
  /** What earlier refunds of `original` already gave back. */
  readonly refundedSoFar: Money;
  /** The wallet that paid: `original`'s wallet, locked. */
  readonly payer: Wallet;
  /** For a transfer, the wallet that received it, locked; the money comes back from it. */
  readonly recipient: Wallet | null;
  /** Default: all that is left to refund. */
  readonly amount?: Money | undefined;
  readonly details?: MovementDetails | undefined;
}

/** Throws NOT_REFUNDABLE unless the row is a payment that can be refunded. */
export function assertRefundable(original: WalletTransaction): void {
  if (!REFUNDABLE_TRANSACTION_TYPES.includes(original.type)) {
    throw new NotRefundableError(original.id, `A ${original.type} cannot be refunded; only a withdrawal, a capture or a transfer can`);
  }
}

/**
 * Gives back all or part of a payment. All refunds of one payment never exceed it. A transfer's
 * refund takes the money back from the recipient's available balance (INSUFFICIENT_FUNDS when it
 * is gone): see `Wallet.takeRefund`. Every rule is checked before any change.
 */
export function refundPayment(ctx: ChangeContext, input: RefundInput): RefundEntries {
  const { original, payer, recipient } = input;
  assertRefundable(original);
  const left = original.amount.subtract(input.refundedSoFar);
  const amount = input.amount ?? left;
  if (left.isZero() || left.lessThan(amount)) throw new RefundExceedsOriginalError(original.id, left.format(), amount.format());
  return payer.takeRefund(ctx, amount, original.id, recipient, input.details);
}
