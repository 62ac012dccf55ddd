import {
  DEFAULT_EVENT_READ_LIMIT,
  LedgerKeyring,
  Money,
  checkpointParts,
  storedCurrencyOf,
  type Allowance,
  type AllowancePageRequest,
  problem,
  readCheckpoints,
  type DomainEvent,
  type Hold,
  type HoldPageRequest,
  type LockPlan,
  type PageRequest,
  type PagedListing,
  type PointAccount,
  type ReconcileRun,
  type ReconciliationFindings,
  type PointTransaction,
  type PointTransactionType,
  type Positioned,
  type ResolvingLockPlan,
  type UnitOfWork,
  type UserBalances,
  type Wallet,
  type WalletStore,
  type WalletTransaction,
  type WalletTransactionType,
  type BalanceAtRequest,
  type StatementFigures,
  type StatementRequest,
  type WalletPageRequest,
  type WalletSearchRequest,
  isUuid,
} from '@goodgo/wallet-core';
import * as books from './sql/books.js';
import { countedDriver, countedSession, isConnectionBroken, isUnavailable, type Row, type SqlDriver } from './driver.js';
import { toWalletError } from './errors.js';
import { SqlFacts } from './facts.js';
import { GroupCommit } from './group-commit.js';
import { ReadBatches, type ReadBatchOptions } from './read-batches.js';
import { readCommittedEvents } from './outbox.js';
import * as q from './sql/reads.js';
import { loadCheckpoints, publishCheckpoint } from './checkpoints.js';
import { reconcileAll, reconcileSince, type ReconcilePaging, type Scope } from './reconcile.js';
import type { Statement } from './sql/statement.js';
import { accountFromRows, allowanceFromRow, holdFromRow, jsonRows, pointTransactionFromRow, walletFromRow, walletTransactionFromRow } from './rows.js';

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
   * Most commands committed in one database transaction (group commit). Commands queue while a
   * batch is in flight and leave together as soon as it returns; a lone command leaves at once,
   * a batch of one. 1 makes every batch a batch of one. Default 128.
   */
  maxBatchSize?: number | undefined;
  /**
   * Most batches in flight at once, each on a connection of its own. Default 2 over a `pg` Pool
   * (one batch's Node work overlaps the other's database work); PGlite has one connection, and
   * its store uses 1.
   */
  maxBatchesInFlight?: number | undefined;
  /**
   * Reads of a wallet by id, of a user's wallets, of a user's point account and of a user's
   * balances (the summary's) that arrive while `readBatchesInFlight` statements of their kind are
   * out wait for one to return, then leave together as one statement of at most
   * `maxReadBatchSize` (see read-batches.ts). Defaults 2 and 128.
   */
  readBatchesInFlight?: number | undefined;
  maxReadBatchSize?: number | undefined;
  /**
   * How long a read statement is out before a second of its kind may leave beside it (see
   * read-batches.ts): one at a time while the database answers within it, twice the reads per
   * statement; a statement held up by a lost connection holds up the reads behind it no longer.
   * Default 10 ms; 0 sends the second at once.
   */
  readBatchStaggerMs?: number | undefined;
  /** Called with the size of every batch that leaves (1 for a command run on its own), for benchmarks. */
  onBatch?: ((size: number) => void) | undefined;
  /**
   * The keys of the ledger's hash chain (`WALLET_LEDGER_KEY`): the writer keys every new row with
   * the first, reconciliation verifies with all. Default: the published development key, which
   * chains rows but protects nothing against someone who can write the database.
   */
  ledgerKeys?: LedgerKeyring | undefined;
  /**
   * A file the signed checkpoints of the ledger's chain heads are appended to (one JSON line each),
   * on storage the database's operators cannot write; reconciliation then trusts it over the
   * database's own copy. Default: none (the database's copy and the event stream).
   */
  checkpointFile?: string | undefined;
  /** How many wallets and rows a page of reconciliation reads. */
  reconcilePaging?: ReconcilePaging | undefined;
  /** How long after a run its positions count as settled for the next routine run (default `SETTLE_MS`, a minute). */
  settleMs?: number | undefined;
}

/** One reader's key in a batched read, and the instant it reads at (holds past it do not count). */
interface KeyedRead {
  readonly key: string;
  readonly asOf?: Date | undefined;
}

