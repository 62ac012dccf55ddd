/**
 * The storage port: deliberately narrow. A unit of work loads and locks the aggregates a command
 * touches, takes the idempotency key, and collects the changes; the store writes them all when
 * the unit commits, so an adapter can write every change of a command in one statement. There is
 * no generic CRUD and no delete: the ledger is append-only and closing a wallet is a status.
 */
import type { Metadata } from './metadata.js';
import type { DomainEvent } from './events.js';
import type { Money } from './money/money.js';
import type { PointTransaction, PointTransactionType } from './points/ledger.js';
import type { LotClaim } from './points/lot.js';
import type { PointAccount, PointAccountChanges } from './points/point-account.js';
import type { Allowance, AllowanceStatus, BookedSpend } from './wallet/allowance.js';
import type { Hold, HoldStatus } from './wallet/hold.js';
import type { ReconcileRun, ReconciliationFindings } from './reconciliation.js';
import type { WalletTransaction, WalletTransactionType } from './wallet/ledger.js';
import type { Wallet, WalletChanges, WalletStatus } from './wallet/wallet.js';
import type { Currency } from './money/currency.js';

export type IdempotencyClaim =
  /** The key is new; it is held by this unit of work until it commits or rolls back. */
  | { readonly status: 'claimed' }
  /** The key was used by a committed command: its fingerprint and its stored response. */
  | { readonly status: 'replay'; readonly fingerprint: string; readonly response: unknown };

export interface IdempotencyRequest {
  /** Whose key it is: the caller's `sub` on the server, `''` for a library caller by default. */
  readonly scope: string;
  readonly key: string;
  /** The command name and its validated input, canonically serialised. */
  readonly fingerprint: string;
  readonly now: Date;
}

export interface PageRequest<T extends string> {
  readonly limit: number;
  /** Only rows older than this position (exclusive); the first page when absent. */
  readonly before?: string | undefined;
  readonly type?: T | undefined;
  /** Only rows whose metadata holds each of these keys with exactly its value. */
  readonly metadata?: Metadata | undefined;
}

/**
 * A page of a wallet's history. Without a time bound, pages run in position order (newest first)
 * and `before` is exclusive in that order. With `from` or `to`, pages run in (`createdAt`,
 * position) order, newest first, and `before` names the last row of the previous page: the next
 * page starts strictly after it in that order.
 */
export interface WalletPageRequest extends PageRequest<WalletTransactionType> {
  readonly reference?: string | undefined;
  /** Inclusive. */
  readonly from?: Date | undefined;
  /** Exclusive. */
  readonly to?: Date | undefined;
}

/** Where a wallet's ledger is read at a point in time: one row found by (`createdAt`, position). */
export interface BalanceAtRequest {
  readonly walletId: string;
  readonly currency: Currency;
  readonly at: Date;
  /** Whether a row created exactly at `at` counts (true for a balance at `at`, false for an opening balance). */
  readonly inclusive: boolean;
}

/** The figures of a statement for [from, to): rows ordered by (`createdAt`, position). */
export interface StatementRequest {
  readonly walletId: string;
  readonly currency: Currency;
  readonly from: Date;
  readonly to: Date;
}

export interface StatementFigures {
  /** The balance after the last row created before `from`; zero before the first row. */
  readonly opening: Money;
  /** The balance after the last row created before `to`. */
  readonly closing: Money;
  /** Per type, the sum of the amounts of the rows created in [from, to); types without rows absent. */
  readonly totals: ReadonlyMap<WalletTransactionType, Money>;
  readonly count: number;
}

/** An admin search of wallets, newest first by (`createdAt`, id). */
export interface WalletSearchRequest {
  readonly limit: number;
  readonly userId?: string | undefined;
  readonly status?: WalletStatus | undefined;
  readonly currency?: string | undefined;
  /** The id of the last wallet of the previous page (exclusive). */
  readonly after?: string | undefined;
  /** Load only the holds that still count at this instant (as `getWallet`). */
  readonly asOf?: Date | undefined;
}

export interface HoldPageRequest {
  readonly limit: number;
  readonly before?: string | undefined;
  /** As a reader sees it at `now`: `active` excludes holds past expiry, `expired` includes them. */
  readonly status?: HoldStatus | undefined;
  readonly now: Date;
}

