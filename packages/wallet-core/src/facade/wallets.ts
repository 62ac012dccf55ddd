/** Commands on one wallet, or two of one currency (a transfer). */
import { NO_LOCKS, runCommand, type CommandOptions } from '../command.js';
import type { WithMetadata } from '../metadata.js';
import type { ChangeContext } from '../context.js';
import { WalletNotFoundError } from '../errors.js';
import { currencyOf } from '../money/currency.js';
import * as s from '../schemas.js';
import { parseInput } from '../validate.js';
import { walletLimitsView, walletTransactionView, walletView } from '../views.js';
import type * as v from '../views.js';
import { parseLimits } from '../wallet/limits.js';
import { Wallet } from '../wallet/wallet.js';
import { amountIn, type FacadeEnv } from './env.js';
import { lockWallet, visible } from './visible.js';

export function createWallet(env: FacadeEnv, defaultCurrency: string, input: s.CreateWalletInput, options: CommandOptions): Promise<v.WalletView> {
  const cmd = parseInput(s.createWalletInput, input);
  const currency = currencyOf(cmd.currency ?? defaultCurrency);
  return runCommand(env, {
    name: 'createWallet',
    input: { ...cmd, currency: currency.code },
    options,
    // It only inserts; the (user, currency) pair is checked before the write.
    locks: { ...NO_LOCKS, newWallets: [{ userId: cmd.userId, currency: currency.code }] },
    run: async (uow, ctx) => {
      const wallet = Wallet.open(ctx, { userId: cmd.userId, currency });
      uow.save(wallet.pullChanges());
      return walletView(wallet, ctx.now);
    },
  });
}

/** A deposit or a withdrawal: one wallet, one ledger row. */
export function movement(env: FacadeEnv, op: 'deposit' | 'withdraw', input: s.DepositInput, options: CommandOptions): Promise<v.MovementResult> {
  const cmd = parseInput(op === 'deposit' ? s.depositInput : s.withdrawInput, input);
  return walletCommand(env, op, cmd, options, (wallet, ctx) => {
    const tx = wallet[op](ctx, amountIn(env, cmd.amount, wallet), cmd);
    return { wallet: walletView(wallet, ctx.now), transaction: walletTransactionView(tx) };
  });
}

export function transfer(env: FacadeEnv, input: s.TransferInput, options: CommandOptions): Promise<v.TransferResult> {
  const cmd = parseInput(s.transferInput, input);
  return runCommand(env, {
    name: 'transfer',
    input: cmd,
    options,
    locks: { wallets: [cmd.fromWalletId, cmd.toWalletId], pointAccounts: [] },
    run: async (uow, ctx) => {
      const locked = await uow.lockWallets([cmd.fromWalletId, cmd.toWalletId]);
      const from = visible(locked.get(cmd.fromWalletId), options.asUser, () => new WalletNotFoundError(cmd.fromWalletId));
      const to = visible(locked.get(cmd.toWalletId), undefined, () => new WalletNotFoundError(cmd.toWalletId));
      const { transferId, debit } = from.transferTo(ctx, to, amountIn(env, cmd.amount, from), cmd);
      uow.save(from.pullChanges());
      uow.save(to.pullChanges());
      return { transferId, wallet: walletView(from, ctx.now), transaction: walletTransactionView(debit) };
    },
  });
}

/** Freezes, unfreezes or closes a wallet. */
export function changeStatus(env: FacadeEnv, op: 'freeze' | 'unfreeze' | 'close', input: s.WalletStatusInput, options: CommandOptions): Promise<v.WalletView> {
  const cmd = parseInput(s.walletStatusInput, input);
  return walletCommand(env, op, cmd, options, (wallet, ctx) => {
    wallet[op](ctx, cmd.reason ?? null);
    return walletView(wallet, ctx.now);
  });
}

/**
 * Sets a wallet's own limits: the fields given override its currency's defaults; none at all
 * stores null, so the wallet follows the defaults again (and any later change of them).
 */
export function setLimits(env: FacadeEnv, input: s.SetLimitsInput, options: CommandOptions): Promise<v.WalletLimitsView> {
  const cmd = parseInput(s.setLimitsInput, input);
  return walletCommand(env, 'setLimits', cmd, options, (wallet, ctx) => {
    const own = parseLimits({ maxBalance: cmd.maxBalance, daily: cmd.daily, monthly: cmd.monthly }, wallet.currency);
    wallet.setLimits(ctx, own.maxBalance || own.daily || own.monthly ? own : null);
    return walletLimitsView(wallet, env.limits, ctx.now);
  });
}

/** A command on one wallet the caller may see: locked, changed by `apply` (which answers), its changes saved. */
export function walletCommand<T>(
  env: FacadeEnv,
  name: string,
  cmd: { walletId: string } & WithMetadata,
  options: CommandOptions,
  apply: (wallet: Wallet, ctx: ChangeContext) => T,
): Promise<T> {
  return runCommand(env, {
    name,
    input: cmd,
    options,
    locks: { wallets: [cmd.walletId], pointAccounts: [] },
    run: async (uow, ctx) => {
      const wallet = await lockWallet(uow, cmd.walletId, options.asUser);
      const answer = apply(wallet, ctx);
      uow.save(wallet.pullChanges());
      return answer;
    },
  });
}
