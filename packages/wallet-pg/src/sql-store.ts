import {
  DEFAULT_EVENT_READ_LIMIT,
  InternalError,
  ValidationError,
  Money,
  RetryableConflict,
  ServiceUnavailableError,
  WalletAlreadyExistsError,
  currencyOf,
  isWalletError,
  type DomainEvent,
  type FoundWalletTransaction,
  type Hold,
  type HoldPageRequest,
  type IdempotencyClaim,
  type IdempotencyRequest,
  type LockedPointTransaction,
  type LockPlan,
  type PageRequest,
  type PointAccount,
  type ReconciliationFindings,
  type ReconciliationProblem,
  type PointAccountChanges,
  type PointTransaction,
  type PointTransactionType,
  type Positioned,
  type UnitOfWork,
  type Wallet,
  type WalletChanges,
  type WalletStore,
  type WalletTransaction,
  type WalletTransactionType,
  type BalanceAtRequest,
  type StatementFigures,
  type StatementRequest,
  type WalletPageRequest,
  type WalletSearchRequest,
} from '@goodgo/wallet-core';
import * as books from './book-queries.js';
import { UnstorableValueError, isConnectionBroken, isRetryable, isUnavailable, sqlState, type Row, type SqlDriver, type SqlSession } from './driver.js';
import { GroupCommit } from './group-commit.js';
import { readCommittedEvents } from './outbox.js';
import type { Statement } from './queries.js';
import * as q from './queries.js';
import { accountFromRows, claimFromRow, flushOf, hasHolds, holdFromRow, pointTransactionFromRow, walletFromRow, walletTransactionFromRow } from './rows.js';

export interface SqlStoreOptions {
  /** How many times a unit of work runs at most when it meets a deadlock or serialization failure. Default 8. */
  maxAttempts?: number | undefined;
  /** Counts statements sent, for tests and benchmarks that measure round trips. */
  onStatement?: (name: string) => void | undefined;
  /**
   * A second driver, over a read replica, for the reads of the books: history pages, balances at
   * an instant, statements and the admin search. Everything else (every command, and the reads a
   * command's answer depends on) stays on the primary. The store closes it with itself.
   */
  readDriver?: SqlDriver | undefined;
  /**
   * Most commands committed in one database transaction (group commit). Commands that declare
   * their locks up front queue while a batch is in flight and leave together as soon as it
   * returns; a lone command runs on its own at once. 1 turns batching off. Default 128.
   */
  maxBatchSize?: number | undefined;
  /**
   * Most batches in flight at once, each on a connection of its own. Default 2 over a `pg` Pool
   * (one batch's Node work overlaps the other's database work); PGlite has one connection, and
   * its store uses 1.
   */
  maxBatchesInFlight?: number | undefined;
  /** Called with the size of every batch that leaves (1 for a command run on its own), for benchmarks. */
  onBatch?: ((size: number) => void) | undefined;
}

type Changes = WalletChanges | PointAccountChanges;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The storage port over PostgreSQL, for both drivers. A unit of work is one database transaction
 * at READ COMMITTED: rows a command changes are locked with SELECT … FOR UPDATE (wallets always in
 * ascending id order), everything it wrote goes out in one statement before COMMIT, and a
 * deadlock or serialization failure that still happens runs the whole unit again, a bounded
 * number of times, after a jittered pause. Nothing of a failed run survives it.
 */
export class SqlWalletStore implements WalletStore {
  private readonly maxAttempts: number;
  private readonly onStatement: ((name: string) => void) | undefined;
  /** Where the reads of the books go: the replica when one is configured, else the primary. */
  readonly booksDriver: SqlDriver;
  private readonly group: GroupCommit | null;

