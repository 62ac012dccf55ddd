/**
 * Group commit: many planned units of work in one database transaction. @internal
 *
 * Units whose locks are declared up front (a `LockPlan`) queue here. One batch is in flight at a
 * time; the next leaves the moment it returns (no timer: a lone unit goes at once, on the
 * per-command path). A batch claims every idempotency key in one statement, locks the union of
 * the plans in one statement (wallets by id, then point accounts by id), runs the units one after
 * another in memory, each against its own copies of the locked aggregates (a unit that fails
 * leaves them as they were for the next), writes everything in one statement, commits once, and
 * only then answers each caller.
 */
import {
  OutsideLockPlan,
  PointAccount,
  RetryableConflict,
  Wallet,
  isWalletError,
  type FoundWalletTransaction,
  type Hold,
  type IdempotencyClaim,
  type IdempotencyRequest,
  type LockPlan,
  type LockedPointTransaction,
  type Money,
  type PointAccountChanges,
  type UnitOfWork,
  type WalletChanges,
  type WalletTransaction,
} from '@goodgo/wallet-core';
import { isConnectionBroken, isUnavailable, sqlState, storableJson, type Row, type SqlDriver, type SqlSession } from './driver.js';
import * as q from './queries.js';
import { accountFromRows, flushOf, hasHolds, walletFromRow, type KeyRef } from './rows.js';

type Changes = WalletChanges | PointAccountChanges;
type Unit<T> = (uow: UnitOfWork) => Promise<T>;

interface Queued {
  readonly fn: Unit<unknown>;
  readonly plan: LockPlan;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** A unit's fate inside a committed batch: answered with its value or its own error, or run again on its own. */
type Outcome = { readonly kind: 'value'; readonly value: unknown } | { readonly kind: 'error'; readonly error: unknown } | { readonly kind: 'alone' };

/** A claim the batch could not settle: the key's holder rolled back between the INSERT and the read. */
const RELEASED = Symbol('released');
type BatchClaim = IdempotencyClaim | typeof RELEASED;

export interface GroupCommitOptions {
  /** Most units in one batch. */
  readonly maxBatchSize: number;
  /** Most batches (a lone unit counts as one) in flight at once, each on its own connection. */
  readonly maxInFlight: number;
  /** Runs one unit in a transaction of its own, with the store's retries and error mapping. */
  readonly alone: <T>(fn: Unit<T>) => Promise<T>;
  /** The store's statement counter around a session. */
  readonly counted: (session: SqlSession) => SqlSession;
  /** Maps a driver error to the error callers see. */
  readonly wrap: (e: unknown) => Error;
  readonly onStatement?: ((name: string) => void) | undefined;
  readonly onBatch?: ((size: number) => void) | undefined;
}

/** The smallest batch worth a slot of its own when the queue is split. */
const MIN_SPLIT_BATCH = 8;
const keyOf = (k: KeyRef) => `${k.scope}\u0000${k.key}`;
/** A lock not granted within the lock timeout, or a statement cancelled by its timeout. */
const waitedTooLong = (e: unknown) => {
  const state = sqlState(e);
  return state === '55P03' || state === '57014';
};

export class GroupCommit {
  private readonly queue: Queued[] = [];
  private inFlight = 0;

  constructor(
    private readonly driver: SqlDriver,
    private readonly options: GroupCommitOptions,
  ) {}

