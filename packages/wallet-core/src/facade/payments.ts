/**
 * Payments that touch more than one thing and what gives money back: a split payment (money and
 * points), a refund (payer and recipient) and a deposit's reversal (the deposit's row and its wallet).
 */
import { NO_LOCKS, runCommand, type CommandOptions, type Resolved } from '../command.js';
import type { WithMetadata } from '../metadata.js';
import type { ChangeContext } from '../context.js';
import { PointAccountNotFoundError, TransactionNotFoundError, WalletNotFoundError } from '../errors.js';
import type { PointAccount } from '../points/point-account.js';
import * as s from '../schemas.js';
import { payWithPoints, type SplitPaymentEntries } from '../split-payment.js';
import type { FoundWalletTransaction, UnitOfWork } from '../store.js';
import { parseInput } from '../validate.js';
import { pointAccountView, pointTransactionView, walletTransactionView, walletView } from '../views.js';
import type * as v from '../views.js';
// A namespace: the domain's reverseDeposit shares its name with this file's command, and neither is renamed.
import * as refunds from '../wallet/refund.js';
import type { Wallet } from '../wallet/wallet.js';
import { amountIn, type FacadeEnv } from './env.js';
import { visible } from './visible.js';

/**
 * The owner of the paying wallet is a fact of the wallet (it never changes): the resolve step
 * reads it, and the payment locks the wallets and the account together, so it batches like any command.
 */
export function pay(env: FacadeEnv, input: s.PayInput, options: CommandOptions): Promise<v.PayResult> {
  const cmd = parseInput(s.payInput, input);
  const walletIds = cmd.toWalletId === undefined ? [cmd.walletId] : [cmd.walletId, cmd.toWalletId];
  return runCommand(env, {
    name: 'pay',
    input: cmd,
    options,
    locks: payerOwner(cmd.walletId, walletIds, cmd.points !== undefined),
    run: async (uow, ctx, userId) => {
      const locked = await uow.lockWallets(walletIds);
      const payer = visible(locked.get(cmd.walletId), options.asUser, () => new WalletNotFoundError(cmd.walletId));
      const to = cmd.toWalletId === undefined ? null : visible(locked.get(cmd.toWalletId), undefined, () => new WalletNotFoundError(cmd.toWalletId as string));
      const spend = cmd.points === undefined ? null : { account: await payerAccount(uow, userId, payer), points: cmd.points };
      const amount = amountIn(env, cmd.amount, payer);
      const entries = payWithPoints(ctx, { payer, to, amount, points: spend, reference: cmd.reference, description: cmd.description ?? null });
      uow.save(payer.pullChanges());
      if (to) uow.save(to.pullChanges());
      if (spend) uow.save(spend.account.pullChanges());
      return paid(payer, spend?.account ?? null, entries, ctx.now);
    },
  });
}

/** A payment's answer: the payer's wallet and row, and the points side when points paid too. */
function paid(payer: Wallet, account: PointAccount | null, entries: SplitPaymentEntries, now: Date): v.PayResult {
  return {
    wallet: walletView(payer, now),
    transaction: walletTransactionView(entries.debit),
    account: account === null ? null : pointAccountView(account, now),
    pointTransaction: entries.spend === null ? null : pointTransactionView(entries.spend),
  };
}

/** The resolve step of a payment: the paying wallet's owner, whose points account is locked with the wallets when points pay too. */
function payerOwner(walletId: string, walletIds: readonly string[], withPoints: boolean): Resolved<string | null> {
  return {
    resolve: (facts) => facts.walletOwner(walletId),
    locks: (userId) => ({ wallets: [...walletIds], pointAccounts: userId === null || !withPoints ? [] : [userId] }),
  };
}

/** The payer's points account, locked; a payer without one has no points to pay with. */
async function payerAccount(uow: UnitOfWork, userId: string | null, payer: Wallet): Promise<PointAccount> {
  const found = userId === null ? null : await uow.lockPointAccount(userId);
  return visible(found, undefined, () => new PointAccountNotFoundError(payer.userId));
}

