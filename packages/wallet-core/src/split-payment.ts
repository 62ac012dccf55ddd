/**
 * A split payment: money and points paid in one change, both or neither. Pure and synchronous,
 * like the aggregates it joins; the facade runs it in one unit of work, so a rule of either side
 * that fails leaves both as they were (nothing is saved).
 */
import type { ChangeContext } from './context.js';
import type { Money } from './money/money.js';
import type { PointTransaction } from './points/ledger.js';
import type { PointAccount } from './points/point-account.js';
import type { WalletTransaction } from './wallet/ledger.js';
import type { Wallet } from './wallet/wallet.js';

/** The source of a split payment's points row: what took the points, as an earn names what gave them. */
export const PAY_SOURCE = 'pay';

export interface SplitPayment {
  readonly payer: Wallet;
  /** The merchant's wallet: the money goes there as a transfer pair; without it, a `withdrawal`. */
  readonly to: Wallet | null;
  readonly amount: Money;
  /** The payer's owner's account and the points to spend from it; null when the payment has no points part. */
  readonly points: { readonly account: PointAccount; readonly points: number } | null;
  readonly reference: string;
  readonly description: string | null;
}

export interface SplitPaymentEntries {
  /** The payer's `withdrawal` or `transfer_out`. */
  readonly debit: WalletTransaction;
  /** The merchant's `transfer_in`, when paid to one. */
  readonly credit: WalletTransaction | null;
  readonly spend: PointTransaction | null;
}

/**
 * Pays `amount` and spends `points`: the two rows share the reference and name each other
 * (`pairedWith`). The points row's id is taken first, so that the money row can name it.
 */
export function payWithPoints(ctx: ChangeContext, payment: SplitPayment): SplitPaymentEntries {
  const { payer, to, amount, points, reference, description } = payment;
  const spendId = points === null ? null : ctx.newId();
  const details = { reference, description };
  const links = { pairedWith: spendId };
  const { debit, credit } =
    to === null ? { debit: payer.withdraw(ctx, amount, details, links), credit: null } : payer.transferTo(ctx, to, amount, details, links);
  if (points === null || spendId === null) return { debit, credit, spend: null };
  const spend = points.account.spend(ctx, { points: points.points, source: PAY_SOURCE, description, reference, pairedWith: debit.id, id: spendId });
  return { debit, credit, spend };
}
