/**
 * Payments that touch more than one thing and what gives money back: a split payment (money and
 * points), a refund (payer and recipient) and a deposit's reversal (the deposit's row and its wallet).
 */
import { NO_LOCKS, runCommand, type CommandOptions, type Resolved } from '../command.js';
import { commandMetadata } from '../metadata.js';
import { PointAccountNotFoundError, TransactionNotFoundError, WalletNotFoundError } from '../errors.js';
import type { PointAccount } from '../points/point-account.js';
import * as s from '../schemas.js';
import { payWithPoints } from '../split-payment.js';
import type { FoundWalletTransaction } from '../store.js';
import { parseInput } from '../validate.js';
import { pointAccountView, pointTransactionView, walletTransactionView, walletView } from '../views.js';
import type * as v from '../views.js';
// A namespace: the domain's reverseDeposit shares its name with this file's command, and neither is renamed.
import * as refunds from '../wallet/refund.js';
import { amountIn, type FacadeEnv } from './env.js';
import { visible } from './visible.js';

/**
 * The owner of the paying wallet is a fact of the wallet (it never changes): the resolve step
 * reads it, and the payment locks the wallets and the account together, so it batches like any command.
 */
export function pay(env: FacadeEnv, input: s.PayInput, options: CommandOptions): Promise<v.PayResult> {
  const cmd = parseInput(s.payInput, input);
  const points = cmd.points;
  const walletIds = cmd.toWalletId === undefined ? [cmd.walletId] : [cmd.walletId, cmd.toWalletId];
  const owner: Resolved<string | null> = {
    resolve: (facts) => facts.walletOwner(cmd.walletId),
    locks: (userId) => ({ wallets: walletIds, pointAccounts: userId === null || points === undefined ? [] : [userId] }),
  };
  return runCommand(env, {
    name: 'pay',
    input: cmd,
    metadata: commandMetadata(cmd.metadata),
    options,
    locks: owner,
    run: async (uow, ctx, userId) => {
      const locked = await uow.lockWallets(walletIds);
      const payer = visible(locked.get(cmd.walletId), options.asUser, () => new WalletNotFoundError(cmd.walletId));
      const to = cmd.toWalletId === undefined ? null : visible(locked.get(cmd.toWalletId), undefined, () => new WalletNotFoundError(cmd.toWalletId as string));
      let spend: { account: PointAccount; points: number } | null = null;
      if (points !== undefined) {
        const found = userId === null ? null : await uow.lockPointAccount(userId);
        spend = { account: visible(found, undefined, () => new PointAccountNotFoundError(payer.userId)), points };
      }
      const amount = amountIn(env, cmd.amount, payer);
      const entries = payWithPoints(ctx, { payer, to, amount, points: spend, reference: cmd.reference, description: cmd.description ?? null });
      uow.save(payer.pullChanges());
      if (to) uow.save(to.pullChanges());
      if (spend) uow.save(spend.account.pullChanges());
      return {
        wallet: walletView(payer, ctx.now),
        transaction: walletTransactionView(entries.debit),
        account: spend === null ? null : pointAccountView(spend.account, ctx.now),
        pointTransaction: entries.spend === null ? null : pointTransactionView(entries.spend),
      };
    },
  });
}

export function refund(env: FacadeEnv, input: s.RefundInput, options: CommandOptions): Promise<v.RefundResult> {
  const cmd = parseInput(s.refundInput, input);
  return runCommand(env, {
    name: 'refund',
    input: cmd,
    metadata: commandMetadata(cmd.metadata),
    options,
    locks: refundedRow(cmd.transactionId),
    run: async (uow, ctx, found) => {
      if (!found) throw new TransactionNotFoundError(cmd.transactionId);
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
    },
  });
}

/** An admin takes back a mistaken deposit; it counts against the deposit like a refund against its payment. */
export function reverseDeposit(env: FacadeEnv, input: s.ReverseDepositInput, options: CommandOptions): Promise<v.DepositReversalResult> {
  const cmd = parseInput(s.reverseDepositInput, input);
  return runCommand(env, {
    name: 'reverseDeposit',
    input: cmd,
    metadata: commandMetadata(cmd.metadata),
    options,
    locks: reversedRow(cmd.transactionId),
    run: async (uow, ctx, found) => {
      if (!found) throw new TransactionNotFoundError(cmd.transactionId);
      const deposit = found.transaction;
      const locked = await uow.lockWallets([deposit.walletId]);
      const wallet = visible(locked.get(deposit.walletId), options.asUser, () => new TransactionNotFoundError(cmd.transactionId));
      const amount = cmd.amount === undefined ? undefined : amountIn(env, cmd.amount, wallet);
      const reversedSoFar = await uow.refundedAmount(deposit);
      const tx = refunds.reverseDeposit(ctx, { deposit, reversedSoFar, wallet, amount, details: { description: cmd.reason } });
      uow.save(wallet.pullChanges());
      return { wallet: walletView(wallet, ctx.now), transaction: walletTransactionView(tx) };
    },
  });
}

/** The resolve step of a refund: the row refunded and its pair's other wallet, both locked. */
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

/** The resolve step of a deposit's reversal: the row named, its wallet locked (one wallet: a deposit has no counterpart). */
function reversedRow(transactionId: string): Resolved<FoundWalletTransaction | null> {
  return {
    resolve: (facts) => facts.walletTransaction(transactionId),
    locks: (found) => (found === null ? NO_LOCKS : { wallets: [found.transaction.walletId], pointAccounts: [], refundsOf: [found.transaction.id] }),
  };
}
