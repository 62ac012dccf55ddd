import type { ChangeContext } from '../context.js';
import { CurrencyMismatchError, SameWalletError, WalletNotFoundError } from '../errors.js';
import { assertSpendable, sortOutSpends, type Allowance, type AllowanceSpend, type BookedSpend } from './allowance.js';
import type { Wallet } from './wallet.js';

export interface SpendResult {
  readonly seq: number;
  readonly status: 'booked' | 'replayed';
  /** The payer's row: its `withdrawal`, or the `transfer_out` of the pair. */
  readonly transactionId: string;
}

export interface SyncEntries {
  readonly allowance: Allowance;
  /** One per spend of the sync, in seq order. */
  readonly results: readonly SpendResult[];
}

/**
 * Books the spends a till forwarded for one allowance of `payer`, in seq order: each one a
 * capture of the allowance (a `withdrawal`, or a transfer pair into its `toWalletId`, one of
 * `merchants`). Spends already booked are answered `replayed` when they match what was booked.
 * Every rule is checked for every spend before anything changes: the sync is booked whole or not
 * at all. `booked` holds what was booked under the seqs of `spends` up to the allowance's `lastSeq`.
 */
export function syncAllowance(
  ctx: ChangeContext,
  payer: Wallet,
  allowanceId: string,
  spends: readonly AllowanceSpend[],
  merchants: ReadonlyMap<string, Wallet>,
  booked: ReadonlyMap<number, BookedSpend>,
): SyncEntries {
  const allowance = payer.activeAllowance(ctx, allowanceId);
  const { replayed, fresh } = sortOutSpends(allowance, spends, booked);
  assertSpendable(allowance, fresh);
  const targets = fresh.map((spend) => {
    if (spend.toWalletId === null) return null;
    if (spend.toWalletId === payer.id) throw new SameWalletError(payer.id);
    const to = merchants.get(spend.toWalletId);
    if (to === undefined) throw new WalletNotFoundError(spend.toWalletId);
    if (to.currency.code !== payer.currency.code) throw new CurrencyMismatchError(payer.currency.code, to.currency.code);
    to.assertCanReceive(spend.amount);
    return to;
  });
  const results: SpendResult[] = replayed.map((r) => ({ ...r, status: 'replayed' }));
  fresh.forEach((spend, i) => {
    const { debit } = payer.spendAllowance(ctx, allowanceId, spend, targets[i] ?? null);
    results.push({ seq: spend.seq, status: 'booked', transactionId: debit.id });
  });
  return { allowance: payer.activeAllowance(ctx, allowanceId), results };
}
