import { randomIds, systemClock, type ChangeContext, type Clock, type IdGenerator } from './context.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import {
  IdempotencyConflictError,
  PointAccountNotFoundError,
  SameWalletError,
  TransactionNotFoundError,
  ValidationError,
  WalletNotFoundError,
} from './errors.js';
import { eventEnvelope, type EventEnvelope } from './event-schemas.js';
import { canonicalJson, isValidIdempotencyKey, markReplayed } from './idempotency.js';
import { currencyOf } from './money/currency.js';
import { Money } from './money/money.js';
import { PointAccount } from './points/point-account.js';
import * as s from './schemas.js';
import type { UnitOfWork, WalletStore } from './store.js';
import { parseInput as parse } from './validate.js';
import {
  pointAccountView,
  pointTransactionView,
  walletTransactionView,
  walletView,
  type Page,
  type PointAccountView,
  type PointTransactionView,
  type WalletTransactionView,
  type WalletView,
} from './views.js';
import { transfer as transferBetween } from './wallet/transfer.js';
import { Wallet } from './wallet/wallet.js';

export interface WalletServiceOptions {
  store: WalletStore;
  /** Currency of a wallet created without one. Default `VND`. */
  defaultCurrency?: string | undefined;
  /** Largest amount one command may move, in major units. Default `1000000000000`. */
  maxAmount?: string | undefined;
  clock?: Clock | undefined;
  ids?: IdGenerator | undefined;
}

export interface CommandOptions {
  /** Makes a retry of this command safe: a replay returns the first result and changes nothing. */
  idempotencyKey?: string | undefined;
  /** Whose key it is (the server passes the caller's `sub`). Default `''`. */
  idempotencyScope?: string | undefined;
  /**
   * Acting on behalf of this user: a wallet or pending points of someone else is reported as not
   * found, exactly like one that does not exist. The facade enforces no roles; this only scopes.
   */
  asUser?: string | undefined;
}

export interface QueryOptions {
  asUser?: string | undefined;
}

export interface MovementResult {
  wallet: WalletView;
  transaction: WalletTransactionView;
}

export interface TransferOutcome extends MovementResult {
  transferId: string;
}

export interface PointsResult {
  account: PointAccountView;
  transaction: PointTransactionView;
}

export interface ExpireResult {
  expiredPoints: number;
  accounts: number;
}

export interface EventPage {
  items: { position: string; event: EventEnvelope }[];
  /** Pass back as `after` for the next page: the last item's position, or the `after` given when there was none. */
  nextAfter: string | null;
}

export interface BalanceSummary {
  userId: string;
  wallets: WalletView[];
  points: PointAccountView | null;
}

/** An input whose time fields take a `Date` as well as an ISO 8601 string. */
export type WithTimes<T, K extends keyof T> = Omit<T, K> & { [P in K]?: T[P] | Date };

/**
 * Writes the `Date`s of a command's time fields as ISO strings, the one form its schema (shared
 * with the HTTP API) reads. An invalid Date is left as it is, so validation reports the field.
 */
function isoTimes(input: unknown, ...keys: string[]): unknown {
  if (input === null || typeof input !== 'object') return input;
  const fields = input as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  for (const key of keys) {
    const value = fields[key];
    if (value instanceof Date && !Number.isNaN(value.getTime())) {
      out ??= { ...fields };
      out[key] = value.toISOString();
    }
  }
  return out ?? input;
}

function hidden(asUser: string | undefined, ownerId: string): boolean {
  return asUser !== undefined && asUser !== ownerId;
}

/**
 * The wallet and points service: one method per command and query of the API contract.
 *
 * Every command validates its input with the exported zod schemas, runs as one unit of work of
 * the store (one database transaction), and returns the new state with its ledger row. With an
 * `idempotencyKey`, the first result is stored in that same unit of work and a replay returns it.
 */
export class WalletService {
  readonly store: WalletStore;
  readonly defaultCurrency: string;
  readonly maxAmount: string;
  private readonly clock: Clock;
  private readonly ids: IdGenerator;

  constructor(options: WalletServiceOptions) {
    this.store = options.store;
    this.defaultCurrency = currencyOf(options.defaultCurrency ?? 'VND').code;
    this.maxAmount = options.maxAmount ?? '1000000000000';
    if (!/^[1-9][0-9]*(\.[0-9]+)?$/.test(this.maxAmount)) throw new TypeError(`maxAmount must be a positive decimal string, got ${this.maxAmount}`);
    this.clock = options.clock ?? systemClock;
    this.ids = options.ids ?? randomIds;
  }