/**
 * Reads waiting that let a second read statement of their kind leave before the first has been
 * out `readBatchStaggerMs`, so that the server has work while the first is answered. Of 8, 16 and
 * none (time alone) tried side by side at 64 callers, 16 gave the highest rates, by less than the
 * machine's noise (docs/DESIGN.md, "Hot reads").
 */
const READ_BATCH_STAGGER_READS = 16;

/**
 * The storage port over PostgreSQL, for both drivers. Every unit of work runs in a batch of the
 * group-commit executor, one database transaction at READ COMMITTED: rows the batch's commands
 * change are locked up front with SELECT … FOR UPDATE (by id, in one order), everything they wrote
 * goes out in one statement before COMMIT, and a deadlock or serialization failure that still
 * happens runs each command again as a batch of one, a bounded number of times, after a jittered
 * pause. Nothing of a failed run survives it.
 */
export class SqlWalletStore implements WalletStore {
  private readonly onStatement: ((name: string) => void) | undefined;
  /** Where the reads of the books go: the replica when one is configured, else the primary. */
  readonly booksDriver: SqlDriver;
  private readonly group: GroupCommit;
  readonly ledgerKeys: LedgerKeyring;
  private readonly checkpointFile: string | undefined;
  private readonly reconcilePaging: ReconcilePaging | undefined;
  private readonly settleMs: number | undefined;
  private readonly walletsById: ReadBatches<KeyedRead, Row[]>;
  private readonly walletsOfUser: ReadBatches<KeyedRead, Row[]>;
  private readonly accountsOfUser: ReadBatches<KeyedRead, Row[]>;
  private readonly balancesOfUser: ReadBatches<KeyedRead, Row[]>;

  constructor(
    readonly driver: SqlDriver,
    options: SqlStoreOptions = {},
  ) {
    this.onStatement = options.onStatement;
    this.booksDriver = options.readDriver ?? driver;
    this.ledgerKeys = options.ledgerKeys ?? LedgerKeyring.developmentKey();
    this.checkpointFile = options.checkpointFile;
    this.reconcilePaging = options.reconcilePaging;
    this.settleMs = options.settleMs;
    const maxBatchSize = options.maxBatchSize ?? 128;
    if (!Number.isSafeInteger(maxBatchSize) || maxBatchSize < 1) throw new TypeError(`maxBatchSize must be a positive integer, got ${maxBatchSize}`);
    const reads: ReadBatchOptions = {
      maxInFlight: options.readBatchesInFlight ?? 2,
      maxBatchSize: options.maxReadBatchSize ?? 128,
      staggerMs: options.readBatchStaggerMs ?? 10,
      staggerReads: READ_BATCH_STAGGER_READS,
    };
    this.walletsById = this.batchedReads(q.getWallets, true, reads);
    this.walletsOfUser = this.batchedReads(q.listWallets, true, reads);
    this.accountsOfUser = this.batchedReads(q.getAccounts, false, reads);
    this.balancesOfUser = this.batchedReads(q.getUserBalances, true, reads);
    const counted = countedDriver(driver, this.onStatement);
    this.group = new GroupCommit(counted, (session) => new SqlFacts(session), {
      maxBatchSize,
      maxInFlight: options.maxBatchesInFlight ?? 2,
      maxAttempts: options.maxAttempts ?? 8,
      onStatement: this.onStatement,
      onBatch: options.onBatch,
      ledgerKeys: this.ledgerKeys,
    });
  }

  /** Every unit of work runs in a batch (a lone one in a batch of one): the executor is the only road. */
  transaction<T>(fn: (uow: UnitOfWork) => Promise<T>, plan: LockPlan | ResolvingLockPlan): Promise<T> {
    return this.group.run(fn, plan);
  }

  async getWallet(id: string, asOf?: Date): Promise<Wallet | null> {
    // No wallet has an id that is not a UUID; asked for in a batch, it would fail its neighbours.
    if (!isUuid(id)) return null;
    const [row] = await this.walletsById.read({ key: id, asOf });
    return row ? walletFromRow(row) : null;
  }

  async listWallets(userId: string, asOf?: Date): Promise<Wallet[]> {
    return (await this.walletsOfUser.read({ key: userId, asOf })).map((r) => walletFromRow(r));
  }

  async getPointAccount(userId: string): Promise<PointAccount | null> {
    const [row] = await this.accountsOfUser.read({ key: userId });
    return row ? accountFromRows(row, jsonRows(row.lots)) : null;
  }

