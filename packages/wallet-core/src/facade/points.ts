/** Commands on point accounts: each locks one user's account (expiry: every account with lots due). */
import { NO_LOCKS, runCommand, type CommandOptions, type Resolved } from '../command.js';
import type { WithMetadata } from '../metadata.js';
import type { ChangeContext } from '../context.js';
import { NotRefundableError, PointAccountNotFoundError, TransactionNotFoundError } from '../errors.js';
import type { PointTransaction } from '../points/ledger.js';
import { PointAccount } from '../points/point-account.js';
import * as s from '../schemas.js';
import type { LockedPointTransaction, UnitOfWork } from '../store.js';
import { assertNotFuture, isoTimes, parseInput, type WithTimes } from '../validate.js';
import { pointAccountView, pointTransactionView } from '../views.js';
import type * as v from '../views.js';
import type { FacadeEnv } from './env.js';
import { visible } from './visible.js';

export function earnPoints(env: FacadeEnv, input: WithTimes<s.EarnPointsInput, 'expiresAt'>, options: CommandOptions): Promise<v.PointsResult> {
  const cmd = parseInput(s.earnPointsInput, isoTimes(input, 'expiresAt'));
  const expiresAt = cmd.expiresAt === undefined ? null : new Date(cmd.expiresAt);
  return pointsCommand(env, 'earnPoints', cmd, options, 'open', (account, ctx) => account.earn(ctx, { ...cmd, expiresAt }));
}

export function spendPoints(env: FacadeEnv, input: s.SpendPointsInput, options: CommandOptions): Promise<v.PointsResult> {
  const cmd = parseInput(s.spendPointsInput, input);
  return pointsCommand(env, 'spendPoints', cmd, options, 'existing', (account, ctx) => account.spend(ctx, cmd));
}

export function adjustPoints(env: FacadeEnv, input: s.AdjustPointsInput, options: CommandOptions): Promise<v.PointsResult> {
  const cmd = parseInput(s.adjustPointsInput, input);
  return pointsCommand(env, 'adjustPoints', cmd, options, 'open', (account, ctx) => account.adjust(ctx, cmd));
}

/** Confirms or cancels a pending earn, named by its `pending` row, whose id is its lot's. */
export function settlePending(env: FacadeEnv, op: 'confirm' | 'cancel', input: s.PendingPointsInput, options: CommandOptions): Promise<v.PointsResult> {
  const cmd = parseInput(s.pendingPointsInput, input);
  const lotOwner: Resolved<string | null> = {
    resolve: (facts) => facts.lotOwner(cmd.transactionId),
    locks: (userId) => ({ wallets: [], pointAccounts: userId === null ? [] : [userId] }),
  };
  return runCommand(env, {
    name: `${op}PendingPoints`,
    input: cmd,
    options,
    locks: lotOwner,
    run: async (uow, ctx, userId) => {
      const found = userId === null ? null : await uow.lockPointAccount(userId);
      const account = visible(found, options.asUser, () => new TransactionNotFoundError(cmd.transactionId));
      return saved(uow, ctx, account, account[op](ctx, cmd.transactionId));
    },
  });
}

export function expirePoints(env: FacadeEnv, input: WithTimes<s.ExpirePointsInput, 'asOf'>, options: CommandOptions): Promise<v.ExpireResult> {
  const cmd = parseInput(s.expirePointsInput, isoTimes(input, 'asOf'));
  const asOfAt = (now: Date) => (cmd.asOf === undefined ? now : new Date(cmd.asOf));
  return runCommand(env, {
    name: 'expirePoints',
    input: cmd,
    options,
    locks: dueAccounts(env, asOfAt),
    run: async (uow, ctx, users) => {
      const asOf = asOfAt(ctx.now);
      assertNotFuture('asOf', asOf, ctx.now);
      let expiredPoints = 0;
      let accounts = 0;
      for (const userId of users) {
        const txs = await expireAccount(uow, ctx, userId, asOf);
        if (txs.length === 0) continue;
        accounts += 1;
        for (const tx of txs) expiredPoints -= tx.points;
      }
      return { expiredPoints, accounts };
    },
  });
}

/** The resolve step of an expiry run: the accounts with lots due, found by a scan before the locks (a future asOf finds none). */
function dueAccounts(env: FacadeEnv, asOfAt: (now: Date) => Date): Resolved<readonly string[]> {
  return {
    resolve: async (facts) => {
      const now = env.clock();
      const asOf = asOfAt(now);
      return asOf.getTime() > now.getTime() ? [] : [...new Set(await facts.usersWithDueLots(asOf))].sort();
    },
    locks: (users) => ({ wallets: [], pointAccounts: users }),
  };
}

