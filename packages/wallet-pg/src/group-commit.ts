/**
 * The store's one executor: every unit of work runs in a batch, a lone command in a batch of
 * one. @internal
 *
 * A unit arrives with its lock plan (a resolving plan has read its facts first). Units queue while
 * a batch is in flight; the next batch leaves the moment one returns (no timer: a lone unit goes
 * at once). A batch claims every idempotency key in one statement, locks the union of the plans in
 * one statement (wallets by id, then point accounts by id), reads what the plans read under their
 * locks, runs the units one after another in memory, each against its own copies of the locked
 * aggregates (a unit that fails leaves them as they were for the next), writes everything in one
 * statement, commits once, and only then answers each caller. A batch whose connection is slow to
 * come (a new connection to a node that does not answer, in a failover), as sent or run again,
 * holds its callers only until another slot connects: that one takes them along with its own.
 */
import {
  ChainWriter,
  EXPIRED_HOLDS_PER_CHANGE,
  GIVE_BACK_TRANSACTION_TYPES,
  Money,
  OutsideLockPlan,
  PointAccount,
  RetryableConflict,
  Wallet,
  WalletAlreadyExistsError,
  isAllowanceSpend,
  isWalletError,
  type BookedSpend,
  type FactReader,
  type IdempotencyClaim,
  type LockPlan,
  type LockedPointTransaction,
  type LotClaim,
  type PointAccountChanges,
  type PointAccountState,
  type PointLot,
  type PointTransaction,
  type ResolvingLockPlan,
  type UnitOfWork,
  type WalletChanges,
  type WalletTransaction,
  type LedgerKeyring,
} from '@goodgo/wallet-core';
import { context, isSpanContextValid, SpanKind, SpanStatusCode, trace, type Context, type Link } from '@opentelemetry/api';
import { isConnectionBroken, isRetryable, isUnavailable, sqlState, type Row, type SqlDriver, type SqlSession } from './driver.js';
import { toWalletError } from './errors.js';
import { activeTraceparent } from './traceparent.js';
import * as q from './sql/batch.js';
import type { Statement } from './sql/statement.js';
import { BatchWrite, type KeyRef } from './sql/write.js';
import {
  accountStateFromRow,
  chainHeadOf,
  claimFromRow,
  hasAllowances,
  hasHolds,
  jsonRow,
  jsonRows,
  lotFromRow,
  pointTransactionFromRow,
  walletFromRow,
  walletTransactionFromRow,
} from './rows.js';

type Changes = WalletChanges | PointAccountChanges;

/** A batch sent on one of the slots: its units (moved to another slot that connected first) and what it holds. */
interface Slot {
  batch: Queued[];
  readonly locks: Set<string>;
  /** True until the event loop's turn its connection was asked for in ends. */
  sameTurn: boolean;
  /** Counts the connections asked for: only the latest one's turn ends `sameTurn`. */
  turn: number;
}

/** What one transaction of a slot came to: the units it carried (none once taken over), and their outcomes or its error. */
type Step =
  | { readonly ok: true; readonly units: readonly Queued[]; readonly outcomes: Outcome[] }
  | { readonly ok: false; readonly connected: boolean; readonly units: readonly Queued[]; readonly error: unknown };
type Unit<T> = (uow: UnitOfWork) => Promise<T>;

interface Queued {
  readonly fn: Unit<unknown>;
  /** The caller's active context (its command's span): the batch links to it. */
  readonly trace: Context;
  /** Null until the batch that takes the unit resolves it (`resolver`). */
  readonly plan: LockPlan | null;
  readonly resolver: ResolvingLockPlan | null;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * A unit's fate inside a committed batch: answered with its value or its own error, run again (its
 * key was released under it, or another unit of the batch had it), or set aside (a row it wants
 * was held elsewhere, or a unit set aside before it wants one of its rows) to wait for it after
 * the batch commits.
 */
type Outcome =
  | { readonly kind: 'value'; readonly value: unknown }
  | { readonly kind: 'error'; readonly error: unknown }
  | { readonly kind: 'again' }
  | { readonly kind: 'aside' };

/** A claim the batch could not settle: the key's holder rolled back between the INSERT and the read. */
const RELEASED = Symbol('released');
type BatchClaim = IdempotencyClaim | typeof RELEASED;

export interface GroupCommitOptions {
  /** Most units in one batch. */
  readonly maxBatchSize: number;
  /** Most batches in flight at once, each on its own connection. */
  readonly maxInFlight: number;
  /** How many times a batch of one runs at most when it meets a deadlock or a serialization failure. */
  readonly maxAttempts: number;
  /** Marks what the executor did beside its statements (`retry`, `batch_fallback`), for tests and benchmarks. */
  readonly onStatement?: ((name: string) => void) | undefined;
  readonly onBatch?: ((size: number) => void) | undefined;
  /** The keys the batch's ledger rows are chained with. */
  readonly ledgerKeys: LedgerKeyring;
}

/** The smallest batch worth a slot of its own when the queue is split. */
const MIN_SPLIT_BATCH = 8;
const keyOf = (k: KeyRef) => `${k.scope}\u0000${k.key}`;
const pairOf = (userId: string, currency: string) => `${userId}\u0000${currency}`;
/** Everything a plan holds for the length of its batch, as names that cannot collide across kinds. */
const locksOf = (plan: LockPlan | null): string[] =>
  plan === null
    ? []
    : [
        ...plan.wallets.map((id) => `w:${id}`),
        ...plan.pointAccounts.map((userId) => `a:${userId}`),
        ...(plan.idempotency === null ? [] : [`k:${keyOf(plan.idempotency)}`]),
        ...(plan.newWallets ?? []).map((p) => `p:${pairOf(p.userId, p.currency)}`),
      ];