export function refund(env: FacadeEnv, input: s.RefundInput, options: CommandOptions): Promise<v.RefundResult> {
  const cmd = parseInput(s.refundInput, input);
  return giveBackCommand(env, 'refund', cmd, options, async (uow, ctx, found) => {
    const { transaction: original, counterpartWalletId: recipientId } = found;
    const locked = await uow.lockWallets(recipientId === null ? [original.walletId] : [original.walletId, recipientId]);
    const payer = visible(locked.get(original.walletId), options.asUser, () => new TransactionNotFoundError(cmd.transactionId));
    const recipient = recipientId === null ? null : visible(locked.get(recipientId), undefined, () => new WalletNotFoundError(recipientId));
    const amount = cmd.amount === undefined ? undefined : amountIn(env, cmd.amount, payer);
    const refundedSoFar = await uow.refundedAmount(original);
    const details = { description: cmd.reason, reference: cmd.reference };
    const { credit } = refunds.refundPayment(ctx, { original, refundedSoFar, payer, recipient, amount, details });
    uow.save(payer.pullChanges());
    if (recipient) uow.save(recipient.pullChanges());
    return { wallet: walletView(payer, ctx.now), transaction: walletTransactionView(credit) };
  });
}

/** An admin takes back a mistaken deposit; it counts against the deposit like a refund against its payment. */
export function reverseDeposit(env: FacadeEnv, input: s.ReverseDepositInput, options: CommandOptions): Promise<v.DepositReversalResult> {
  const cmd = parseInput(s.reverseDepositInput, input);
  return giveBackCommand(env, 'reverseDeposit', cmd, options, async (uow, ctx, found) => {
    const deposit = found.transaction;
    const locked = await uow.lockWallets([deposit.walletId]);
    const wallet = visible(locked.get(deposit.walletId), options.asUser, () => new TransactionNotFoundError(cmd.transactionId));
    const amount = cmd.amount === undefined ? undefined : amountIn(env, cmd.amount, wallet);
    const reversedSoFar = await uow.refundedAmount(deposit);
    const tx = refunds.reverseDeposit(ctx, { deposit, reversedSoFar, wallet, amount, details: { description: cmd.reason } });
    uow.save(wallet.pullChanges());
    return { wallet: walletView(wallet, ctx.now), transaction: walletTransactionView(tx) };
  });
}

/** A command giving back a money row (a refund, a deposit's reversal): `run` gets the row as `refundedRow` found and locked it, or the command is TRANSACTION_NOT_FOUND. */
function giveBackCommand<T>(
  env: FacadeEnv,
  name: string,
  cmd: { transactionId: string } & WithMetadata,
  options: CommandOptions,
  run: (uow: UnitOfWork, ctx: ChangeContext, found: FoundWalletTransaction) => Promise<T>,
): Promise<T> {
  return runCommand(env, {
    name,
    input: cmd,
    options,
    locks: refundedRow(cmd.transactionId),
    run: async (uow, ctx, found) => {
      if (!found) throw new TransactionNotFoundError(cmd.transactionId);
      return run(uow, ctx, found);
    },
  });
}

/**
 * The resolve step of a give-back (a refund, a deposit's reversal): the row given back and its
 * pair's other wallet, both locked (a deposit has no pair: its wallet alone), with what was given
 * back of it so far.
 */
function refundedRow(transactionId: string): Resolved<FoundWalletTransaction | null> {
  return {
    resolve: (facts) => facts.walletTransaction(transactionId),
    locks: (found) =>
      found === null
        ? NO_LOCKS
        : {
            wallets: found.counterpartWalletId === null ? [found.transaction.walletId] : [found.transaction.walletId, found.counterpartWalletId],
            pointAccounts: [],
            refundsOf: [found.transaction.id],
          },
  };
}