export interface AllowancePageRequest {
  readonly limit: number;
  readonly before?: string | undefined;
  /** As a reader sees it at `now`: `active` excludes allowances past `settleBy`, `expired` includes them. */
  readonly status?: AllowanceStatus | undefined;
  readonly now: Date;
}

/** A user's wallets, oldest first, and point account (null when none), as one read answers them. */
export interface UserBalances {
  readonly wallets: readonly Wallet[];
  readonly pointAccount: PointAccount | null;
}

/** A wallet ledger row found by id, with the other wallet of its transfer (if it is one). */
export interface FoundWalletTransaction {
  readonly transaction: WalletTransaction;
  readonly counterpartWalletId: string | null;
}

/** A points ledger row, its account locked and loaded with the row's lots, and what was claimed back of each. */
export interface LockedPointTransaction {
  /** Restored with its open lots and every lot of `transaction`, open or not. */
  readonly account: PointAccount;
  readonly transaction: PointTransaction;
  /** The lots `transaction` moved points of, with what later refunds or reversals of it claimed. */
  readonly lots: readonly LotClaim[];
}

/** A ledger row with its position in the keyset order (a per-store sequence, newest highest). */
/**
 * The listings a keyset cursor resumes: rows by position within a scope (a wallet's ledger, holds
 * or allowances, an account's ledger), or, for the admin search, wallets by id.
 */
export const PAGED_LISTINGS = ['walletTransactions', 'pointTransactions', 'holds', 'allowances', 'wallets'] as const;
export type PagedListing = (typeof PAGED_LISTINGS)[number];

export interface Positioned<T> {
  readonly position: string;
  readonly row: T;
}

export interface UnitOfWork {
  /**
   * The unit's `now` when the store read it from the plan's `asOf` for this run, after this run's
   * locks; absent when it read none (the unit then reads its clock as it starts). It belongs to
   * this run alone: a unit set aside, failed with its batch or run again gets a new one, never an
   * earlier run's instant (which would let it capture a hold expired since, or stamp a row with a
   * time before rows already written).
   */
  readonly now?: Date | undefined;
  /**
   * Takes an idempotency key for this unit of work. Two units claiming one key at once must not
   * both see `claimed`: the second waits for the first and then sees its committed response, or
   * the key free again if the first rolled back.
   */
  claimIdempotencyKey(request: IdempotencyRequest): Promise<IdempotencyClaim>;
  /** Stores the response of the claimed key, written with the rest of the unit's changes. */
  completeIdempotencyKey(response: unknown): void;

  /**
   * Loads and locks the wallets with these ids, always in ascending id order whatever order they
   * are asked in, so that two transfers in opposite directions cannot deadlock. Missing ids are
   * absent from the map.
   */
  lockWallets(ids: readonly string[]): Promise<ReadonlyMap<string, Wallet>>;
  /**
   * What was booked under these seqs of an allowance: each spend's payer row, and the wallet a
   * transfer went to, with the allowance's wallet locked (every spend of it locks that wallet, so
   * none is booked meanwhile). Seqs never booked are absent. The plan names them in `bookedSpends`.
   */
  bookedSpends(allowanceId: string, seqs: readonly number[]): Promise<ReadonlyMap<number, BookedSpend>>;
  /**
   * What refunds of `original` gave back so far (or reversals of a deposit took back: the rows of
   * `GIVE_BACK_TRANSACTION_TYPES` naming it), with `original`'s wallet locked (every refund or
   * reversal of it locks that wallet, so the sum cannot change under the caller). The plan names
   * the row in `refundsOf`.
   */
  refundedAmount(original: WalletTransaction): Promise<Money>;
  /** Loads and locks a user's point account with its open lots, or null. */
  lockPointAccount(userId: string): Promise<PointAccount | null>;
  /**
   * Loads and locks the point account of this ledger row, with the row's lots and claims; null if
   * no such row. The plan names the row in `pointTransactions` and its owner in `pointAccounts`.
   */
  lockPointAccountByTransaction(transactionId: string): Promise<LockedPointTransaction | null>;

  /**
   * Queues an aggregate's changes (new rows, new ledger rows, lots, events) to be written with
   * the commit. A new wallet that collides with an existing (user, currency) pair fails the unit
   * with WALLET_ALREADY_EXISTS; a new point account that collides with a concurrent one makes the
   * store run the unit again.
   */
  save(changes: WalletChanges | PointAccountChanges): void;
}