  run<T>(fn: Unit<T>, plan: LockPlan): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn: fn as Unit<unknown>, plan, resolve: resolve as (value: unknown) => void, reject });
      // Nothing in flight: it leaves at once (alone). Otherwise it waits for a batch to return.
      if (this.inFlight === 0) this.pump();
    });
  }

  /**
   * Sends what is queued over the free slots. With one slot, batches follow each other; with two,
   * the queue is split over both, so that one batch's Node work (applying, answering) overlaps the
   * other's database work. Batches in flight together lock in the same order as everything else
   * (keys, wallets, point accounts, each sorted), so they wait for each other but never in a cycle.
   */
  private pump(): void {
    const free = this.options.maxInFlight - this.inFlight;
    if (free <= 0 || this.queue.length === 0) return;
    // Splitting pays only when each part is still a real batch.
    const parts = Math.max(1, Math.min(free, Math.floor(this.queue.length / MIN_SPLIT_BATCH)));
    const size = Math.ceil(this.queue.length / parts);
    for (let i = 0; i < parts && this.queue.length > 0; i++) this.send(this.take(Math.min(size, this.options.maxBatchSize)));
  }

  private send(batch: Queued[]): void {
    this.options.onBatch?.(batch.length);
    this.inFlight += 1;
    const [only] = batch;
    const sent = (batch.length === 1 && only ? this.alone(only) : this.runBatch(batch)).catch((e: unknown) => {
      // Not expected (each path answers its callers), but no caller may be left waiting.
      for (const item of batch) item.reject(e);
    });
    void sent.then(() => {
      // The callers just answered send their next commands from their continuations: let those
      // run before the next batch leaves, or it would leave with the first of them alone and the
      // rest would wait a whole round trip more. The slot stays taken for that one turn of the
      // event loop (not a timer), so that no command slips out alone meanwhile.
      setImmediate(() => {
        this.inFlight -= 1;
        this.pump();
      });
    });
  }

  /**
   * The next batch, in arrival order, up to the size limit. A unit whose key is already in the
   * batch waits for the next one: by then the first has committed, and it replays that answer,
   * exactly as a concurrent duplicate does.
   */
  private take(limit: number): Queued[] {
    const batch: Queued[] = [];
    const keys = new Set<string>();
    for (let i = 0; i < this.queue.length && batch.length < limit;) {
      const item = this.queue[i] as Queued;
      const key = item.plan.idempotency === null ? null : keyOf(item.plan.idempotency);
      if (key !== null && keys.has(key)) {
        i++;
        continue;
      }
      if (key !== null) keys.add(key);
      batch.push(item);
      this.queue.splice(i, 1);
    }
    return batch;
  }

  private alone(item: Queued): Promise<void> {
    return this.options.alone(item.fn).then(item.resolve, item.reject);
  }

  private async runBatch(batch: Queued[]): Promise<void> {
    let outcomes: Outcome[];
    try {
      outcomes = await this.driver.transaction((session) => this.apply(this.options.counted(session), batch));
    } catch (e) {
      // The database is away or too busy: no unit committed, and running them one by one would
      // only meet the same. Every caller gets the error it would have got alone. A lock not
      // granted in time is not that: it belongs to the units that wanted that row, and the others
      // would have committed alone.
      if (isConnectionBroken(e) || (isUnavailable(e) && !waitedTooLong(e))) {
        const error = this.options.wrap(e);
        for (const item of batch) item.reject(error);
        return;
      }
      // Failed as a whole for a reason that belongs to one unit (a wallet that already exists,
      // text the database refuses, a point account opened concurrently): each runs on its own, so
      // none is failed by a neighbour, one after another in arrival order, as the batch would have.
      this.options.onStatement?.('batch_fallback');
      for (const item of batch) await this.alone(item);
      return;
    }
    const again: Queued[] = [];
    for (const [i, item] of batch.entries()) {
      const outcome = outcomes[i] as Outcome;
      if (outcome.kind === 'value') item.resolve(outcome.value);
      else if (outcome.kind === 'error') item.reject(outcome.error);
      else again.push(item);
    }
    for (const item of again) await this.alone(item);
  }

  private async apply(session: SqlSession, batch: readonly Queued[]): Promise<Outcome[]> {
    const claims = await claimKeys(session, batch);
    const locked = await lockPlans(session, batch);
    const outcomes: Outcome[] = [];
    const changes: Changes[] = [];
    const responses: (KeyRef & { body: string })[] = [];
    const released: KeyRef[] = [];
    for (const [i, item] of batch.entries()) {
      const claim = claims.get(i);
      const unit = new PlannedUnitOfWork(locked, item.plan, claim);
      const key = item.plan.idempotency;
      try {
        const value = await item.fn(unit);
        unit.commitTo(locked);
        changes.push(...unit.changes);
        if (key !== null && claim !== undefined && claim !== RELEASED && claim.status === 'claimed') {
          if (unit.response === null) released.push(key);
          else responses.push({ scope: key.scope, key: key.key, body: unit.response });
        }
        outcomes.push({ kind: 'value', value });
      } catch (e) {
        if (key !== null && claim !== undefined && claim !== RELEASED && claim.status === 'claimed') released.push(key);
        // A domain error is the unit's own answer; anything else (a lock outside its plan, a key
        // released under it) is settled by running it on its own after this batch.
        outcomes.push(isWalletError(e) ? { kind: 'error', error: e } : { kind: 'alone' });
      }
    }
    const flush = flushOf(changes, responses, released);
    if (flush !== null) await session.query(flush.statement.text, flush.params, flush.statement.name);
    return outcomes;
  }
}

