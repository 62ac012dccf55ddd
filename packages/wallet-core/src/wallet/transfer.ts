import type { ChangeContext } from '../context.js';
import { CurrencyMismatchError, SameWalletError } from '../errors.js';
import type { Money } from '../money/money.js';
import type { WalletTransaction } from './ledger.js';
import type { MovementDetails, Wallet } from './wallet.js';

export interface TransferEntries {
  readonly transferId: string;
  readonly debit: WalletTransaction;
  readonly credit: WalletTransaction;
}

/**
 * Moves `amount` between two wallets of one currency: every rule of both sides is checked
 * before either side changes, so a rejected transfer leaves both aggregates as they were.
 */
export function transfer(ctx: ChangeContext, from: Wallet, to: Wallet, amount: Money, details: MovementDetails = {}): TransferEntries {
  if (from.id === to.id) throw new SameWalletError(from.id);
  if (from.currency.code !== to.currency.code) throw new CurrencyMismatchError(from.currency.code, to.currency.code);
  from.assertCanPay(ctx, amount);
  to.assertCanReceive(amount);
  const transferId = ctx.newId();
  const debit = from.transferOut(ctx, amount, transferId, details);
  const credit = to.transferIn(ctx, amount, transferId, details);
  return { transferId, debit, credit };
}