/** How many events a store's `listEvents` reads when not told. */
export const DEFAULT_EVENT_READ_LIMIT = 1000;

/**
 * Everything a unit of work will claim and lock, declared before it runs. A store may then run
 * the unit in one database transaction with others (group commit): it claims and locks the union
 * of their plans up front, in one order, and hands each unit only what its plan named. A unit
 * that asks for anything else fails with `OutsideLockPlan`.
 */
export interface LockPlan {
  /** Wallet ids the unit passes to `lockWallets`. */
  readonly wallets: readonly string[];
  /** User ids the unit passes to `lockPointAccount` (an account it may open when there is none). */
  readonly pointAccounts: readonly string[];
  /** The key the unit claims first, as it will claim it; null when unkeyed. */
  readonly idempotency: IdempotencyRequest | null;
  /** Wallet ledger rows the unit passes to `refundedAmount` (their wallets are in `wallets`). */
  readonly refundsOf?: readonly string[] | undefined;
  /** Points ledger rows the unit passes to `lockPointAccountByTransaction` (their owners are in `pointAccounts`). */
  readonly pointTransactions?: readonly string[] | undefined;
  /**
   * The (user, currency) pairs the unit opens wallets for: a store checks them with its locking
   * read, so that a pair already taken fails this unit alone, before anything is written.
   */
  readonly newWallets?: readonly { readonly userId: string; readonly currency: string }[] | undefined;
  /** The (allowance, seq) pairs the unit passes to `bookedSpends` (the allowances' wallets are in `wallets`). */
  readonly bookedSpends?: readonly { readonly allowanceId: string; readonly seqs: readonly number[] }[] | undefined;
  /**
   * The command's clock, for a store that must know the unit's `now` before the unit runs: each
   * call reads it anew. A store calls it after its locks, at most once per run of the unit, and
   * hands the instant it read to that run as `UnitOfWork.now`. It may then leave out of the
   * wallets it loads every hold past its expiry at that instant beyond `EXPIRED_HOLDS_PER_CHANGE`
   * (none of them counts), and say how many in `Wallet.unloadedHolds`. Without it, a store loads
   * every hold stored as active.
   */
  readonly asOf?: (() => Date) | undefined;
}

/**
 * Facts that never change once written, read without a lock to learn what a command must lock
 * (TigerBeetle's prefetch): a hold's wallet, a ledger row and its wallets, the owner of a points
 * row or lot. The one exception, `usersWithDueLots`, is a scan of what may change: a plan made
 * from it may be stale, and the unit decides under the lock (an account with nothing due by then
 * expires nothing).
 */
export interface FactReader {
  /** The user who owns a wallet (which never changes), or null when there is no such wallet. */
  walletOwner(walletId: string): Promise<string | null>;
  /**
   * A hold as stored, for its wallet (which never changes), or null when there is no such hold.
   * Its status is authoritative only once it has ended (captured, voided and expired are final):
   * whether an active one is still active is for the locked wallet to say.
   */
  hold(holdId: string): Promise<Hold | null>;
  /** A wallet ledger row with the other wallet of its transfer pair. */
  walletTransaction(transactionId: string): Promise<FoundWalletTransaction | null>;
  /** The user whose point account holds this points ledger row. */
  pointTransactionOwner(transactionId: string): Promise<string | null>;
  /** The user whose point account holds this lot (a lot's id is that of the row that created it). */
  lotOwner(lotId: string): Promise<string | null>;
  /** The users whose accounts hold a lot due at `asOf`. */
  usersWithDueLots(asOf: Date): Promise<string[]>;
  /**
   * An allowance as stored, for its wallet (which never changes). Its status and spends are only
   * authoritative once that wallet is locked: the locked wallet carries its active allowances.
   */
  allowance(allowanceId: string): Promise<Allowance | null>;
}

/** A plan resolved from facts first: the store reads them, then runs the unit under the plan returned. */
export type ResolvingLockPlan = (facts: FactReader) => Promise<LockPlan>;