  constructor(
    readonly driver: SqlDriver,
    options: SqlStoreOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? 8;
    this.onStatement = options.onStatement;
    this.booksDriver = options.readDriver ?? driver;
    const maxBatchSize = options.maxBatchSize ?? 128;
    if (!Number.isSafeInteger(maxBatchSize) || maxBatchSize < 1) throw new TypeError(`maxBatchSize must be a positive integer, got ${maxBatchSize}`);
    this.group =
      maxBatchSize === 1
        ? null
        : new GroupCommit(driver, {
            maxBatchSize,
            maxInFlight: options.maxBatchesInFlight ?? 2,
            alone: (fn) => this.alone(fn),
            counted: (session) => this.counted(session),
            wrap,
            onStatement: this.onStatement,
            onBatch: options.onBatch,
          });
  }

  /**
   * A unit with a lock plan goes through group commit; one without (it must read before it knows
   * what to lock) runs in a transaction of its own, as every unit does with batching off.
   */
  transaction<T>(fn: (uow: UnitOfWork) => Promise<T>, plan?: LockPlan): Promise<T> {
    if (plan === undefined || this.group === null) return this.alone(fn);
    return this.group.run(fn, plan);
  }

  /** The per-command path: one unit, one transaction, run again after a deadlock or serialization failure. */
  private async alone<T>(fn: (uow: UnitOfWork) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.driver.transaction(async (session) => {
          const uow = new SqlUnitOfWork(this.counted(session));
          const result = await fn(uow);
          await uow.flush();
          return result;
        });
      } catch (e) {
        if (isWalletError(e)) throw e;
        if ((isRetryable(e) || e instanceof RetryableConflict) && attempt < this.maxAttempts) {
          this.onStatement?.('retry');
          // Full jitter, growing with each attempt, so that the contenders stop meeting again.
          await sleep(Math.random() * Math.min(100, 2 ** attempt));
          continue;
        }
        throw wrap(e);
      }
    }
  }

  async getWallet(id: string): Promise<Wallet | null> {
    const [row] = await this.read(q.getWallet, [id]);
    return row ? walletFromRow(row) : null;
  }

  async listWallets(userId: string): Promise<Wallet[]> {
    return (await this.read(q.listWallets, [userId])).map((r) => walletFromRow(r));
  }

  async getPointAccount(userId: string): Promise<PointAccount | null> {
    const [row] = await this.read(q.getAccount, [userId]);
    return row ? accountFromRows(row, jsonRows(row.lots)) : null;
  }

  async getHold(id: string): Promise<Hold | null> {
    const [row] = await this.read(q.getHold, [id]);
    return row ? holdFromRow(row, currencyOf(String(row.currency))) : null;
  }

  async listHolds(walletId: string, page: HoldPageRequest): Promise<Positioned<Hold>[]> {
    const before = page.before ?? null;
    const rows =
      page.status === undefined
        ? await this.read(q.holdPages.any, [walletId, page.limit, before])
        : page.status === 'active' || page.status === 'expired'
          ? await this.read(q.holdPages[page.status], [walletId, page.limit, before, page.now.toISOString()])
          : await this.read(q.holdPages.plain, [walletId, page.limit, before, page.status]);
    return rows.map((r) => ({ position: String(r.position), row: holdFromRow(r, currencyOf(String(r.currency))) }));
  }

  async listWalletTransactions(walletId: string, page: WalletPageRequest): Promise<Positioned<WalletTransaction>[]> {
    const statement = books.walletTransactionPage({
      type: page.type !== undefined,
      reference: page.reference !== undefined,
      from: page.from !== undefined,
      to: page.to !== undefined,
      before: page.before !== undefined,
    });
    const params = [walletId, page.limit, page.type, page.reference, page.from?.toISOString(), page.to?.toISOString(), page.before].filter(
      (v, i) => i < 2 || v !== undefined,
    );
    const rows = await this.read(statement, params, this.booksDriver);
    return rows.map((r) => ({ position: String(r.position), row: walletTransactionFromRow(r) }));
  }

  async balanceAt(request: BalanceAtRequest): Promise<Money> {
    const statement = request.inclusive ? books.balanceAt.inclusive : books.balanceAt.exclusive;
    const [row] = await this.read(statement, [request.walletId, request.at.toISOString()], this.booksDriver);
    const balance = row?.balance;
    return balance === null || balance === undefined ? Money.zero(request.currency) : Money.fromStorage(String(balance), request.currency);
  }

  async walletStatement(request: StatementRequest): Promise<StatementFigures> {
    const params = [request.walletId, request.from.toISOString(), request.to.toISOString()];
    const [row] = await this.read(books.walletStatement, params, this.booksDriver);
    const money = (v: unknown) => (v === null || v === undefined ? Money.zero(request.currency) : Money.fromStorage(String(v), request.currency));
    const totals = new Map<WalletTransactionType, Money>();
    let count = 0;
    for (const t of jsonRows(row?.totals)) {
      totals.set(String(t.type) as WalletTransactionType, money(t.amount));
      count += Number(t.count);
    }
    return { opening: money(row?.opening), closing: money(row?.closing), totals, count };
  }

  async searchWallets(request: WalletSearchRequest): Promise<Wallet[]> {
    const statement = books.walletSearch({
      userId: request.userId !== undefined,
      status: request.status !== undefined,
      currency: request.currency !== undefined,
      after: request.after !== undefined,
    });
    const params = [request.limit, request.userId, request.status, request.currency, request.after].filter((v, i) => i < 1 || v !== undefined);
    return (await this.read(statement, params, this.booksDriver)).map((r) => walletFromRow(r));
  }

  async listPointTransactions(accountId: string, page: PageRequest<PointTransactionType>): Promise<Positioned<PointTransaction>[]> {
    const rows = await this.page(q.pointTransactionPages, accountId, page);
    return rows.map((r) => ({ position: String(r.position), row: pointTransactionFromRow(r) }));
  }

  async listEvents(after?: string, limit = DEFAULT_EVENT_READ_LIMIT): Promise<Positioned<DomainEvent>[]> {
    try {
      return await readCommittedEvents(this.counted(this.driver), after ?? '0', limit);
    } catch (e) {
      throw wrap(e);
    }
  }

  async purgeIdempotencyKeys(olderThan: Date, limit: number): Promise<number> {
    const [row] = await this.read(q.purgeIdempotencyKeys, [olderThan.toISOString(), limit]);
    return Number(row?.purged ?? 0);
  }

  /**
   * Every check as one read-only statement over the whole store (set-based: a scan per table,
   * not a query per wallet). Statements run one after another, each on its own snapshot: run it
   * when the books are quiet, or treat a finding on a row written during the run as a hint to
   * run it again (see docs/operations.md).
   */
  async reconcile(): Promise<ReconciliationFindings> {
    const [counts] = await this.read(q.reconcileCounts, []);
    const problems: ReconciliationProblem[] = [];
    for (const r of await this.read(q.reconcileBalances, [])) {
      problems.push({ kind: 'balance_mismatch', id: String(r.id), detail: `balance ${String(r.balance)} differs from its ledger (${String(r.ledger)})` });
    }
    for (const r of await this.read(q.reconcileChains, [])) {
      if (r.after_ok !== true) {
        problems.push({
          kind: 'balance_after_mismatch',
          id: String(r.id),
          detail: `balanceAfter ${String(r.balance_after)}; the previous row and the amount give ${String(r.expected_after)}`,
        });
      }
      if (r.hash_ok !== true)
        problems.push({ kind: 'hash_mismatch', id: String(r.id), detail: 'the row or the row before it in this wallet was changed or removed' });
    }
    for (const r of await this.read(q.reconcileTransfers, [])) {
      problems.push({ kind: 'transfer_unbalanced', id: String(r.id), detail: `${String(r.rows)} rows with a net of ${String(r.net)}` });
    }
    for (const r of await this.read(q.reconcilePoints, [])) {
      problems.push({
        kind: 'points_mismatch',
        id: String(r.id),
        detail: `available ${String(r.available)} and pending ${String(r.pending)}; lots hold ${String(r.lot_available)} and ${String(r.lot_pending)}`,
      });
    }
    for (const r of await this.read(q.reconcileHeld, [])) {
      problems.push({ kind: 'held_mismatch', id: String(r.id), detail: `held amount ${String(r.held)}; its active holds sum to ${String(r.active)}` });
    }
    for (const r of await this.read(q.reconcilePointChains, [])) {
      problems.push({
        kind: 'points_balance_after_mismatch',
        id: String(r.id),
        detail: `balanceAfter ${String(r.balance_after)}; the previous row and the points give ${String(r.expected_after)}`,
      });
    }
    return {
      wallets: Number(counts?.wallets ?? 0),
      pointAccounts: Number(counts?.point_accounts ?? 0),
      ledgerRows: Number(counts?.ledger_rows ?? 0),
      problems,
    };
  }

  async ping(): Promise<void> {
    try {
      await this.driver.query('SELECT 1');
    } catch (e) {
      throw wrap(e);
    }
  }

  async close(): Promise<void> {
    try {
      await this.driver.close();
    } finally {
      if (this.booksDriver !== this.driver) await this.booksDriver.close();
    }
  }

  private page(
    texts: { first: Statement; after: Statement; firstOfType: Statement; afterOfType: Statement },
    id: string,
    page: PageRequest<string>,
  ): Promise<Row[]> {
    if (page.type === undefined) {
      return page.before === undefined ? this.read(texts.first, [id, page.limit]) : this.read(texts.after, [id, page.limit, page.before]);
    }
    return page.before === undefined
      ? this.read(texts.firstOfType, [id, page.limit, page.type])
      : this.read(texts.afterOfType, [id, page.limit, page.type, page.before]);
  }

  private async read(statement: Statement, params: readonly unknown[], driver: SqlDriver = this.driver): Promise<Row[]> {
    try {
      this.onStatement?.(statement.name);
      return await driver.query(statement.text, params, statement.name);
    } catch (e) {
      throw wrap(e);
    }
  }

  private counted(session: SqlSession): SqlSession {
    const count = this.onStatement;
    if (!count) return session;
    return {
      query: (text, params, name) => {
        count(name ?? text);
        return session.query(text, params, name);
      },
    };
  }
}

