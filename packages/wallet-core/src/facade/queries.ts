/** The facade's reads: validate, check the caller may see it, read the store, answer with views. */
import { commandMetadata } from '../metadata.js';
import type { QueryOptions } from '../command.js';
import { decodeWalletCursor, encodeWalletCursor } from '../cursor.js';
import { AllowanceNotFoundError, HoldNotFoundError, WalletNotFoundError } from '../errors.js';
import { eventEnvelope } from '../event-schemas.js';
import type { ReconcileOptions, ReconciliationReport } from '../reconciliation.js';
import type { Positioned } from '../store.js';
import * as s from '../schemas.js';
import { assertNotFuture, assertPeriod, assertPeriodWithin, isoTimes, parseInput } from '../validate.js';
import {
  allowanceView,
  holdView,
  pointAccountView,
  pointTransactionView,
  statementView,
  walletLimitsView,
  walletTransactionView,
  walletView,
  type Page,
} from '../views.js';
import type * as v from '../views.js';
import type { FacadeEnv } from './env.js';
import { assertCursorRow, page, positionCursor, readCursor } from './paging.js';
import { visible, visibleAccount, visibleWallet } from './visible.js';

export async function getWallet(env: FacadeEnv, input: s.WalletIdInput, options: QueryOptions): Promise<v.WalletView> {
  const { walletId } = parseInput(s.walletIdInput, input);
  const now = env.clock();
  // visibleWallet's rule, without its await: the hot read's one wait is the store's.
  return walletView(
    visible(await env.store.getWallet(walletId, now), options.asUser, () => new WalletNotFoundError(walletId)),
    now,
  );
}

/** A wallet's limits in force and what it used of each in the day and month `now` falls in. */
export async function getLimits(env: FacadeEnv, input: s.WalletIdInput, options: QueryOptions): Promise<v.WalletLimitsView> {
  const { walletId } = parseInput(s.walletIdInput, input);
  const now = env.clock();
  return walletLimitsView(await visibleWallet(env, walletId, options.asUser, undefined, now), env.limits, now);
}

export async function listWallets(env: FacadeEnv, input: s.UserIdInput): Promise<v.WalletView[]> {
  const { userId } = parseInput(s.userIdInput, input);
  const now = env.clock();
  return (await env.store.listWallets(userId, now)).map((w) => walletView(w, now));
}

export async function listTransactions(env: FacadeEnv, input: s.ListTransactionsFilterInput, options: QueryOptions): Promise<Page<v.WalletTransactionView>> {
  const q = parseInput(s.listTransactionsInput, isoTimes(input, 'from', 'to'));
  const before = readCursor(q.cursor);
  const from = q.from === undefined ? undefined : new Date(q.from);
  const to = q.to === undefined ? undefined : new Date(q.to);
  assertPeriod(from, to);
  await visibleWallet(env, q.walletId, options.asUser);
  await assertCursorRow(env.store, 'walletTransactions', q.walletId, before);
  const rows = await env.store.listWalletTransactions(q.walletId, {
    limit: q.limit + 1,
    before,
    type: q.type,
    reference: q.reference,
    from,
    to,
    // An empty filter filters nothing (a stored null holds no key, so it would drop unlabelled rows).
    metadata: commandMetadata(q.metadata) ?? undefined,
  });
  return page(rows, q.limit, (r) => walletTransactionView(r.row), positionCursor);
}

export async function getBalanceAt(env: FacadeEnv, input: s.BalanceAtInput, options: QueryOptions): Promise<v.BalanceAtView> {
  const q = parseInput(s.balanceAtInput, isoTimes(input, 'at'));
  const at = new Date(q.at);
  assertNotFuture('at', at, env.clock());
  const wallet = await visibleWallet(env, q.walletId, options.asUser);
  const balance = await env.store.balanceAt({ walletId: wallet.id, currency: wallet.currency, at, inclusive: true });
  return { walletId: wallet.id, at: at.toISOString(), balance: balance.format() };
}

export async function getStatement(env: FacadeEnv, input: s.StatementInput, options: QueryOptions): Promise<v.StatementView> {
  const q = parseInput(s.statementInput, isoTimes(input, 'from', 'to'));
  const from = new Date(q.from);
  const to = new Date(q.to);
  assertPeriod(from, to);
  assertPeriodWithin(from, to, s.MAX_STATEMENT_DAYS);
  const wallet = await visibleWallet(env, q.walletId, options.asUser);
  const figures = await env.store.walletStatement({ walletId: wallet.id, currency: wallet.currency, from, to });
  return statementView(wallet, from, to, figures);
}

export async function searchWallets(env: FacadeEnv, input: s.SearchWalletsInput): Promise<Page<v.WalletView>> {
  const q = parseInput(s.searchWalletsInput, input);
  const after = readCursor(q.cursor, decodeWalletCursor);
  await assertCursorRow(env.store, 'wallets', '', after);
  const now = env.clock();
  const rows = await env.store.searchWallets({ limit: q.limit + 1, userId: q.userId, status: q.status, currency: q.currency, after, asOf: now });
  return page(
    rows,
    q.limit,
    (w) => walletView(w, now),
    (w) => encodeWalletCursor(w.id),
  );
}