const NO_PLAN: LockPlan = { wallets: [], pointAccounts: [], idempotency: null };
/** A lock not granted within the lock timeout, or a statement cancelled by its timeout. */
const waitedTooLong = (e: unknown) => {
  const state = sqlState(e);
  return state === '55P03' || state === '57014';
};
/**
 * Every statement of a batch names its rows by arrays of ids or of rows; PostgreSQL would plan
 * them anew on every execution (see `TransactionOptions.genericPlans`), the write most of all.
 */
const GENERIC_PLANS = { genericPlans: true } as const;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class GroupCommit {
  private readonly queue: Queued[] = [];
  private inFlight = 0;
  /** Slots (a batch as sent, or run again) whose connection has not come yet, in the order they asked for it. */
  private readonly connecting = new Set<Slot>();
  /**
   * What each batch in flight holds (its rows, keys and new wallets' pairs, see `locksOf`), and how
   * many units it carries now: none once a slot that connected first took them, one when they run
   * one at a time, the units set aside while they wait.
   */
  private readonly held = new Map<ReadonlySet<string>, number>();
  /**
   * Each resolving unit's plan as a batch resolved it, for the unit's later runs (set aside, run
   * again, one at a time): its facts never change, so they are not read again.
   */
  private readonly resolvedPlans = new WeakMap<Queued, LockPlan>();

  constructor(
    private readonly driver: SqlDriver,
    /** The resolve step's reads over a batch's session. */
    private readonly factsOf: (session: SqlSession) => FactReader,
    private readonly options: GroupCommitOptions,
  ) {}

  /**
   * Queues a unit. A resolving plan is resolved by the batch that takes the unit, in its own
   * transaction, with every other unit's: the facts are read once for the batch, not once per
   * command before it queues (one round trip less for each).
   */
  run<T>(fn: Unit<T>, planned: LockPlan | ResolvingLockPlan): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const [plan, resolver] = typeof planned === 'function' ? [null, planned] : [planned, null];
      this.queue.push({ fn: fn as Unit<unknown>, trace: context.active(), plan, resolver, resolve: resolve as (value: unknown) => void, reject });
      // Nothing in flight: it leaves at once, a batch of one. Otherwise it waits for a batch to
      // return, unless a batch still waits for a connection that did not come in the turn it was
      // sent (an idle connection comes at once): then it leaves on a free slot, which takes the
      // stalled batch's callers too when it connects first.
      if (this.inFlight === 0 || this.stalled()) this.pump();
    });
  }

  /**
   * Sends what is queued over the free slots. A batch takes, in arrival order, every unit that
   * shares no row, key or new wallet's pair with a batch in flight (nor with a unit passed over
   * before it: what one row sees keeps its arrival order). With two free slots, the queue is split
   * when the second part is still a real batch of its own rows, so that one batch's Node work
   * overlaps the other's database work; when most units want the same rows (a hot merchant, a few
   * accounts), they leave as one batch instead of two that would wait for each other's locks. Batches
   * in flight together lock in one order (keys, wallets, point accounts, each sorted) all the same.
   */
  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.queue.length > 0) {
      const busy = new Set<string>();
      for (const locks of this.held.keys()) for (const lock of locks) busy.add(lock);
      const all = this.select(busy, this.options.maxBatchSize);
      if (all.length === 0) return;
      // Beside a batch in flight more than twice its size, a batch waits for that one to return,
      // and then leaves with its callers, split evenly over both slots. Otherwise each slot sends
      // back its own callers when it returns: once uneven (a unit set aside or run again moves a
      // caller to the other slot's next batch), a slot of one command cycles beside one of 63,
      // each of its commands paying a whole transaction (bench 2c, captures and refunds: batches
      // p50 1, p99 63). A batch still waiting for its connection since an earlier turn is not
      // waited for: that is a failover, and the batch that leaves now takes its callers along.
      if (2 * all.length < this.largestConnected()) return;
      let chosen = all;
      if (this.options.maxInFlight - this.inFlight >= 2 && all.length >= 2 * MIN_SPLIT_BATCH) {
        const first = all.slice(0, Math.ceil(all.length / 2));
        for (const item of first) for (const lock of locksOf(item.plan)) busy.add(lock);
        const rest = this.select(busy, this.options.maxBatchSize, new Set(first));
        if (rest.length >= MIN_SPLIT_BATCH) chosen = first;
      }
      const taken = new Set(chosen);
      for (let i = this.queue.length - 1; i >= 0; i--) if (taken.has(this.queue[i] as Queued)) this.queue.splice(i, 1);
      this.send(chosen);
    }
  }

  private stalled(): boolean {
    for (const slot of this.connecting) if (!slot.sameTurn) return true;
    return false;
  }

  /** The most units a batch in flight carries, the batches stalled on their connection left out. */
  private largestConnected(): number {
    const stalled = new Set<ReadonlySet<string>>();
    for (const slot of this.connecting) if (!slot.sameTurn) stalled.add(slot.locks);
    let largest = 0;
    for (const [locks, units] of this.held) if (units > largest && !stalled.has(locks)) largest = units;
    return largest;
  }

  private send(chosen: Queued[]): void {
    this.inFlight += 1;
    const slot: Slot = { batch: chosen, locks: new Set(chosen.flatMap((item) => locksOf(item.plan))), sameTurn: true, turn: 0 };
    this.held.set(slot.locks, chosen.length);
    const sent = this.work(slot, true).catch((e: unknown) => {
      // Not expected (work answers its callers), but no caller may be left waiting.
      for (const item of slot.batch) item.reject(toWalletError(e));
    });
    void sent.then(() => {
      this.connecting.delete(slot);
      const { locks } = slot;
      this.held.delete(locks);
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
   * Runs a slot's units until each is answered or a slot that connected first took them: the batch
   * as sent, then what it could not settle (units set aside, units to run again, a batch that failed
   * as a whole). Every run takes its connection as the first did (`step`): a rerun whose connection
   * hangs (a failover) holds no one either, neither its own callers nor the queue.
   */
  private async work(slot: Slot, sent: boolean): Promise<void> {
    /** Runs of each unit as a batch of one, for the deadlock retries. */
    const attempts = new Map<Queued, number>();
    const attemptOf = (item: Queued) => attempts.get(item) ?? 1;
    /** The units set aside, to run together next and wait for their rows; null: one at a time. */
    let together: ReadonlySet<Queued> | null = null;
    let first = sent;
    while (slot.batch.length > 0) {
      const wait = together;
      const asSent = first;
      first = false;
      together = null;
      const pick = asSent
        ? (carried: Queued[]) => [...carried]
        : wait !== null
          ? (carried: Queued[]) => carried.filter((item) => wait.has(item))
          : (carried: Queued[]) => carried.slice(0, 1);
      const attempt = asSent || wait !== null ? 1 : attemptOf(slot.batch[0] as Queued);
      // A batch of several skips the rows held elsewhere, unless it is made of units set aside.
      const ran = await this.step(slot, pick, attempt, asSent, wait === null);
      const { units } = ran;
      /** The units of this run that run again, in this slot. */
      const kept = new Set<Queued>();
      let alone: Queued[] = [];
      if (!ran.ok) {
        const e = ran.error;
        const [only] = units;
        if (!ran.connected || isConnectionBroken(e) || (isUnavailable(e) && !waitedTooLong(e))) {
          // The database is away or too busy: no unit committed, and running them one by one would
          // only meet the same. Every caller gets the error it would have got alone. A lock not
          // granted in time is not that: it belongs to the units that wanted that row.
          const error = toWalletError(e);
          for (const item of units) item.reject(error);
        } else if (units.length === 1 && only) {
          const error = unitError(e, only.plan ?? NO_PLAN);
          if ((isRetryable(error) || error instanceof RetryableConflict) && attemptOf(only) < this.options.maxAttempts) {
            this.options.onStatement?.('retry');
            const runs = attemptOf(only);
            attempts.set(only, runs + 1);
            kept.add(only);
            // Full jitter, growing with each attempt, so that the contenders stop meeting again.
            await sleep(Math.random() * Math.min(100, 2 ** runs));
          } else only.reject(toWalletError(error));
        } else {
          // What only the write could tell (a deadlock with a writer outside our lock order, a pair
          // opened by a concurrent batch after our check): each unit runs as a batch of its own, so
          // none is failed by a neighbour. After a lock timeout they run side by side, so that a row
          // held too long holds up only the units that want it; otherwise one after another, in
          // arrival order, as the batch would have.
          this.options.onStatement?.('batch_fallback');
          if (waitedTooLong(e)) alone = [...units];
          else for (const item of units) kept.add(item);
        }
      } else {
        const aside: Queued[] = [];
        for (const [i, item] of units.entries()) {
          const outcome = ran.outcomes[i] as Outcome;
          if (outcome.kind === 'value') item.resolve(outcome.value);
          else if (outcome.kind === 'error') item.reject(outcome.error);
          else if (outcome.kind === 'aside') {
            aside.push(item);
            kept.add(item);
          } else if (attemptOf(item) < this.options.maxAttempts) {
            attempts.set(item, attemptOf(item) + 1);
            kept.add(item);
          } else item.reject(toWalletError(new RetryableConflict('idempotency key released while claiming it')));
        }
        // The others are answered; the units set aside wait together next, as one batch that
        // queues for its rows (a lock timeout then splits it as above); the units to run again
        // follow, one at a time.
        if (aside.length > 0) {
          this.options.onStatement?.('set_aside');
          together = new Set(aside);
        }
      }
      const done = new Set(units.filter((item) => !kept.has(item)));
      slot.batch = slot.batch.filter((item) => !done.has(item));
      if (slot.batch.length === 0 && alone.length === 0) break;
      // The slot now holds only what it still carries, and counts as the units of its next run (see
      // `held`), so that the answered callers' next commands may leave in another slot meanwhile.
      slot.locks.clear();
      for (const item of slot.batch) for (const lock of locksOf(item.plan)) slot.locks.add(lock);
      this.held.set(slot.locks, together !== null ? together.size : Math.min(1, slot.batch.length));
      this.pump();
      if (alone.length > 0) await Promise.all(alone.map((item) => this.alone(item)));
    }
  }

  /** A unit of a batch that failed on a lock timeout, run as a batch of its own beside the others, in a slot of its own. */
  private async alone(item: Queued): Promise<void> {
    const slot: Slot = { batch: [item], locks: new Set(locksOf(item.plan)), sameTurn: true, turn: 0 };
    this.held.set(slot.locks, 1);
    try {
      await this.work(slot, false);
    } catch (e) {
      for (const unit of slot.batch) unit.reject(toWalletError(e));
    } finally {
      this.connecting.delete(slot);
      this.held.delete(slot.locks);
    }
  }

  /**
   * One transaction for a slot, on a connection taken the same way for a batch as sent and for
   * every rerun. Until the connection comes, the slot's units can still be taken: once the
   * event-loop turn it was asked in has ended without a connection, commands queued or arriving
   * meanwhile leave on a free slot (see `run` and `pump`), and a sent batch that connects first
   * takes them along, ahead of its own (`take`). The units this run carries (`pick`, of what the
   * slot still carries) are chosen only when it connects, so a unit taken over never also runs
   * here; a run that never connects answers what the slot still carries (nothing, once taken).
   */
  private async step(slot: Slot, pick: (carried: Queued[]) => Queued[], attempt: number, take: boolean, skip: boolean): Promise<Step> {
    const turn = ++slot.turn;
    slot.sameTurn = true;
    this.connecting.add(slot);
    setImmediate(() => {
      if (slot.turn !== turn || !this.connecting.has(slot)) return;
      slot.sameTurn = false;
      // Its connection did not come in the turn it was asked in: what queued beside it, waiting for
      // it as for a larger batch (see `pump`), leaves now on a free slot.
      this.pump();
    });
    /** Chosen when it connects; null while it has not. */
    const picked: { units: Queued[] | null } = { units: null };
    try {
      const outcomes = await this.driver.transaction((session) => {
        this.connecting.delete(slot);
        if (take) {
          // Connected first: the stalled slots (still waiting since an earlier turn) leave here,
          // before this one's own units (they were sent or set to run first), with the rows they
          // hold. One asked for in this turn (the other half of a split queue) is not stalled: it
          // connects in a moment.
          const batch: Queued[] = [];
          for (const other of this.connecting) {
            if (other.sameTurn) continue;
            batch.push(...other.batch);
            for (const lock of other.locks) slot.locks.add(lock);
            other.batch = [];
            other.locks.clear();
            this.held.set(other.locks, 0);
          }
          batch.push(...slot.batch);
          slot.batch = batch;
          this.held.set(slot.locks, batch.length);
        }
        const chosen = pick(slot.batch);
        picked.units = chosen;
        if (chosen.length === 0) return Promise.resolve([]);
        if (take) this.options.onBatch?.(chosen.length);
        return traceBatch(chosen, attempt, () => this.apply(session, chosen, skip && chosen.length > 1));
      }, GENERIC_PLANS);
      return { ok: true, units: picked.units ?? [], outcomes };
    } catch (error) {
      this.connecting.delete(slot);
      const { units } = picked;
      return units === null ? { ok: false, connected: false, units: [...slot.batch], error } : { ok: false, connected: true, units, error };
    }
  }

  /**
   * The units of the next batch, in arrival order, up to `limit`, none sharing anything with
   * `busy`. A unit whose key is already in the batch waits for the next one: by then the first has
   * committed, and it replays that answer, exactly as a concurrent duplicate does. A unit passed
   * over makes its rows busy for the units after it.
   */
  private select(busy: ReadonlySet<string>, limit: number, skip: ReadonlySet<Queued> = new Set()): Queued[] {
    const batch: Queued[] = [];
    const keys = new Set<string>();
    const blocked = new Set(busy);
    for (const item of this.queue) {
      if (batch.length >= limit) break;
      if (skip.has(item)) continue;
      const key = item.plan === null || item.plan.idempotency === null ? null : keyOf(item.plan.idempotency);
      const locks = locksOf(item.plan);
      if ((key !== null && keys.has(key)) || locks.some((lock) => blocked.has(lock))) {
        for (const lock of locks) blocked.add(lock);
        continue;
      }
      if (key !== null) keys.add(key);
      batch.push(item);
    }
    return batch;
  }

  private async apply(session: SqlSession, batch: readonly Queued[], skip: boolean): Promise<Outcome[]> {
    // The resolve steps first, together: their facts never change, so reading them in this
    // transaction before any lock is as good as before it, and costs the batch one statement.
    const facts = this.factsOf(session);
    const planOf = (item: Queued): Promise<LockPlan> => {
      if (item.resolver === null) return Promise.resolve(item.plan ?? NO_PLAN);
      const known = this.resolvedPlans.get(item);
      return known === undefined ? item.resolver(facts) : Promise.resolve(known);
    };
    const resolved = await Promise.allSettled(batch.map(planOf));
    const failed = resolved.find((r): r is PromiseRejectedResult => r.status === 'rejected' && !isWalletError(r.reason));
    if (failed) throw failed.reason;
    const plans = resolved.map((r) => (r.status === 'fulfilled' ? r.value : null));
    for (const [i, item] of batch.entries()) {
      const plan = plans[i];
      if (item.resolver !== null && plan) this.resolvedPlans.set(item, plan);
    }
    // A key the batch already has (known only now, for a resolved unit) waits for the next one.
    const keys = new Set<string>();
    const twice = plans.map((plan) => {
      const key = plan === null || plan.idempotency === null ? null : keyOf(plan.idempotency);
      if (key === null) return false;
      if (keys.has(key)) return true;
      keys.add(key);
      return false;
    });
    const units = batch.map((item, i) => ({ item, plan: twice[i] ? null : (plans[i] ?? null) }));
    const claims = await claimKeys(session, units);
    // A replay needs no lock: only the units that run take theirs.
    const running = units.flatMap(({ plan }, i) => {
      const claim = claims.get(i);
      return plan !== null && (claim === undefined || (claim !== RELEASED && claim.status === 'claimed')) ? [plan] : [];
    });
    const locked = await lockPlans(session, running, skip);
    // What a unit set aside wants is closed to the units after it: each row sees its units in
    // arrival order.
    const blocked = new Set(locked.heldElsewhere);
    const outcomes: Outcome[] = [];
    // Each wallet's rows link onto its chain head as loaded under the lock, in the order the units ran.
    const write = new BatchWrite(new ChainWriter(this.options.ledgerKeys, (walletId) => locked.heads.get(walletId) ?? null));
    for (const [i, { item, plan }] of units.entries()) {
      const settled = resolved[i];
      if (settled?.status === 'rejected') {
        outcomes.push({ kind: 'error', error: settled.reason });
        continue;
      }
      if (plan === null) {
        outcomes.push({ kind: 'again' });
        continue;
      }
      const claim = claims.get(i);
      const key = plan.idempotency;
      const claimed = key !== null && claim !== undefined && claim !== RELEASED && claim.status === 'claimed';
      if (blocked.size > 0 && (claim === undefined || claimed)) {
        const wants = locksOf(plan);
        if (wants.some((lock) => blocked.has(lock))) {
          for (const lock of wants) blocked.add(lock);
          // Its claim is undone with the batch's write: it claims its key again when it runs.
          if (claimed) write.release(key);
          outcomes.push({ kind: 'aside' });
          continue;
        }
      }
      const unit = new PlannedUnitOfWork(locked, plan, claim);
      try {
        const value = await item.fn(unit);
        write.add(
          unit.changes,
          claimed && unit.response !== null ? { scope: key.scope, key: key.key, body: unit.response } : null,
          activeTraceparent(item.trace),
        );
        if (claimed && unit.response === null) write.release(key);
        unit.commitTo(locked);
        outcomes.push({ kind: 'value', value });
      } catch (e) {
        if (claimed) write.release(key);
        if (claim === RELEASED) outcomes.push({ kind: 'again' });
        // A domain error or a text that cannot be stored is the unit's own answer; anything else
        // (a lock outside its plan) is a fault of the unit, answered as a storage failure.
        else outcomes.push({ kind: 'error', error: isWalletError(e) ? e : toWalletError(e) });
      }
    }
    const flush = write.statement();
    if (flush !== null) await session.query(flush.statement.text, flush.params, flush.statement.name);
    return outcomes;
  }
}

/** A batch of one failed in the database: what that unit's own error is. */
function unitError(e: unknown, plan: LockPlan): unknown {
  const constraint = (e as { constraint?: unknown } | null)?.constraint;
  if (sqlState(e) === '23505') {
    const [pair] = plan.newWallets ?? [];
    if (constraint === 'wallets_user_currency_open_key' && pair) return new WalletAlreadyExistsError(pair.userId, pair.currency);
    // Another batch opened this user's point account first: running again finds and locks it.
    if (constraint === 'point_accounts_user_key') return new RetryableConflict('point account created concurrently', { cause: e });
  }
  return e;
}

/** The batch's claims by position in the batch: one INSERT for every key, one read for those taken before. */
const tracer = trace.getTracer('@goodgo/wallet-pg');

/**
 * One span for each transaction a batch runs, its statements' spans below it. A batch has many
 * parents: it links to the span of every command it carries, and is the child of the first one's
 * (so that a lone command's trace holds its batch and its SQL). Without an SDK the API's no-op
 * tracer makes this a pass-through.
 */
function traceBatch<T>(batch: readonly Queued[], attempt: number, run: () => Promise<T>): Promise<T> {
  const links: Link[] = [];
  for (const item of batch) {
    const sc = trace.getSpanContext(item.trace);
    if (sc !== undefined && isSpanContextValid(sc)) links.push({ context: sc });
  }
  const attributes = { 'db.system.name': 'postgresql', 'db.operation.batch.size': batch.length, 'wallet.batch.attempt': attempt };
  const parent = batch[0]?.trace ?? context.active();
  return tracer.startActiveSpan('wallet.batch', { kind: SpanKind.INTERNAL, links, attributes }, parent, async (span) => {
    try {
      return await run();
    } catch (e) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      if (e instanceof Error) span.recordException(e);
      throw e;
    } finally {
      span.end();
    }
  });
}

async function claimKeys(session: SqlSession, units: readonly { plan: LockPlan | null }[]): Promise<Map<number, BatchClaim>> {
  const claims = new Map<number, BatchClaim>();
  const keyed = units.flatMap(({ plan }, i) => (plan === null || plan.idempotency === null ? [] : [{ i, request: plan.idempotency }]));
  if (keyed.length === 0) return claims;
  const inserted = await session.query(
    q.claimKeys.text,
    [
      keyed.map((k) => k.request.scope),
      keyed.map((k) => k.request.key),
      keyed.map((k) => k.request.fingerprint),
      keyed.map((k) => k.request.now.toISOString()),
    ],
    q.claimKeys.name,
  );
  const taken = new Set(inserted.map((r) => keyOf({ scope: String(r.scope), key: String(r.key) })));
  const others = keyed.filter((k) => !taken.has(keyOf(k.request)));
  const stored = new Map<string, Row>();
  if (others.length > 0) {
    const params = [others.map((k) => k.request.scope), others.map((k) => k.request.key)];
    for (const row of await session.query(q.readKeys.text, params, q.readKeys.name)) {
      stored.set(keyOf({ scope: String(row.scope), key: String(row.key) }), row);
    }
  }
  for (const { i, request } of keyed) {
    const k = keyOf(request);
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

/** A locked point account as the units before the current one left it: its state and every lot loaded or changed. */
interface LockedAccount {
  readonly state: PointAccountState;
  readonly lots: Map<string, PointLot>;
}

/** A points row a plan named, with what each of its lots gave and got back so far. */
interface LockedPointRow {
  readonly transaction: PointTransaction;
  readonly claims: Map<string, LotClaim>;
}

/** What a batch holds locked and read under its locks, as the units before the current one left it. */
interface Locked {
  readonly wallets: Map<string, Wallet>;
  /** By user id. */
  readonly accounts: Map<string, LockedAccount>;
  /** Open wallets' (user, currency) pairs among those the plans open wallets for. */
  readonly takenPairs: Set<string>;
  /** What refunds gave back of each wallet ledger row named in a plan's `refundsOf`. */
  readonly refunded: Map<string, Money>;
  readonly pointRows: Map<string, LockedPointRow>;
  /** What was booked under the (allowance, seq) pairs the plans named in `bookedSpends`, by `spendKey`. */
  readonly booked: Map<string, BookedSpend>;
  /** Each locked wallet's chain head, as loaded. */
  readonly heads: ReadonlyMap<string, string | null>;
  /** The rows a skipping lock left out because another transaction holds them, as `locksOf` names them. */
  readonly heldElsewhere: ReadonlySet<string>;
  /** Each plan's clock as read by this run, after its locks (only when a locked wallet has holds): its unit's `now` in this run. */
  readonly clocks: ReadonlyMap<LockPlan, Date>;
}

const spendKey = (allowanceId: string, seq: number) => `${allowanceId}:${seq}`;

async function lockPlans(session: SqlSession, plans: readonly LockPlan[], skip: boolean): Promise<Locked> {
  const walletIds = [...new Set(plans.flatMap((p) => p.wallets))];
  const userIds = [...new Set(plans.flatMap((p) => p.pointAccounts))];
  const pairs = plans.flatMap((p) => p.newWallets ?? []);
  const refundsOf = [...new Set(plans.flatMap((p) => p.refundsOf ?? []))];
  const pointRowIds = [...new Set(plans.flatMap((p) => p.pointTransactions ?? []))];
  const spends = plans.flatMap((p) => p.bookedSpends ?? []);
  let walletRows: Row[] = [];
  let accountRows: Row[] = [];
  const run = (statement: Statement, params: readonly unknown[]) => session.query(statement.text, params, statement.name);
  const taken = new Set<string>();
  if (pairs.length > 0) {
    const wanted = new Set(pairs.map((p) => pairOf(p.userId, p.currency)));
    for (const r of await run(q.takenPairs, [[...new Set(pairs.map((p) => p.userId))]])) {
      const pair = pairOf(String(r.user_id), String(r.currency));
      if (wanted.has(pair)) taken.add(pair);
    }
  }
  const lock = skip ? q.skippingLocks : q.waitingLocks;
  if (walletIds.length > 0 && userIds.length > 0) {
    const [row] = await run(lock.both, [walletIds, userIds]);
    walletRows = jsonRows(row?.wallets);
    accountRows = jsonRows(row?.accounts);
  } else if (walletIds.length > 0 && refundsOf.length > 0) {
    // What was given back so far comes with the lock, where that is safe (see `givenBack`).
    walletRows = await run(lock.givenBack, [walletIds, refundsOf]);
  } else if (walletIds.length > 0) {
    walletRows = await run(lock.wallets, [walletIds]);
  } else if (userIds.length > 0) {
    accountRows = await run(lock.accounts, [userIds]);
  } else if (plans.length > 0) {
    // No row to lock (a batch that only opens wallets): the outbox lock still comes before the clock.
    await run(q.outboxWriter, []);
  }
  const heldElsewhere = new Set<string>();
  const gotWallets = new Set(walletRows.map((r) => String(r.id)));
  const gotAccounts = new Set(accountRows.map((r) => String(r.user_id)));
  const missingWallets = walletIds.filter((id) => !gotWallets.has(id));
  const missingAccounts = userIds.filter((id) => !gotAccounts.has(id));
  if (skip && missingWallets.length + missingAccounts.length > 0) {
    // A row left out is either held elsewhere or not there at all (a command naming an unknown
    // wallet, a user with no point account yet): only the held ones set their units aside.
    const [row] = await run(q.existingRows, [missingWallets, missingAccounts]);
    for (const id of (row?.wallets as string[] | undefined) ?? []) heldElsewhere.add(`w:${id}`);
    for (const userId of (row?.accounts as string[] | undefined) ?? []) heldElsewhere.add(`a:${userId}`);
  }
  // After the lock, in statements of their own: their snapshots see what the previous lock holders committed.
  // Holds and allowances only of wallets whose row says they have some: most payments touch none.
  const byWallet = async (statement: Statement, has: (r: Row) => boolean, more: readonly unknown[] = []) => {
    const ids = walletRows.filter(has).map((r) => String(r.id));
    const out = new Map<string, Row[]>();
    for (const row of ids.length === 0 ? [] : await run(statement, [ids, ...more])) {
      const list = out.get(String(row.wallet_id));
      if (list) list.push(row);
      else out.set(String(row.wallet_id), [row]);
    }
    return out;
  };
  // Holds past their expiry by the earliest of the plans' clocks (read now, after the locks: each
  // is its unit's now in this run, and only in it: a unit set aside or run again reads anew) count
  // for none of the batch's commands: of those, each wallet loads only what one change marks. A
  // plan without a clock loads them all.
  const clocks = new Map<LockPlan, Date>();
  if (walletRows.some(hasHolds)) for (const p of plans) if (p.asOf) clocks.set(p, p.asOf());
  const asOf = clocks.size < plans.length ? Number.NEGATIVE_INFINITY : Math.min(...[...clocks.values()].map((d) => d.getTime()));
  const holdsOf = await byWallet(q.activeHolds, hasHolds, [
    Number.isFinite(asOf) ? new Date(asOf).toISOString() : '-infinity',
    Number.isFinite(asOf) ? EXPIRED_HOLDS_PER_CHANGE : null,
  ]);
  const allowancesOf = await byWallet(q.activeAllowances, hasAllowances);
  const wallets = new Map(walletRows.map((r) => [String(r.id), walletFromRow(r, holdsOf.get(String(r.id)) ?? [], allowancesOf.get(String(r.id)) ?? [])]));
  const heads = new Map(walletRows.map((r) => [String(r.id), chainHeadOf(r)]));
  const refunded = new Map<string, Money>();
  for (const r of walletRows) {
    const wallet = wallets.get(String(r.id));
    if (r.given_back === null || r.given_back === undefined || wallet === undefined) continue;
    for (const [id, amount] of Object.entries(jsonRow(r.given_back))) refunded.set(id, Money.fromStorage(String(amount), wallet.currency));
  }
  // Read after the lock, in a statement of its own, unless the lock read it for every locked
  // wallet: a wallet written since the lock's snapshot (given_back null), or a lock without it.
  if (refundsOf.length > 0 && walletRows.some((r) => r.given_back === null || r.given_back === undefined)) {
    for (const r of await run(q.refundedAmounts, [refundsOf])) {
      // The row's wallet is locked by the plan that names it; a row of a wallet not found names none.
      const wallet = wallets.get(String(r.wallet_id));
      if (wallet) refunded.set(String(r.id), Money.fromStorage(String(r.refunded), wallet.currency));
    }
  }
  const accountIds = accountRows.map((a) => String(a.id));
  let lotRows: Row[] = [];
  const pointRows = new Map<string, LockedPointRow>();
  if (accountRows.length > 0 && pointRowIds.length > 0) {
    const [row] = await run(q.transactionLots, [pointRowIds, accountIds]);
    lotRows = jsonRows(row?.lots);
    const claims = jsonRows(row?.claims);
    for (const t of jsonRows(row?.transactions)) {
      const transaction = pointTransactionFromRow(t);
      const own = claims.filter((c) => String(c.transaction_id) === transaction.id).map(claimFromRow);
      pointRows.set(transaction.id, { transaction, claims: new Map(own.map((c) => [c.lotId, c])) });
    }
  } else if (accountRows.length > 0) {
    lotRows = await run(q.openLots, [accountIds]);
  }
  const accounts = new Map<string, LockedAccount>();
  for (const a of accountRows) {
    const state = accountStateFromRow(a);
    const lots = lotRows.filter((l) => String(l.account_id) === state.id).map(lotFromRow);
    accounts.set(state.userId, { state, lots: new Map(lots.map((l) => [l.id, l])) });
  }
  const booked = new Map<string, BookedSpend>();
  if (spends.length > 0) {
    const named = spends.flatMap((named) => named.seqs.map((seq) => [named.allowanceId, seq] as const));
    for (const r of await run(q.bookedSpends, [named.map(([id]) => id), named.map(([, seq]) => seq)])) {
      const toWalletId = r.counterpart_wallet_id === null || r.counterpart_wallet_id === undefined ? null : String(r.counterpart_wallet_id);
      booked.set(spendKey(String(r.allowance_id), Number(r.allowance_seq)), { transaction: walletTransactionFromRow(r), toWalletId });
    }
  }
  return { wallets, accounts, takenPairs: taken, refunded, pointRows, booked, heads, heldElsewhere, clocks };
}

const copyWallet = (w: Wallet) => Wallet.restore(w.snapshot, w.activeHolds, w.activeAllowances, w.unloadedHolds);

/**
 * One unit's view of a batch: its claim as the batch's statement settled it, and copies of what
 * the batch locked and read for its plan. What it saves reaches the batch only if it succeeds.
 */
class PlannedUnitOfWork implements UnitOfWork {
  readonly changes: Changes[] = [];
  response: string | null = null;
  private readonly wallets = new Map<string, Wallet>();
  private readonly accounts = new Map<string, PointAccount | null>();
  /** The instant this run read for the unit, if it read one: a new object each run, so never an earlier run's. */
  readonly now: Date | undefined;

  constructor(
    private readonly locked: Locked,
    private readonly plan: LockPlan,
    private readonly claim: BatchClaim | undefined,
  ) {
    this.now = locked.clocks.get(plan);
  }

  claimIdempotencyKey(request: { scope: string; key: string }): Promise<IdempotencyClaim> {
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
    return Promise.resolve(this.account(userId));
  }

  refundedAmount(original: WalletTransaction): Promise<Money> {
    const refunded = (this.plan.refundsOf ?? []).includes(original.id) ? this.locked.refunded.get(original.id) : undefined;
    if (refunded === undefined) return Promise.reject(new OutsideLockPlan(`refunds of ${original.id} not in the plan`));
    return Promise.resolve(refunded);
  }

  bookedSpends(allowanceId: string, seqs: readonly number[]): Promise<ReadonlyMap<number, BookedSpend>> {
    const named = (this.plan.bookedSpends ?? []).find((n) => n.allowanceId === allowanceId);
    const out = new Map<number, BookedSpend>();
    for (const seq of seqs) {
      if (named === undefined || !named.seqs.includes(seq))
        return Promise.reject(new OutsideLockPlan(`seq ${seq} of allowance ${allowanceId} not in the plan`));
      const spend = this.locked.booked.get(spendKey(allowanceId, seq));
      if (spend !== undefined) out.set(seq, spend);
    }
    return Promise.resolve(out);
  }

  lockPointAccountByTransaction(transactionId: string): Promise<LockedPointTransaction | null> {
    if (!(this.plan.pointTransactions ?? []).includes(transactionId)) {
      return Promise.reject(new OutsideLockPlan(`points row ${transactionId} not in the plan`));
    }
    const row = this.locked.pointRows.get(transactionId);
    if (row === undefined) return Promise.resolve(null);
    const owner = this.plan.pointAccounts.find((userId) => this.locked.accounts.get(userId)?.state.id === row.transaction.accountId);
    const account = owner === undefined ? null : this.account(owner);
    if (account === null) return Promise.reject(new OutsideLockPlan(`the account of points row ${transactionId} not in the plan`));
    return Promise.resolve({ account, transaction: row.transaction, lots: [...row.claims.values()] });
  }

  save(changes: Changes): void {
    if ('wallet' in changes && changes.loadedVersion === 0) {
      const w = changes.wallet;
      if (this.locked.takenPairs.has(pairOf(w.userId, w.currency.code))) throw new WalletAlreadyExistsError(w.userId, w.currency.code);
    }
    this.changes.push(changes);
  }

  /** The unit succeeded: what it saved is what the next unit of the batch sees. */
  commitTo(locked: Locked): void {
    // A spend booked here is what a later unit of the batch compares a retry with: the payer's
    // row, and where its transfer went (the credit is in the merchant's changes).
    const credits = new Map<string, string>();
    for (const c of this.changes) {
      if ('wallet' in c) for (const t of c.transactions) if (t.type === 'transfer_in' && t.transferId !== null) credits.set(t.transferId, t.walletId);
    }
    for (const c of this.changes) {
      if (!('wallet' in c)) continue;
      for (const t of c.transactions) {
        if (!isAllowanceSpend(t)) continue;
        locked.booked.set(spendKey(t.allowanceId, t.allowanceSeq), {
          transaction: t,
          toWalletId: t.transferId === null ? null : (credits.get(t.transferId) ?? null),
        });
      }
    }
    for (const c of this.changes) {
      if ('wallet' in c) {
        const w = c.wallet;
        locked.wallets.set(w.id, w);
        if (c.loadedVersion === 0) locked.takenPairs.add(pairOf(w.userId, w.currency.code));
        else if (w.status === 'closed') locked.takenPairs.delete(pairOf(w.userId, w.currency.code));
        for (const t of c.transactions) {
          const before = t.refundOf === null || !GIVE_BACK_TRANSACTION_TYPES.includes(t.type) ? undefined : locked.refunded.get(t.refundOf);
          if (before !== undefined && t.refundOf !== null) locked.refunded.set(t.refundOf, before.add(t.amount));
        }
      } else {
        const a = c.account;
        const lots = locked.accounts.get(a.userId)?.lots ?? new Map<string, PointLot>();
        for (const lot of c.lots) lots.set(lot.id, lot);
        locked.accounts.set(a.userId, { state: a.snapshot, lots });
        for (const t of c.transactions) {
          const row = t.refundOf === null ? undefined : locked.pointRows.get(t.refundOf);
          if (row === undefined) continue;
          for (const al of c.allocations) {
            const claim = al.transactionId === t.id ? row.claims.get(al.lotId) : undefined;
            if (claim) row.claims.set(al.lotId, { ...claim, claimedBack: claim.claimedBack + al.points });
          }
        }
      }
    }
  }

  private account(userId: string): PointAccount | null {
    if (!this.accounts.has(userId)) {
      const current = this.locked.accounts.get(userId);
      this.accounts.set(userId, current === undefined ? null : PointAccount.restore(current.state, [...current.lots.values()]));
    }
    return this.accounts.get(userId) ?? null;
  }
}