/** Expires what is due on one account, decided under its lock, and saves it; the expiry rows (none: nothing was due). */
async function expireAccount(uow: UnitOfWork, ctx: ChangeContext, userId: string, asOf: Date): Promise<readonly PointTransaction[]> {
  const account = await uow.lockPointAccount(userId);
  const txs = account?.expire(ctx, asOf) ?? [];
  if (account && txs.length > 0) uow.save(account.pullChanges());
  return txs;
}

export function refundPoints(env: FacadeEnv, input: s.RefundPointsInput, options: CommandOptions): Promise<v.PointsRefundResult> {
  const cmd = parseInput(s.refundPointsInput, input);
  return pointTransactionCommand(env, 'refundPoints', cmd, options, (ctx, { account, transaction: spend, lots }) => {
    if (spend.type === 'spend' && lots.length === 0) {
      throw new NotRefundableError(cmd.transactionId, 'This spend was recorded before the ledger kept which lots a spend took');
    }
    const { transaction, expiredPoints } = account.refundSpend(ctx, { spend, lots, points: cmd.points, reason: cmd.reason });
    return { transaction, expiredPoints };
  });
}

export function reversePoints(env: FacadeEnv, input: s.ReversePointsInput, options: CommandOptions): Promise<v.PointsReversalResult> {
  const cmd = parseInput(s.reversePointsInput, input);
  return pointTransactionCommand(env, 'reversePoints', cmd, options, (ctx, { account, transaction: credit, lots }) => {
    const [lot] = lots;
    if ((credit.type === 'earn' || credit.type === 'confirm') && lot === undefined) {
      throw new NotRefundableError(cmd.transactionId, 'This credit was recorded before the ledger linked credits to their lots');
    }
    const claim = lot ?? { lotId: credit.id, points: 0, claimedBack: 0 };
    const { transaction, shortfall } = account.reverseCredit(ctx, { credit, lot: claim, points: cmd.points, reason: cmd.reason });
    return { transaction, shortfall };
  });
}

/** The account after a command and its ledger row, the account's changes handed to the store. */
function saved(uow: UnitOfWork, ctx: ChangeContext, account: PointAccount, tx: PointTransaction): v.PointsResult {
  uow.save(account.pullChanges());
  return { account: pointAccountView(account, ctx.now), transaction: pointTransactionView(tx) };
}

/**
 * A command on one user's point account that writes one ledger row. `open`: a user without an
 * account gets one (a credit); `existing`: POINT_ACCOUNT_NOT_FOUND.
 */
function pointsCommand(
  env: FacadeEnv,
  name: string,
  cmd: { userId: string } & WithMetadata,
  options: CommandOptions,
  account: 'open' | 'existing',
  apply: (account: PointAccount, ctx: ChangeContext) => PointTransaction,
): Promise<v.PointsResult> {
  return runCommand(env, {
    name,
    input: cmd,
    options,
    locks: { wallets: [], pointAccounts: [cmd.userId] },
    run: async (uow, ctx) => {
      const found = await uow.lockPointAccount(cmd.userId);
      const locked =
        account === 'open' ? (found ?? PointAccount.open(ctx, cmd.userId)) : visible(found, undefined, () => new PointAccountNotFoundError(cmd.userId));
      return saved(uow, ctx, locked, apply(locked, ctx));
    },
  });
}

/**
 * A command on a points row (a refund, a reversal): the resolve step finds the row's owner, whose
 * account is locked loaded with the row's lots and claims; someone else's row reads as none.
 */
function pointTransactionCommand<T extends { transaction: PointTransaction }>(
  env: FacadeEnv,
  name: string,
  cmd: { transactionId: string } & WithMetadata,
  options: CommandOptions,
  apply: (ctx: ChangeContext, found: LockedPointTransaction) => T,
): Promise<Omit<T, 'transaction'> & v.PointsResult> {
  const owner: Resolved<string | null> = {
    resolve: (facts) => facts.pointTransactionOwner(cmd.transactionId),
    locks: (userId) => (userId === null ? NO_LOCKS : { wallets: [], pointAccounts: [userId], pointTransactions: [cmd.transactionId] }),
  };
  return runCommand(env, {
    name,
    input: cmd,
    options,
    locks: owner,
    run: async (uow, ctx, userId) => {
      const locked = userId === null ? null : await uow.lockPointAccountByTransaction(cmd.transactionId);
      const found = visible(locked && { ...locked, userId: locked.account.userId }, options.asUser, () => new TransactionNotFoundError(cmd.transactionId));
      const { transaction, ...rest } = apply(ctx, found);
      return { ...saved(uow, ctx, found.account, transaction), ...rest };
    },
  });
}