export async function getBalanceSummary(env: FacadeEnv, input: s.UserIdInput): Promise<v.BalanceSummary> {
  const { userId } = parseInput(s.userIdInput, input);
  const now = env.clock();
  // One read, not listWallets and getPointAccount side by side: the summary is a hot read, and its
  // second statement was what kept it under half the rate of a bare health check (docs/DESIGN.md).
  const { wallets, pointAccount } = await env.store.getUserBalances(userId, now);
  return { userId, wallets: wallets.map((w) => walletView(w, now)), points: pointAccount ? pointAccountView(pointAccount, now) : null };
}

export async function getPointAccount(env: FacadeEnv, input: s.UserIdInput): Promise<v.PointAccountView> {
  const { userId } = parseInput(s.userIdInput, input);
  return pointAccountView(await visibleAccount(env, userId), env.clock());
}

export async function listPointTransactions(env: FacadeEnv, input: s.ListPointTransactionsInput): Promise<Page<v.PointTransactionView>> {
  const q = parseInput(s.listPointTransactionsInput, input);
  const before = readCursor(q.cursor);
  const account = await visibleAccount(env, q.userId);
  await assertCursorRow(env.store, 'pointTransactions', account.id, before);
  const rows = await env.store.listPointTransactions(account.id, {
    limit: q.limit + 1,
    before,
    type: q.type,
    metadata: commandMetadata(q.metadata) ?? undefined,
  });
  return page(rows, q.limit, (r) => pointTransactionView(r.row), positionCursor);
}

export async function reconcile(env: FacadeEnv, options: ReconcileOptions): Promise<ReconciliationReport> {
  const findings = await env.store.reconcile({ ...options, clock: env.clock, newId: env.ids });
  return { ok: findings.problems.length === 0, checkedAt: env.clock().toISOString(), ...findings };
}

export async function listEvents(env: FacadeEnv, input: s.ListEventsInput): Promise<v.EventPage> {
  const q = parseInput(s.listEventsInput, input);
  const rows = await env.store.listEvents(q.after ?? undefined, q.limit);
  const last = rows[rows.length - 1];
  return { items: rows.map((r) => ({ position: r.position, event: eventEnvelope(r.row) })), nextAfter: last?.position ?? q.after ?? null };
}

export async function getHold(env: FacadeEnv, input: s.HoldIdInput, options: QueryOptions): Promise<v.HoldView> {
  const { holdId } = parseInput(s.holdIdInput, input);
  const hold = await ofVisibleWallet(env, await env.store.getHold(holdId), options.asUser, () => new HoldNotFoundError(holdId));
  return holdView(hold, env.clock());
}

export async function listHolds(env: FacadeEnv, input: s.ListHoldsInput, options: QueryOptions): Promise<Page<v.HoldView>> {
  const q = parseInput(s.listHoldsInput, input);
  const read = (before: string | undefined, now: Date) => env.store.listHolds(q.walletId, { limit: q.limit + 1, before, status: q.status, now });
  return walletPage(env, 'holds', q, options, read, holdView);
}

export async function getAllowance(env: FacadeEnv, input: s.AllowanceIdInput, options: QueryOptions): Promise<v.AllowanceView> {
  const { allowanceId } = parseInput(s.allowanceIdInput, input);
  const allowance = await ofVisibleWallet(env, await env.store.getAllowance(allowanceId), options.asUser, () => new AllowanceNotFoundError(allowanceId));
  return allowanceView(allowance, env.clock());
}

export async function listAllowances(env: FacadeEnv, input: s.ListAllowancesInput, options: QueryOptions): Promise<Page<v.AllowanceView>> {
  const q = parseInput(s.listAllowancesInput, input);
  const read = (before: string | undefined, now: Date) => env.store.listAllowances(q.walletId, { limit: q.limit + 1, before, status: q.status, now });
  return walletPage(env, 'allowances', q, options, read, allowanceView);
}

/** A hold or an allowance, found and of a wallet the caller may see. */
async function ofVisibleWallet<T extends { readonly walletId: string }>(
  env: FacadeEnv,
  found: T | null,
  asUser: string | undefined,
  notFound: () => Error,
): Promise<T> {
  if (!found) throw notFound();
  if (asUser !== undefined) await visibleWallet(env, found.walletId, asUser, notFound);
  return found;
}

/** A page of one wallet's holds or allowances, each as a reader sees it now (one past its time reads `expired`). */
async function walletPage<R, V>(
  env: FacadeEnv,
  listing: 'holds' | 'allowances',
  q: { walletId: string; cursor?: string | null | undefined; limit: number },
  options: QueryOptions,
  read: (before: string | undefined, now: Date) => Promise<Positioned<R>[]>,
  view: (row: R, now: Date) => V,
): Promise<Page<V>> {
  const before = readCursor(q.cursor);
  await visibleWallet(env, q.walletId, options.asUser);
  await assertCursorRow(env.store, listing, q.walletId, before);
  const now = env.clock();
  return page(await read(before, now), q.limit, (r) => view(r.row, now), positionCursor);
}