  async getUserBalances(userId: string, asOf?: Date): Promise<UserBalances> {
    const [row] = await this.balancesOfUser.read({ key: userId, asOf });
    // Every reader has its row (the wallets and the account are joined to the keys, not the keys to them).
    if (!row) throw new Error(`no balances were read for user ${userId}`);
    const wallets = jsonRows(row.wallets).map((w) => walletFromRow(w));
    const none = row.id === null || row.id === undefined;
    return { wallets, pointAccount: none ? null : accountFromRows(row, jsonRows(row.lots)) };
  }

  /** Reads of one statement by key, batched: each reader gets the rows of its place (`n`) in the batch. */
  private batchedReads(statement: Statement, withInstant: boolean, options: ReadBatchOptions): ReadBatches<KeyedRead, Row[]> {
    return new ReadBatches<KeyedRead, Row[]>(async (reads) => {
      const params: unknown[] = [reads.map((r) => r.key)];
      if (withInstant) params.push(reads.map((r) => r.asOf?.toISOString() ?? null));
      const byReader: Row[][] = reads.map(() => []);
      const [answer] = await this.read(statement, params);
      for (const row of jsonRows(answer?.batch)) byReader[Number(row.n) - 1]?.push(row);
      return byReader;
    }, options);
  }

  async getHold(id: string): Promise<Hold | null> {
    const [row] = await this.read(q.getHolds, [[id]]);
    return row ? holdFromRow(row, storedCurrencyOf(String(row.currency))) : null;
  }

  async listHolds(walletId: string, page: HoldPageRequest): Promise<Positioned<Hold>[]> {
    const rows = await this.statusPage(q.holdPages, walletId, page);
    return rows.map((r) => ({ position: String(r.position), row: holdFromRow(r, storedCurrencyOf(String(r.currency))) }));
  }

  async getAllowance(id: string): Promise<Allowance | null> {
    const [row] = await this.read(q.getAllowances, [[id]]);
    return row ? allowanceFromRow(row, storedCurrencyOf(String(row.currency))) : null;
  }

  async listAllowances(walletId: string, page: AllowancePageRequest): Promise<Positioned<Allowance>[]> {
    const rows = await this.statusPage(q.allowancePages, walletId, page);
    return rows.map((r) => ({ position: String(r.position), row: allowanceFromRow(r, storedCurrencyOf(String(r.currency))) }));
  }

  /** A page of holds or allowances: `active` and `expired` as a reader sees them at `now`, any other status as stored. */
  private statusPage(
    pages: Record<q.StatusFilter, Statement>,
    walletId: string,
    page: { limit: number; before?: string | undefined; status?: string | undefined; now: Date },
  ): Promise<Row[]> {
    const before = page.before ?? null;
    if (page.status === undefined) return this.read(pages.any, [walletId, page.limit, before]);
    if (page.status === 'active' || page.status === 'expired') return this.read(pages[page.status], [walletId, page.limit, before, page.now.toISOString()]);
    return this.read(pages.plain, [walletId, page.limit, before, page.status]);
  }

  async listWalletTransactions(walletId: string, page: WalletPageRequest): Promise<Positioned<WalletTransaction>[]> {
    const statement = books.walletTransactionPage({
      type: page.type !== undefined,
      reference: page.reference !== undefined,
      from: page.from !== undefined,
      to: page.to !== undefined,
      metadata: page.metadata !== undefined,
      before: page.before !== undefined,
    });
    const params = [
      walletId,
      page.limit,
      page.type,
      page.reference,
      page.from?.toISOString(),
      page.to?.toISOString(),
      page.metadata === undefined ? undefined : JSON.stringify(page.metadata),
      page.before,
    ].filter((v, i) => i < 2 || v !== undefined);
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
    const filters = [request.userId, request.status, request.currency, request.after].filter((v) => v !== undefined);
    const params = [request.limit, request.asOf?.toISOString() ?? null, ...filters];
    return (await this.read(statement, params, this.booksDriver)).map((r) => walletFromRow(r));
  }

  async hasPosition(listing: PagedListing, scope: string, position: string): Promise<boolean> {
    // Asked of the driver the listing itself reads from: a replica's cursor is checked on the replica.
    const driver = listing === 'walletTransactions' || listing === 'wallets' ? this.booksDriver : this.driver;
    const params = listing === 'wallets' ? [position] : [scope, position];
    const [row] = await this.read(books.cursorRow[listing], params, driver);
    return row?.found === true;
  }