  // ---- wallets -------------------------------------------------------------------------------

  async createWallet(input: s.CreateWalletInput, options: CommandOptions = {}): Promise<WalletView> {
    const cmd = parse(s.createWalletInput, input);
    const currency = currencyOf(cmd.currency ?? this.defaultCurrency);
    return this.command('createWallet', { ...cmd, currency: currency.code }, options, async (uow, ctx) => {
      const wallet = Wallet.open(ctx, { userId: cmd.userId, currency });
      uow.save(wallet.pullChanges());
      return walletView(wallet);
    });
  }

  async getWallet(input: s.WalletIdInput, options: QueryOptions = {}): Promise<WalletView> {
    const { walletId: id } = parse(s.walletIdInput, input);
    const wallet = await this.store.getWallet(id);
    if (!wallet || hidden(options.asUser, wallet.userId)) throw new WalletNotFoundError(id);
    return walletView(wallet);
  }

  async listWallets(input: s.UserIdInput): Promise<WalletView[]> {
    const cmd = parse(s.userIdInput, input);
    return (await this.store.listWallets(cmd.userId)).map(walletView);
  }

  async deposit(input: s.DepositInput, options: CommandOptions = {}): Promise<MovementResult> {
    const cmd = parse(s.depositInput, input);
    return this.command('deposit', cmd, options, async (uow, ctx) => {
      const wallet = await this.lockOne(uow, cmd.walletId, options.asUser);
      const tx = wallet.deposit(ctx, this.amount(cmd.amount, wallet), cmd);
      uow.save(wallet.pullChanges());
      return { wallet: walletView(wallet), transaction: walletTransactionView(tx) };
    });
  }

  async withdraw(input: s.WithdrawInput, options: CommandOptions = {}): Promise<MovementResult> {
    const cmd = parse(s.withdrawInput, input);
    return this.command('withdraw', cmd, options, async (uow, ctx) => {
      const wallet = await this.lockOne(uow, cmd.walletId, options.asUser);
      const tx = wallet.withdraw(ctx, this.amount(cmd.amount, wallet), cmd);
      uow.save(wallet.pullChanges());
      return { wallet: walletView(wallet), transaction: walletTransactionView(tx) };
    });
  }

  /** Moves money between two wallets of one currency. Answers with the source side only. */
  async transfer(input: s.TransferInput, options: CommandOptions = {}): Promise<TransferOutcome> {
    const cmd = parse(s.transferInput, input);
    if (cmd.fromWalletId === cmd.toWalletId) throw new SameWalletError(cmd.fromWalletId);
    return this.command('transfer', cmd, options, async (uow, ctx) => {
      const locked = await uow.lockWallets([cmd.fromWalletId, cmd.toWalletId]);
      const from = locked.get(cmd.fromWalletId);
      if (!from || hidden(options.asUser, from.userId)) throw new WalletNotFoundError(cmd.fromWalletId);
      const to = locked.get(cmd.toWalletId);
      if (!to) throw new WalletNotFoundError(cmd.toWalletId);
      const result = transferBetween(ctx, from, to, this.amount(cmd.amount, from), cmd);
      uow.save(from.pullChanges());
      uow.save(to.pullChanges());
      return { transferId: result.transferId, wallet: walletView(from), transaction: walletTransactionView(result.debit) };
    });
  }

  async freeze(input: s.WalletStatusInput, options: CommandOptions = {}): Promise<WalletView> {
    return this.changeStatus('freeze', input, options);
  }

  async unfreeze(input: s.WalletStatusInput, options: CommandOptions = {}): Promise<WalletView> {
    return this.changeStatus('unfreeze', input, options);
  }

  /** Closes an empty wallet: it accepts nothing more and stays readable with its history. */
  async close(input: s.WalletStatusInput, options: CommandOptions = {}): Promise<WalletView> {
    return this.changeStatus('close', input, options);
  }

  async listTransactions(input: s.ListTransactionsInput, options: QueryOptions = {}): Promise<Page<WalletTransactionView>> {
    const q = parse(s.listTransactionsInput, input);
    const before = q.cursor === undefined || q.cursor === null ? undefined : decodeCursor(q.cursor);
    const wallet = await this.store.getWallet(q.walletId);
    if (!wallet || hidden(options.asUser, wallet.userId)) throw new WalletNotFoundError(q.walletId);
    const rows = await this.store.listWalletTransactions(q.walletId, { limit: q.limit + 1, before, type: q.type });
    return this.page(rows, q.limit, walletTransactionView);
  }

