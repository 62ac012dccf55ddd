/**
 * Commands on holds. A hold's wallet is a fact of the hold (it never changes): the resolve step
 * reads the hold as stored, and the command locks its wallet like any other.
 */
import { runCommand, type CommandOptions, type Resolved } from '../command.js';
import type { WithMetadata } from '../metadata.js';
import type { ChangeContext } from '../context.js';
import { HoldNotActiveError, HoldNotFoundError, InternalError, WalletError, WalletNotFoundError } from '../errors.js';
import * as s from '../schemas.js';
import type { UnitOfWork } from '../store.js';
import { isoTimes, parseInput } from '../validate.js';
import { holdView, walletTransactionView, walletView } from '../views.js';
import type * as v from '../views.js';
import type { Hold } from '../wallet/hold.js';
import { amountIn, type FacadeEnv } from './env.js';
import { visible } from './visible.js';
import { walletCommand } from './wallets.js';

export function placeHold(env: FacadeEnv, input: s.PlaceHoldInput, options: CommandOptions): Promise<v.HoldView> {
  const cmd = parseInput(s.placeHoldInput, isoTimes(input, 'expiresAt'));
  return walletCommand(env, 'placeHold', cmd, options, (wallet, ctx) => {
    const expiresAt = cmd.expiresAt === undefined ? new Date(ctx.now.getTime() + env.holdTtlMs) : new Date(cmd.expiresAt);
    return holdView(wallet.placeHold(ctx, amountIn(env, cmd.amount, wallet), { ...cmd, expiresAt }), ctx.now);
  });
}

export function captureHold(env: FacadeEnv, input: s.CaptureHoldInput, options: CommandOptions): Promise<v.CaptureResult> {
  const cmd = parseInput(s.captureHoldInput, input);
  return holdCommand(env, 'captureHold', cmd, options, async (uow, ctx, found) => {
    const { wallet, others } = await lockHoldWallet(uow, cmd.holdId, found, cmd.toWalletId, options.asUser);
    const to = cmd.toWalletId === undefined ? null : visible(others.get(cmd.toWalletId), undefined, () => new WalletNotFoundError(cmd.toWalletId as string));
    const amount = cmd.amount === undefined ? undefined : amountIn(env, cmd.amount, wallet);
    const { hold, debit } = wallet.captureHold(ctx, cmd.holdId, amount, { description: cmd.description, to });
    uow.save(wallet.pullChanges());
    if (to !== null) uow.save(to.pullChanges());
    return { hold: holdView(hold, ctx.now), wallet: walletView(wallet, ctx.now), transaction: walletTransactionView(debit) };
  });
}

export function incrementHold(env: FacadeEnv, input: s.IncrementHoldInput, options: CommandOptions): Promise<v.HoldView> {
  const cmd = parseInput(s.incrementHoldInput, input);
  return holdCommand(env, 'incrementHold', cmd, options, async (uow, ctx, found) => {
    const { wallet } = await lockHoldWallet(uow, cmd.holdId, found, undefined, options.asUser);
    const hold = wallet.incrementHold(ctx, cmd.holdId, amountIn(env, cmd.amount, wallet));
    uow.save(wallet.pullChanges());
    return holdView(hold, ctx.now);
  });
}

export function voidHold(env: FacadeEnv, input: s.VoidHoldInput, options: CommandOptions): Promise<v.VoidResult> {
  const cmd = parseInput(s.voidHoldInput, input);
  return holdCommand(env, 'voidHold', cmd, options, async (uow, ctx, found) => {
    const { wallet } = await lockHoldWallet(uow, cmd.holdId, found, undefined, options.asUser);
    const hold = wallet.voidHold(ctx, cmd.holdId, cmd.reason ?? null);
    uow.save(wallet.pullChanges());
    return { hold: holdView(hold, ctx.now), wallet: walletView(wallet, ctx.now) };
  });
}

/**
 * A command on a hold (`cmd.holdId`, and `cmd.toWalletId` locked with its wallet when given).
 * When the hold ended between the resolve step and the lock, the unit failed having changed
 * nothing; its final status is read then, outside it (captured, voided and expired never change
 * again), so HOLD_NOT_ACTIVE always says how the hold ended.
 */
async function holdCommand<I extends { holdId: string; toWalletId?: string | undefined } & WithMetadata, T>(
  env: FacadeEnv,
  name: string,
  cmd: I,
  options: CommandOptions,
  run: (uow: UnitOfWork, ctx: ChangeContext, found: Hold | null) => Promise<T>,
): Promise<T> {
  const locks: Resolved<Hold | null> = {
    resolve: (facts) => facts.hold(cmd.holdId),
    locks: (found) => ({ wallets: found === null ? [] : walletsOf(found, cmd.toWalletId), pointAccounts: [] }),
  };
  try {
    return await runCommand(env, { name, input: cmd, options, locks, run });
  } catch (e) {
    if (!(e instanceof HoldEndedMeanwhile)) throw e;
    const hold = await env.store.getHold(cmd.holdId);
    if (hold === null || hold.status === 'active')
      throw new InternalError(`Hold ${cmd.holdId} left its wallet's active holds but is stored ${hold?.status ?? 'nowhere'}`);
    throw new HoldNotActiveError(cmd.holdId, hold.status);
  }
}

const walletsOf = (found: Hold, otherId: string | undefined): string[] => (otherId === undefined ? [found.walletId] : [found.walletId, otherId]);

/**
 * Locks the wallet of a hold (and `otherId` with it, in the one lock order of lockWallets), as
 * the resolve step found it. A wallet loads its stored-active holds only: one it lacks had
 * ended, and its stored status says how (final once not active), unless it ended between the
 * resolve step's read and the lock (`HoldEndedMeanwhile`, answered by `holdCommand`).
 */
async function lockHoldWallet(uow: UnitOfWork, holdId: string, found: Hold | null, otherId: string | undefined, asUser: string | undefined) {
  if (found === null) throw new HoldNotFoundError(holdId);
  const others = await uow.lockWallets(walletsOf(found, otherId));
  const wallet = visible(others.get(found.walletId), asUser, () => new HoldNotFoundError(holdId));
  if (wallet.hold(holdId) === undefined) {
    if (found.status === 'active') throw new HoldEndedMeanwhile(holdId);
    throw new HoldNotActiveError(holdId, found.status);
  }
  return { wallet, others };
}

/**
 * A hold stored active when the resolve step read it, gone from its wallet once locked: a command
 * ended it in between. The unit fails (changing nothing; a wallet error, so every store hands it
 * back as the unit's own answer) and `holdCommand` answers HOLD_NOT_ACTIVE with how it ended.
 */
class HoldEndedMeanwhile extends WalletError {
  static override readonly code = 'HOLD_NOT_ACTIVE';
  constructor(readonly holdId: string) {
    super(`Hold ${holdId} ended while the command waited for its wallet`);
  }
}
