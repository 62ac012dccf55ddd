import type { ChangeContext } from '../context.js';
import { CurrencyMismatchError, SameWalletError } from '../errors.js';
import type { Money } from '../money/money.js';
import type { Hold } from './hold.js';
import type { WalletTransaction } from './ledger.js';
import type { Wallet } from './wallet.js';

export interface CaptureEntries {
  readonly hold: Hold;
  /** The payer's row: a `withdrawal`, or the `transfer_out` of a pair. */
  readonly debit: WalletTransaction;
  /** The `transfer_in` of the target wallet, when captured into one. */
  readonly credit: WalletTransaction | null;
  readonly transferId: string | null;
}

/**
 * Captures a hold of `from`, all of it or `amount`, once. Without a target the money leaves as a
 * `withdrawal`; with `to` it becomes a transfer pair. Every rule of both sides is checked before
 * either side changes, so a rejected capture leaves both aggregates' balances as they were.
 */
export function captureHold(
  ctx: ChangeContext,
  from: Wallet,
  holdId: string,
  amount: Money | undefined,
  to: Wallet | null,
  details: { description?: string | null | undefined } = {},
): CaptureEntries {
  if (to === null) {
    const { hold, transaction } = from.captureHold(ctx, holdId, amount, details);
    return { hold, debit: transaction, credit: null, transferId: null };
  }
  if (from.id === to.id) throw new SameWalletError(from.id);
  if (from.currency.code !== to.currency.code) throw new CurrencyMismatchError(from.currency.code, to.currency.code);
  const checked = from.assertCanCapture(ctx, holdId, amount);
  to.assertCanReceive(checked.amount);
  const transferId = ctx.newId();
  const { hold, transaction } = from.captureHold(ctx, holdId, checked.amount, { ...details, transferId, toWalletId: to.id });
  const credit = to.transferIn(
    ctx,
    checked.amount,
    transferId,
    { description: transaction.description, reference: transaction.reference },
    { holdId: hold.id },
  );
  return { hold, debit: transaction, credit, transferId };
}