  async getBalanceSummary(input: s.UserIdInput): Promise<BalanceSummary> {
    const cmd = parse(s.userIdInput, input);
    const [wallets, points] = await Promise.all([this.store.listWallets(cmd.userId), this.store.getPointAccount(cmd.userId)]);
    return { userId: cmd.userId, wallets: wallets.map(walletView), points: points ? pointAccountView(points) : null };
  }

  // ---- points --------------------------------------------------------------------------------

  /** Credits points, opening the user's account on the first earn. `pending` holds them until confirmed. */
  async earnPoints(input: WithTimes<s.EarnPointsInput, 'expiresAt'>, options: CommandOptions = {}): Promise<PointsResult> {
    const cmd = parse(s.earnPointsInput, isoTimes(input, 'expiresAt'));
    return this.command('earnPoints', cmd, options, async (uow, ctx) => {
      const account = (await uow.lockPointAccount(cmd.userId)) ?? PointAccount.open(ctx, cmd.userId);
      const tx = account.earn(ctx, { ...cmd, expiresAt: cmd.expiresAt === undefined ? null : new Date(cmd.expiresAt) });
      uow.save(account.pullChanges());
      return { account: pointAccountView(account), transaction: pointTransactionView(tx) };
    });
  }

  async spendPoints(input: s.SpendPointsInput, options: CommandOptions = {}): Promise<PointsResult> {
    const cmd = parse(s.spendPointsInput, input);
    return this.command('spendPoints', cmd, options, async (uow, ctx) => {
      const account = await this.lockAccount(uow, cmd.userId);
      const tx = account.spend(ctx, cmd);
      uow.save(account.pullChanges());
      return { account: pointAccountView(account), transaction: pointTransactionView(tx) };
    });
  }

  async adjustPoints(input: s.AdjustPointsInput, options: CommandOptions = {}): Promise<PointsResult> {
    const cmd = parse(s.adjustPointsInput, input);
    return this.command('adjustPoints', cmd, options, async (uow, ctx) => {
      const account = (await uow.lockPointAccount(cmd.userId)) ?? PointAccount.open(ctx, cmd.userId);
      const tx = account.adjust(ctx, cmd);
      uow.save(account.pullChanges());
      return { account: pointAccountView(account), transaction: pointTransactionView(tx) };
    });
  }

  /** Confirms a pending earn, identified by the id of its `pending` ledger row. */
  async confirmPendingPoints(input: s.PendingPointsInput, options: CommandOptions = {}): Promise<PointsResult> {
    return this.settlePending('confirm', input, options);
  }

  async cancelPendingPoints(input: s.PendingPointsInput, options: CommandOptions = {}): Promise<PointsResult> {
    return this.settlePending('cancel', input, options);
  }

  /**
   * Expires every lot whose expiry is at or before `asOf` (default now; a future `asOf` is refused,
   * since it would take points before their time). Running it twice expires nothing the second time.
   */
  async expirePoints(input: WithTimes<s.ExpirePointsInput, 'asOf'> = {}, options: CommandOptions = {}): Promise<ExpireResult> {
    const cmd = parse(s.expirePointsInput, isoTimes(input, 'asOf'));
    return this.command('expirePoints', cmd, options, async (uow, ctx) => {
      const asOf = cmd.asOf === undefined ? ctx.now : new Date(cmd.asOf);
      if (asOf.getTime() > ctx.now.getTime()) {
        throw new ValidationError('asOf must not be in the future', [{ path: 'asOf', message: 'must not be in the future' }]);
      }
      let expiredPoints = 0;
      let accounts = 0;
      for (const account of await uow.lockPointAccountsWithExpiredLots(asOf)) {
        const txs = account.expire(ctx, asOf);
        if (txs.length === 0) continue;
        accounts += 1;
        for (const tx of txs) expiredPoints -= tx.points;
        uow.save(account.pullChanges());
      }
      return { expiredPoints, accounts };
    });
  }

  async getPointAccount(input: s.UserIdInput): Promise<PointAccountView> {
    const cmd = parse(s.userIdInput, input);
    const account = await this.store.getPointAccount(cmd.userId);
    if (!account) throw new PointAccountNotFoundError(cmd.userId);
    return pointAccountView(account);
  }

  async listPointTransactions(input: s.ListPointTransactionsInput): Promise<Page<PointTransactionView>> {
    const q = parse(s.listPointTransactionsInput, input);
    const before = q.cursor === undefined || q.cursor === null ? undefined : decodeCursor(q.cursor);
    const account = await this.store.getPointAccount(q.userId);
    if (!account) throw new PointAccountNotFoundError(q.userId);
    const rows = await this.store.listPointTransactions(account.id, { limit: q.limit + 1, before, type: q.type });
    return this.page(rows, q.limit, pointTransactionView);
  }