/** The batch's claims by position in the batch: one INSERT for every key, one read for those taken before. */
async function claimKeys(session: SqlSession, batch: readonly Queued[]): Promise<Map<number, BatchClaim>> {
  const claims = new Map<number, BatchClaim>();
  const keyed = [...batch.entries()].filter((e): e is [number, Queued & { plan: { idempotency: IdempotencyRequest } }] => e[1].plan.idempotency !== null);
  if (keyed.length === 0) return claims;
  const requests = keyed.map(([, item]) => item.plan.idempotency);
  const inserted = await session.query(
    q.claimKeys.text,
    [storableJson(requests.map((r) => ({ scope: r.scope, key: r.key, fingerprint: r.fingerprint, created_at: r.now.toISOString() })))],
    q.claimKeys.name,
  );
  const taken = new Set(inserted.map((r) => keyOf({ scope: String(r.scope), key: String(r.key) })));
  const others = requests.filter((r) => !taken.has(keyOf(r)));
  // A statement of its own: after the INSERT waited for a concurrent holder, only a new snapshot sees its row.
  const stored = new Map<string, Row>();
  if (others.length > 0) {
    const params = [storableJson(others.map((r) => ({ scope: r.scope, key: r.key }))), [...new Set(others.map((r) => r.scope))], others.map((r) => r.key)];
    for (const row of await session.query(q.readKeys.text, params, q.readKeys.name)) {
      stored.set(keyOf({ scope: String(row.scope), key: String(row.key) }), row);
    }
  }
  for (const [i, item] of keyed) {
    const k = keyOf(item.plan.idempotency);
    if (taken.has(k)) {
      claims.set(i, { status: 'claimed' });
      continue;
    }
    const row = stored.get(k);
    claims.set(
      i,
      !row || row.response === null || row.response === undefined
        ? RELEASED
        : { status: 'replay', fingerprint: String(row.fingerprint), response: JSON.parse(String(row.response)) },
    );
  }
  return claims;
}

/** The aggregates a batch holds locked, as the units before the current one left them. */
interface Locked {
  readonly wallets: Map<string, Wallet>;
  /** By user id. */
  readonly accounts: Map<string, PointAccount>;
}

async function lockPlans(session: SqlSession, batch: readonly Queued[]): Promise<Locked> {
  const walletIds = [...new Set(batch.flatMap((item) => item.plan.wallets))];
  const userIds = [...new Set(batch.flatMap((item) => item.plan.pointAccounts))];
  let walletRows: Row[] = [];
  let accountRows: Row[] = [];
  if (walletIds.length > 0 && userIds.length > 0) {
    const [row] = await session.query(q.lockWalletsAndAccounts.text, [walletIds, userIds], q.lockWalletsAndAccounts.name);
    walletRows = jsonRows(row?.wallets);
    accountRows = jsonRows(row?.accounts);
  } else if (walletIds.length > 0) {
    walletRows = await session.query(q.lockWallets.text, [walletIds], q.lockWallets.name);
  } else if (userIds.length > 0) {
    accountRows = await session.query(q.lockAccountsByUsers.text, [userIds], q.lockAccountsByUsers.name);
  }
  // After the lock, in statements of their own: their snapshots see what the previous lock holders committed.
  const withHolds = walletRows.filter(hasHolds).map((r) => String(r.id));
  const holds = withHolds.length === 0 ? [] : await session.query(q.activeHolds.text, [withHolds], q.activeHolds.name);
  const lots = accountRows.length === 0 ? [] : await session.query(q.openLots.text, [accountRows.map((a) => String(a.id))], q.openLots.name);
  const holdsOf = new Map<string, Row[]>();
  for (const h of holds) {
    const list = holdsOf.get(String(h.wallet_id));
    if (list) list.push(h);
    else holdsOf.set(String(h.wallet_id), [h]);
  }
  return {
    wallets: new Map(walletRows.map((r) => [String(r.id), walletFromRow(r, holdsOf.get(String(r.id)) ?? [])])),
    accounts: new Map(accountRows.map((a) => [String(a.user_id), accountFromRows(a, lots)])),
  };
}