class SqlUnitOfWork implements UnitOfWork {
  private readonly changes: Changes[] = [];
  private claimed: { scope: string; key: string } | null = null;
  private response: string | null = null;

  constructor(private readonly session: SqlSession) {}

  private run(statement: Statement, params: readonly unknown[]): Promise<Row[]> {
    return this.session.query(statement.text, params, statement.name);
  }

  async claimIdempotencyKey(req: IdempotencyRequest): Promise<IdempotencyClaim> {
    // The INSERT waits while a concurrent unit holds the same key uncommitted; the unique key,
    // not a read-then-write, is what makes two first executions impossible.
    const inserted = await this.run(q.claimIdempotencyKey, [req.scope, req.key, req.fingerprint, req.now.toISOString()]);
    if (inserted.length > 0) {
      this.claimed = { scope: req.scope, key: req.key };
      return { status: 'claimed' };
    }
    const [row] = await this.run(q.readIdempotencyKey, [req.scope, req.key]);
    if (!row || row.response === null || row.response === undefined) {
      // The holder rolled back between our INSERT and SELECT: the key is free again.
      throw new RetryableConflict('idempotency key released while claiming it');
    }
    return { status: 'replay', fingerprint: String(row.fingerprint), response: JSON.parse(String(row.response)) };
  }