  // ---- events --------------------------------------------------------------------------------

  /**
   * Committed events in position order, after `after` (exclusive), as published envelopes. A page
   * never skips an event whose transaction is still committing: following `nextAfter` sees every
   * event exactly once.
   */
  async listEvents(input: s.ListEventsInput = {}): Promise<EventPage> {
    const q = parse(s.listEventsInput, input);
    const rows = await this.store.listEvents(q.after, q.limit);
    const last = rows[rows.length - 1];
    return { items: rows.map((r) => ({ position: r.position, event: eventEnvelope(r.row) })), nextAfter: last?.position ?? q.after ?? null };
  }

  // ---- internals -----------------------------------------------------------------------------

  private async changeStatus(op: 'freeze' | 'unfreeze' | 'close', input: s.WalletStatusInput, options: CommandOptions): Promise<WalletView> {
    const cmd = parse(s.walletStatusInput, input);
    return this.command(op, cmd, options, async (uow, ctx) => {
      const wallet = await this.lockOne(uow, cmd.walletId, options.asUser);
      wallet[op](ctx, cmd.reason ?? null);
      uow.save(wallet.pullChanges());
      return walletView(wallet);
    });
  }

  private async settlePending(op: 'confirm' | 'cancel', input: s.PendingPointsInput, options: CommandOptions): Promise<PointsResult> {
    const cmd = parse(s.pendingPointsInput, input);
    return this.command(`${op}PendingPoints`, cmd, options, async (uow, ctx) => {
      const account = await uow.lockPointAccountByLot(cmd.transactionId);
      if (!account || hidden(options.asUser, account.userId)) {
        throw new TransactionNotFoundError(cmd.transactionId);
      }
      const tx = account[op](ctx, cmd.transactionId);
      uow.save(account.pullChanges());
      return { account: pointAccountView(account), transaction: pointTransactionView(tx) };
    });
  }

  private async lockOne(uow: UnitOfWork, walletId: string, asUser: string | undefined): Promise<Wallet> {
    const wallet = (await uow.lockWallets([walletId])).get(walletId);
    if (!wallet || hidden(asUser, wallet.userId)) throw new WalletNotFoundError(walletId);
    return wallet;
  }

  private async lockAccount(uow: UnitOfWork, userId: string): Promise<PointAccount> {
    const account = await uow.lockPointAccount(userId);
    if (!account) throw new PointAccountNotFoundError(userId);
    return account;
  }

  private amount(value: string, wallet: Wallet): Money {
    return Money.parse(value, wallet.currency, { max: this.maxAmount });
  }

  private page<R, V>(rows: readonly { position: string; row: R }[], limit: number, view: (r: R) => V): Page<V> {
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return { items: items.map((r) => view(r.row)), nextCursor: rows.length > limit && last ? encodeCursor(last.position) : null };
  }

  /**
   * Runs one command as one unit of work. With an idempotency key, the key is claimed first (a
   * concurrent duplicate waits for us), a committed replay is answered from storage, and our own
   * response is stored in the same unit as the change: there is no window where one is committed
   * without the other. A failing command rolls back its claim too, so it may be retried.
   */
  private async command<I, T>(name: string, input: I, options: CommandOptions, run: (uow: UnitOfWork, ctx: ChangeContext) => Promise<T>): Promise<T> {
    const key = options.idempotencyKey;
    if (key !== undefined && !isValidIdempotencyKey(key)) {
      throw new ValidationError('Idempotency key must be 1-255 visible ASCII characters', [{ path: 'idempotencyKey', message: 'must be 1-255 visible ASCII characters' }]);
    }
    const fingerprint = key === undefined ? '' : canonicalJson({ command: name, input, asUser: options.asUser ?? null });
    let replayed = false;
    const result = await this.store.transaction(async (uow) => {
      // A store may run this unit again after a deadlock; every run starts from scratch.
      replayed = false;
      const ctx: ChangeContext = { now: this.clock(), newId: this.ids };
      if (key !== undefined) {
        const claim = await uow.claimIdempotencyKey({ scope: options.idempotencyScope ?? '', key, fingerprint, now: ctx.now });
        if (claim.status === 'replay') {
          if (claim.fingerprint !== fingerprint) throw new IdempotencyConflictError(key);
          replayed = true;
          return claim.response as T;
        }
      }
      const value = await run(uow, ctx);
      if (key !== undefined) uow.completeIdempotencyKey(value);
      return value;
    });
    return replayed ? markReplayed(result) : result;
  }
}
