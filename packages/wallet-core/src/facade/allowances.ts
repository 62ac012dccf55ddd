/**
 * Commands on offline allowances. An allowance's wallet is a fact of the allowance (it never
 * changes): the resolve step reads the allowance as stored, and the command locks its wallet.
 */
import type { z } from 'zod';
import { NO_LOCKS, runCommand, type CommandOptions, type DeclaredLocks, type Resolved } from '../command.js';
import { commandMetadata } from '../metadata.js';
import { AllowanceNotActiveError, AllowanceNotFoundError } from '../errors.js';
import * as s from '../schemas.js';
import { deadline, isoTimes, parseInput } from '../validate.js';
import { allowanceView, type AllowanceSyncResult } from '../views.js';
import type * as v from '../views.js';
import { MAX_ALLOWANCE_TTL_MS, allowanceStatusAt, type Allowance, type AllowanceSpend } from '../wallet/allowance.js';
import { syncAllowance } from '../wallet/allowance-sync.js';
import type { Wallet } from '../wallet/wallet.js';
import { amountIn, type FacadeEnv } from './env.js';
import { lockWallet, visible } from './visible.js';

export function openAllowance(env: FacadeEnv, input: s.OpenAllowanceInput, options: CommandOptions): Promise<v.AllowanceView> {
  const cmd = parseInput(s.openAllowanceInput, isoTimes(input, 'spendUntil'));
  return runCommand(env, {
    name: 'openAllowance',
    input: cmd,
    options,
    locks: { wallets: [cmd.walletId], pointAccounts: [] },
    run: async (uow, ctx) => {
      const spendUntil = deadline('spendUntil', cmd.spendUntil, ctx.now, env.allowanceTtlMs, MAX_ALLOWANCE_TTL_MS);
      const wallet = await lockWallet(uow, cmd.walletId, options.asUser);
      const allowance = wallet.openAllowance(ctx, {
        tillId: cmd.tillId,
        amount: amountIn(env, cmd.amount, wallet),
        spendUntil,
        settleBy: new Date(spendUntil.getTime() + env.allowanceSyncGraceMs),
        maxSpendAmount: cmd.maxSpendAmount === undefined ? null : amountIn(env, cmd.maxSpendAmount, wallet),
        maxSpends: cmd.maxSpends ?? null,
      });
      uow.save(wallet.pullChanges());
      return allowanceView(allowance, ctx.now);
    },
  });
}

/** The command behind `WalletService.syncAllowance` (the name of the domain function it runs). */
export function syncSpends(env: FacadeEnv, input: s.SyncAllowanceInput, options: CommandOptions): Promise<AllowanceSyncResult> {
  const cmd = parseInput(s.syncAllowanceInput, isoSpendTimes(input));
  const merchants = [...new Set(cmd.spends.flatMap((spend) => (spend.toWalletId === undefined ? [] : [spend.toWalletId])))];
  return runCommand(env, {
    name: 'syncAllowance',
    input: cmd,
    options,
    locks: syncedAllowance(cmd.allowanceId, merchants, cmd.spends),
    run: async (uow, ctx, resolved) => {
      const locked = await uow.lockWallets(resolved === null ? [] : [resolved.walletId, ...merchants]);
      const { wallet: payer, found } = lockedAllowanceWallet(locked, cmd.allowanceId, resolved, ctx.now, options.asUser);
      const spends = spendsOf(env, cmd.spends, payer);
      const { lastSeq } = payer.activeAllowance(ctx, found.id);
      const seen = spends.filter((spend) => spend.seq <= lastSeq).map((spend) => spend.seq);
      const booked = seen.length === 0 ? new Map() : await uow.bookedSpends(found.id, seen);
      const result = syncAllowance(ctx, payer, found.id, spends, locked, booked);
      for (const wallet of locked.values()) uow.save(wallet.pullChanges());
      return { allowance: allowanceView(result.allowance, ctx.now), results: [...result.results] };
    },
  });
}

/**
 * The resolve step of a sync: the allowance as stored, its wallet and the merchants' locked. The
 * sync joins a batch with every seq it names, so that a retry compares with what was booked under the lock.
 */
function syncedAllowance(allowanceId: string, merchants: readonly string[], spends: readonly { seq: number }[]): Resolved<Allowance | null> {
  const seqs = spends.map((spend) => spend.seq);
  return allowanceWallet(allowanceId, (found) => ({
    wallets: [found.walletId, ...merchants],
    pointAccounts: [],
    bookedSpends: [{ allowanceId: found.id, seqs }],
  }));
}

/** A sync's spends as the domain takes them: amounts in the payer's currency, in seq order. */
function spendsOf(env: FacadeEnv, spends: z.output<typeof s.syncAllowanceInput>['spends'], payer: Wallet): AllowanceSpend[] {
  return spends
    .map((spend) => ({
      seq: spend.seq,
      amount: amountIn(env, spend.amount, payer),
      occurredAt: new Date(spend.occurredAt),
      reference: spend.reference ?? null,
      description: spend.description ?? null,
      toWalletId: spend.toWalletId ?? null,
      metadata: commandMetadata(spend.metadata),
    }))
    .sort((a, b) => a.seq - b.seq);
}

export function settleAllowance(env: FacadeEnv, input: s.SettleAllowanceInput, options: CommandOptions): Promise<v.AllowanceView> {
  const cmd = parseInput(s.settleAllowanceInput, input);
  return runCommand(env, {
    name: 'settleAllowance',
    input: cmd,
    options,
    locks: allowanceWallet(cmd.allowanceId, (found) => ({ wallets: [found.walletId], pointAccounts: [] })),
    run: async (uow, ctx, resolved) => {
      const locked = await uow.lockWallets(resolved === null ? [] : [resolved.walletId]);
      const { wallet } = lockedAllowanceWallet(locked, cmd.allowanceId, resolved, ctx.now, options.asUser);
      const settled = wallet.settleAllowance(ctx, cmd.allowanceId, cmd.lastSeq);
      uow.save(wallet.pullChanges());
      return allowanceView(settled, ctx.now);
    },
  });
}

/** `isoTimes` for each spend of a sync. */
function isoSpendTimes(input: unknown): unknown {
  if (input === null || typeof input !== 'object') return input;
  const spends = (input as { spends?: unknown }).spends;
  return Array.isArray(spends) ? { ...input, spends: spends.map((spend) => isoTimes(spend, 'occurredAt')) } : input;
}

/** The resolve step of a command on an allowance: the allowance as stored, for its wallet, which `locks` names. */
function allowanceWallet(allowanceId: string, locks: (found: Allowance) => DeclaredLocks): Resolved<Allowance | null> {
  return { resolve: (facts) => facts.allowance(allowanceId), locks: (found) => (found === null ? NO_LOCKS : locks(found)) };
}

/**
 * The locked wallet of an allowance the resolve step found. A wallet loads its stored-active
 * allowances only: one it lacks ended meanwhile, by settle unless `settleBy` has passed.
 */
function lockedAllowanceWallet(
  locked: ReadonlyMap<string, Wallet>,
  allowanceId: string,
  found: Allowance | null,
  now: Date,
  asUser: string | undefined,
): { wallet: Wallet; found: Allowance } {
  const wallet = visible(found === null ? undefined : locked.get(found.walletId), asUser, () => new AllowanceNotFoundError(allowanceId));
  if (!found) throw new AllowanceNotFoundError(allowanceId);
  if (!wallet.allowance(found.id)) {
    const status = allowanceStatusAt(found, now);
    throw new AllowanceNotActiveError(found.id, status === 'active' ? 'settled' : status);
  }
  return { wallet, found };
}
