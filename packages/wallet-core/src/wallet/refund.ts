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
  const amount = withinWhatIsLeft(original, input.refundedSoFar, input.amount);
  return payer.takeRefund(ctx, amount, original.id, recipient, input.details, original.createdAt);
}

export interface DepositReversalInput {
  /** The deposit being taken back. */
  readonly deposit: WalletTransaction;
  /** What earlier reversals of `deposit` already took. */
  readonly reversedSoFar: Money;
  /** The wallet the deposit went to, locked. */
  readonly wallet: Wallet;
  /** Default: all that is left of the deposit. */
  readonly amount?: Money | undefined;
  readonly details?: MovementDetails | undefined;
}

/**
 * Takes back all or part of a mistaken deposit as a `deposit_reversal` naming it in `refundOf`.
 * All reversals of one deposit never exceed it, and none takes more than is available: money
 * already spent or held stays where it went (see `Wallet.reverseDeposit`).
 */
export function reverseDeposit(ctx: ChangeContext, input: DepositReversalInput): WalletTransaction {
  const { deposit } = input;
  if (deposit.type !== 'deposit') throw new NotRefundableError(deposit.id, `A ${deposit.type} cannot be reversed; only a deposit can`);
  const amount = withinWhatIsLeft(deposit, input.reversedSoFar, input.amount);
  return input.wallet.reverseDeposit(ctx, amount, deposit.id, input.details, deposit.createdAt);
}

/** The amount asked (default: all that is left of `original`), or REFUND_EXCEEDS_ORIGINAL with what is left. */
function withinWhatIsLeft(original: WalletTransaction, givenBack: Money, asked: Money | undefined): Money {
  const left = original.amount.subtract(givenBack);
  const amount = asked ?? left;
  if (left.isZero() || left.lessThan(amount)) throw new RefundExceedsOriginalError(original.id, left.format(), amount.format());
  return amount;
}