  async listPointTransactions(accountId: string, page: PageRequest<PointTransactionType>): Promise<Positioned<PointTransaction>[]> {
    const statement = q.pointTransactionPage({ type: page.type !== undefined, metadata: page.metadata !== undefined, before: page.before !== undefined });
    const params = [accountId, page.limit, page.type, page.metadata === undefined ? undefined : JSON.stringify(page.metadata), page.before];
    const rows = await this.read(
      statement,
      params.filter((v, i) => i < 2 || v !== undefined),
    );
    return rows.map((r) => ({ position: String(r.position), row: pointTransactionFromRow(r) }));
  }

  async listEvents(after?: string, limit = DEFAULT_EVENT_READ_LIMIT): Promise<Positioned<DomainEvent>[]> {
    try {
      // The feed's readers get the events; the traceparent each row keeps is the relay's.
      const entries = await readCommittedEvents(countedSession(this.driver, this.onStatement), after ?? '0', limit, true);
      return entries.map(({ position, row }) => ({ position, row }));
    } catch (e) {
      throw toWalletError(e);
    }
  }

  async purgeIdempotencyKeys(olderThan: Date, limit: number): Promise<number> {
    const [row] = await this.read(q.purgeIdempotencyKeys, [olderThan.toISOString(), limit]);
    return Number(row?.purged ?? 0);
  }

  /**
   * Every check, the ledger in keyset pages walked in this process (the keyed chain needs the
   * key), each page of wallets and their rows one short REPEATABLE READ transaction of bounded
   * statements: a run over any size of ledger completes. `incremental`: only what was written
   * since the last checkpoint, on one snapshot. `checkpoint`: then publish a signed checkpoint of
   * the heads walked (see checkpoints.ts).
   */
  async reconcile(options: ReconcileRun): Promise<ReconciliationFindings> {
    const startedAt = options.clock();
    const incremental = options.incremental === true;
    try {
      const loaded = await loadCheckpoints(this.driver, this.checkpointFile, incremental);
      const record = readCheckpoints(this.ledgerKeys, loaded, incremental);
      const scope: Scope = (fn) =>
        this.driver.transaction((session) => {
          const counted = countedSession(session, this.onStatement);
          return fn((statement, params) => counted.query(statement.text, params, statement.name));
        });
      const run = { keyring: this.ledgerKeys, checkpoints: record, paging: this.reconcilePaging };
      const result =
        incremental && record.last !== null
          ? await reconcileSince(scope, record.last, run)
          : await reconcileAll((statement, params) => this.read(statement, params), scope, run);
      if (options.checkpoint === true) {
        const after = BigInt(record.last?.through ?? '0');
        const heads = result.heads.filter((h) => BigInt(h.seq) > after).map(({ seq: _, ...head }) => head);
        const at = {
          newId: options.newId,
          at: startedAt,
          now: options.clock(),
          seen: result.seen,
          unkeyedThrough: result.unkeyedThrough,
          settleMs: this.settleMs,
        };
        const readAtStart = loaded[loaded.length - 1]?.id ?? null;
        await this.driver.transaction((session) =>
          publishCheckpoint(countedSession(session, this.onStatement), this.checkpointFile, readAtStart, () =>
            checkpointParts(this.ledgerKeys, at, heads, record.last),
          ),
        );
      }
      const broken = record.broken.map((b) => problem('checkpoint_invalid', b.id, { reason: b.reason }));
      return { wallets: result.wallets, pointAccounts: result.pointAccounts, ledgerRows: result.ledgerRows, problems: [...broken, ...result.problems] };
    } catch (e) {
      throw toWalletError(e);
    }
  }

  async ping(): Promise<void> {
    try {
      await this.driver.query('SELECT 1');
    } catch (e) {
      throw toWalletError(e);
    }
  }

  async close(): Promise<void> {
    try {
      await this.driver.close();
    } finally {
      if (this.booksDriver !== this.driver) await this.booksDriver.close();
    }
  }

  private async read(statement: Statement, params: readonly unknown[], driver: SqlDriver = this.driver): Promise<Row[]> {
    try {
      this.onStatement?.(statement.name);
      return await driver.query(statement.text, params, statement.name);
    } catch (e) {
      // The replica away (promoted in a failover, its host gone, its backend refused): the
      // primary answers the books' reads meanwhile, rather than nothing.
      if (driver !== this.driver && (isUnavailable(e) || isConnectionBroken(e))) return this.read(statement, params, this.driver);
      throw toWalletError(e);
    }
  }
}