  completeIdempotencyKey(response: unknown): void {
    this.response = JSON.stringify(response);
  }

  async lockWallets(ids: readonly string[]): Promise<ReadonlyMap<string, Wallet>> {
    const unique = [...new Set(ids)];
    const rows = await this.run(q.lockWallets, [unique]);
    // A second round trip only for wallets that have holds: most payments touch none.
    const withHolds = rows.filter(hasHolds).map((r) => String(r.id));
    const holds = withHolds.length === 0 ? [] : await this.run(q.activeHolds, [withHolds]);
    return new Map(
      rows.map((r) => [
        String(r.id),
        walletFromRow(
          r,
          holds.filter((h) => String(h.wallet_id) === String(r.id)),
        ),
      ]),
    );
  }

  async findHold(holdId: string): Promise<Hold | null> {
    const [row] = await this.run(q.getHold, [holdId]);
    return row ? holdFromRow(row, currencyOf(String(row.currency))) : null;
  }

  async findWalletTransaction(transactionId: string): Promise<FoundWalletTransaction | null> {
    const [row] = await this.run(q.findWalletTransaction, [transactionId]);
    if (!row) return null;
    const counterpart = row.counterpart_wallet_id;
    return { transaction: walletTransactionFromRow(row), counterpartWalletId: counterpart === null || counterpart === undefined ? null : String(counterpart) };
  }