export interface WalletStore {
  /**
   * Runs `fn` as one unit of work under `plan`: every change it saved is committed together, or
   * none is. The store may commit it together with other units (each unit still sees only its own
   * changes applied, fails alone, and is answered only after the commit). A resolving plan is
   * called first, once, with the store's reader of immutable facts.
   */
  transaction<T>(fn: (uow: UnitOfWork) => Promise<T>, plan: LockPlan | ResolvingLockPlan): Promise<T>;

  /**
   * A wallet with its stored-active holds and allowances (a reader decides which still count);
   * with `asOf`, only the holds that still count then (a wallet may have any number past expiry).
   */
  getWallet(id: string, asOf?: Date): Promise<Wallet | null>;
  listWallets(userId: string, asOf?: Date): Promise<Wallet[]>;
  /** An account with its open lots (a reader decides which have expired). */
  getPointAccount(userId: string): Promise<PointAccount | null>;
  /**
   * A user's wallets as `listWallets(userId, asOf)` sees them and the account as `getPointAccount`
   * does, read together: one read where the store can make it one (the balance summary's).
   */
  getUserBalances(userId: string, asOf?: Date): Promise<UserBalances>;
  getHold(id: string): Promise<Hold | null>;
  /** An allowance as stored (a reader decides whether it is past `settleBy`). */
  getAllowance(id: string): Promise<Allowance | null>;
  /** A wallet's allowances, newest first. */
  listAllowances(walletId: string, page: AllowancePageRequest): Promise<Positioned<Allowance>[]>;
  /** A wallet's holds, newest first. */
  listHolds(walletId: string, page: HoldPageRequest): Promise<Positioned<Hold>[]>;
  listWalletTransactions(walletId: string, page: WalletPageRequest): Promise<Positioned<WalletTransaction>[]>;
  /** A wallet's balance from its ledger at an instant: the `balanceAfter` of the last row then. */
  balanceAt(request: BalanceAtRequest): Promise<Money>;
  /** Opening and closing balances and per-type totals of a period of a wallet's ledger. */
  walletStatement(request: StatementRequest): Promise<StatementFigures>;
  /** Wallets matching every filter given, newest first, with their stored-active holds. */
  searchWallets(request: WalletSearchRequest): Promise<Wallet[]>;
  /**
   * Whether `position` names a row of `listing` within `scope`: a row's position in a wallet's
   * (`walletTransactions`, `holds`, `allowances`) or an account's (`pointTransactions`) listing, or
   * for `wallets` a wallet's id (`scope` unused). A cursor resumes after such a row or nowhere.
   */
  hasPosition(listing: PagedListing, scope: string, position: string): Promise<boolean>;
  listPointTransactions(accountId: string, page: PageRequest<PointTransactionType>): Promise<Positioned<PointTransaction>[]>;
  /**
   * The outbox: events committed so far, oldest first, after a position, at most `limit` (default
   * `DEFAULT_EVENT_READ_LIMIT`). A position beyond the newest event is VALIDATION_ERROR: a feed
   * resumed there would silently skip every event up to it.
   */
  listEvents(after?: string, limit?: number): Promise<Positioned<DomainEvent>[]>;
  /**
   * Deletes at most `limit` idempotency keys created before `olderThan`, oldest first, and says
   * how many it deleted. Each call is short and skips keys a running command holds, so a purge in
   * batches never makes a command wait. A purged key is new again: a retry after it runs anew.
   */
  purgeIdempotencyKeys(olderThan: Date, limit: number): Promise<number>;
  /**
   * Checks the books: balances against ledgers, each balanceAfter (wallets and points) against
   * its predecessor, transfer pairs, point accounts against their lots, and where the store keeps
   * them, each wallet's stored held amount against its active holds; each wallet's keyed hash
   * chain and its checkpointed heads. Read-only, except that it publishes a signed checkpoint when
   * asked (an event, and the store's own record of checkpoints).
   */
  reconcile(run: ReconcileRun): Promise<ReconciliationFindings>;
  /** Checks that the storage answers; throws when it does not. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Thrown by a store's unit of work when a unit asks for a lock or a read its `LockPlan` did not declare. @internal */
export class OutsideLockPlan extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutsideLockPlan';
  }
}

/** Thrown by an adapter for a conflict that a fresh run of the unit of work will not meet again. @internal */
export class RetryableConflict extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RetryableConflict';
  }
}