function jsonRows(v: unknown): Row[] {
  if (v === null || v === undefined) return [];
  return (typeof v === 'string' ? JSON.parse(v) : v) as Row[];
}

const copyWallet = (w: Wallet) => Wallet.restore(w.snapshot, w.activeHolds);
const copyAccount = (a: PointAccount) => PointAccount.restore(a.snapshot, a.openLots);

/**
 * One unit's view of a batch: its claim as the batch's statement settled it, and copies of the
 * locked aggregates its plan named. What it saves reaches the batch only if it succeeds.
 */
class PlannedUnitOfWork implements UnitOfWork {
  readonly changes: Changes[] = [];
  response: string | null = null;
  private readonly wallets = new Map<string, Wallet>();
  private readonly accounts = new Map<string, PointAccount | null>();

  constructor(
    private readonly locked: Locked,
    private readonly plan: LockPlan,
    private readonly claim: BatchClaim | undefined,
  ) {}

  claimIdempotencyKey(request: IdempotencyRequest): Promise<IdempotencyClaim> {
    const planned = this.plan.idempotency;
    if (planned === null || this.claim === undefined || planned.scope !== request.scope || planned.key !== request.key) {
      return Promise.reject(new OutsideLockPlan('idempotency key not in the plan'));
    }
    if (this.claim === RELEASED) return Promise.reject(new RetryableConflict('idempotency key released while claiming it'));
    return Promise.resolve(this.claim);
  }

  completeIdempotencyKey(response: unknown): void {
    this.response = JSON.stringify(response);
  }

  lockWallets(ids: readonly string[]): Promise<ReadonlyMap<string, Wallet>> {
    const out = new Map<string, Wallet>();
    for (const id of ids) {
      if (!this.plan.wallets.includes(id)) return Promise.reject(new OutsideLockPlan(`wallet ${id} not in the plan`));
      let copy = this.wallets.get(id);
      if (copy === undefined) {
        const current = this.locked.wallets.get(id);
        if (current === undefined) continue;
        copy = copyWallet(current);
        this.wallets.set(id, copy);
      }
      out.set(id, copy);
    }
    return Promise.resolve(out);
  }

  lockPointAccount(userId: string): Promise<PointAccount | null> {
    if (!this.plan.pointAccounts.includes(userId)) return Promise.reject(new OutsideLockPlan(`point account of ${userId} not in the plan`));
    if (!this.accounts.has(userId)) {
      const current = this.locked.accounts.get(userId);
      this.accounts.set(userId, current === undefined ? null : copyAccount(current));
    }
    return Promise.resolve(this.accounts.get(userId) ?? null);
  }

  findHold(): Promise<Hold | null> {
    return Promise.reject(new OutsideLockPlan('findHold is not planned'));
  }
  findWalletTransaction(): Promise<FoundWalletTransaction | null> {
    return Promise.reject(new OutsideLockPlan('findWalletTransaction is not planned'));
  }
  refundedAmount(_original: WalletTransaction): Promise<Money> {
    return Promise.reject(new OutsideLockPlan('refundedAmount is not planned'));
  }
  lockPointAccountByLot(): Promise<PointAccount | null> {
    return Promise.reject(new OutsideLockPlan('lockPointAccountByLot is not planned'));
  }
  lockPointAccountByTransaction(): Promise<LockedPointTransaction | null> {
    return Promise.reject(new OutsideLockPlan('lockPointAccountByTransaction is not planned'));
  }
  lockPointAccountsWithExpiredLots(): Promise<PointAccount[]> {
    return Promise.reject(new OutsideLockPlan('lockPointAccountsWithExpiredLots is not planned'));
  }

  save(changes: Changes): void {
    this.changes.push(changes);
  }

  /** The unit succeeded: the aggregates it saved are what the next unit of the batch sees. */
  commitTo(locked: Locked): void {
    for (const c of this.changes) {
      if ('wallet' in c) locked.wallets.set(c.wallet.id, c.wallet);
      else locked.accounts.set(c.account.userId, c.account);
    }
  }
}