  async refundedAmount(original: WalletTransaction): Promise<Money> {
    const [row] = await this.run(q.refundedAmount, [original.id]);
    return Money.fromStorage(String(row?.refunded ?? '0'), original.amount.currency);
  }

  async lockPointAccountByTransaction(transactionId: string): Promise<LockedPointTransaction | null> {
    const [account] = await this.run(q.lockAccountByTransaction, [transactionId]);
    if (!account) return null;
    const transaction = pointTransactionFromRow(jsonRow(account.tx));
    const [lots] = await this.run(q.transactionLots, [transactionId, String(account.id)]);
    const claims = jsonRows(lots?.claims).map(claimFromRow);
    return { account: accountFromRows(account, jsonRows(lots?.lots)), transaction, lots: claims };
  }

  async lockPointAccount(userId: string): Promise<PointAccount | null> {
    return (await this.withLots(await this.run(q.lockAccountByUser, [userId])))[0] ?? null;
  }

  async lockPointAccountByLot(lotId: string): Promise<PointAccount | null> {
    return (await this.withLots(await this.run(q.lockAccountByLot, [lotId])))[0] ?? null;
  }

  async lockPointAccountsWithExpiredLots(asOf: Date): Promise<PointAccount[]> {
    return this.withLots(await this.run(q.lockAccountsWithExpiredLots, [asOf.toISOString()]));
  }

  save(changes: Changes): void {
    this.changes.push(changes);
  }

  async flush(): Promise<void> {
    const response = this.claimed && this.response !== null ? { ...this.claimed, body: this.response } : null;
    const flush = flushOf(this.changes, response ? [response] : []);
    if (flush === null) return;
    try {
      await this.run(flush.statement, flush.params);
    } catch (e) {
      const state = sqlState(e);
      const constraint = (e as { constraint?: unknown }).constraint;
      if (state === '23505' && constraint === 'wallets_user_currency_open_key') {
        const created = this.changes.find((c): c is WalletChanges => 'wallet' in c && c.loadedVersion === 0);
        if (created) throw new WalletAlreadyExistsError(created.wallet.userId, created.wallet.currency.code);
      }
      // Another unit opened this user's point account first: running again finds and locks it.
      if (state === '23505' && constraint === 'point_accounts_user_key') throw new RetryableConflict('point account created concurrently', { cause: e });
      throw e;
    }
  }

  private async withLots(accounts: Row[]): Promise<PointAccount[]> {
    if (accounts.length === 0) return [];
    const lots = await this.run(q.openLots, [accounts.map((a) => String(a.id))]);
    return accounts.map((a) => accountFromRows(a, lots));
  }
}

/** A JSON value a query built with row_to_json / jsonb_agg: parsed by pg, or text from another driver. */
function jsonRow(v: unknown): Row {
  return (typeof v === 'string' ? JSON.parse(v) : v) as Row;
}
function jsonRows(v: unknown): Row[] {
  if (v === null || v === undefined) return [];
  return (typeof v === 'string' ? JSON.parse(v) : v) as Row[];
}

/** Driver errors leave as wallet errors, the original kept as `cause` for the logs. */
function wrap(e: unknown): Error {
  if (isWalletError(e)) return e;
  if (e instanceof UnstorableValueError) {
    return new ValidationError('Text must be well-formed Unicode without NUL characters', [{ path: '', message: e.message }]);
  }
  // A broken connection, whatever pg calls it, is the database being away for this request.
  if (isUnavailable(e) || isConnectionBroken(e)) return new ServiceUnavailableError('The database is unavailable', { cause: e });
  return new InternalError('Storage failure', { cause: e });
}
