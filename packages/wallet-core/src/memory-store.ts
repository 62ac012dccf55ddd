import { matchesMetadata, type Metadata } from './metadata.js';
import { assertFeedPosition } from './cursor.js';
import { WalletAlreadyExistsError } from './errors.js';
import type { DomainEvent } from './events.js';
import { Money } from './money/money.js';
import type { PointTransaction, PointTransactionType } from './points/ledger.js';
import { isLotDue, isOpenLot, type LotClaim, type PointAllocation, type PointLot } from './points/lot.js';
import { PointAccount, type PointAccountChanges, type PointAccountState } from './points/point-account.js';
import {
  DEFAULT_EVENT_READ_LIMIT,
  type BalanceAtRequest,
  type PagedListing,
  type StatementFigures,
  type StatementRequest,
  type WalletPageRequest,
  type WalletSearchRequest,
  type FoundWalletTransaction,
  type AllowancePageRequest,
  type HoldPageRequest,
  type IdempotencyClaim,
  type IdempotencyRequest,
  type FactReader,
  type LockedPointTransaction,
  type LockPlan,
  type PageRequest,
  type ResolvingLockPlan,
  type Positioned,
  type UnitOfWork,
  type UserBalances,
  type WalletStore,
} from './store.js';
import { allowanceStatusAt, isAllowanceSpend, type Allowance, type BookedSpend } from './wallet/allowance.js';
import { holdStatusAt, type Hold } from './wallet/hold.js';
import { checkpointEvent } from './events.js';
import { ChainWriter, LedgerKeyring, chainedRowOf, type RowLink } from './ledger-chain.js';
import { checkpointParts, readCheckpoints, type CheckpointHead, type LedgerCheckpoint } from './ledger-checkpoint.js';
import {
  POINTS_NOT_AVAILABLE_TYPES,
  TransferTally,
  WalletLedgerWalk,
  problem,
  type ReconcileRun,
  type ReconciliationFindings,
  type ReconciliationProblem,
} from './reconciliation.js';
import { GIVE_BACK_TRANSACTION_TYPES, type WalletTransaction, type WalletTransactionType } from './wallet/ledger.js';
import { Wallet, type WalletChanges, type WalletState } from './wallet/wallet.js';

interface IdempotencyRecord {
  fingerprint: string;
  createdAt: Date;
  /** JSON text, parsed anew for every replay so that no caller shares an object with another. */
  response: string;
}

type Changes = WalletChanges | PointAccountChanges;

function isWalletChanges(c: Changes): c is WalletChanges {
  return 'wallet' in c;
}

const ownerKey = (userId: string, currency: string) => `${userId}\u0000${currency}`;

export interface MemoryStoreOptions {
  /** The keys of the ledger's hash chain. Default: the published development key. */
  ledgerKeys?: LedgerKeyring | undefined;
}

/**
 * The storage port in memory, with the semantics of the database stores: units of work run one
 * at a time (as if every unit locked everything), their changes are applied only when the unit
 * completes, and a unit that throws leaves nothing behind. For tests and for embedding without a
 * database; everything is lost with the process.
 */
export class MemoryWalletStore implements WalletStore {
  private readonly wallets = new Map<string, WalletState>();
  /** The open (not closed) wallet of each (user, currency): a closed wallet frees its pair. */
  private readonly openWalletByOwner = new Map<string, string>();
  private readonly walletTransactions = new Map<string, Sequenced<WalletTransaction>>();
  private readonly walletTransactionById = new RowIndex<WalletTransaction>();
  private readonly holds = new WalletParts<Hold>();
  private readonly allowances = new WalletParts<Allowance>();
  /** The payer row of each allowance's spends, by seq. */
  private readonly spendsOf = new Map<string, Map<number, string>>();
  private readonly accounts = new Map<string, PointAccountState>();
  private readonly accountByUser = new Map<string, string>();
  private readonly lots = new Map<string, Map<string, PointLot>>();
  private readonly lotAccount = new Map<string, string>();
  private readonly pointTransactions = new Map<string, Sequenced<PointTransaction>>();
  private readonly pointTransactionById = new RowIndex<PointTransaction>();
  private readonly allocations = new Map<string, PointAllocation[]>();
  /** Ids of the rows naming each row in `refundOf`, both ledgers. */
  private readonly refundsOf = new Map<string, string[]>();
  private readonly idempotency = new Map<string, IdempotencyRecord>();
  private readonly events = new Sequenced<DomainEvent>();
  /**
   * Each ledger row's link in its wallet's keyed chain, each wallet's chain head, and how many of
   * its rows are linked. Rows are linked when the chain is read (reconciliation), not when they are
   * written: here the rows are immutable objects that only this process can reach, and it holds the
   * key, so a hash taken at write time would guard nothing that one taken later does not, and the
   * same rows in the same order give the same hashes. Hashing costs two HMACs per transfer, a fifth
   * of a command's CPU (docs/DESIGN.md, "Memory path").
   */
  private readonly links = new Map<string, RowLink>();
  private readonly chainHeads = new Map<string, string>();
  private readonly linkedRows = new Map<string, number>();
  private readonly checkpoints: LedgerCheckpoint[] = [];
  private readonly keyring: LedgerKeyring;
  private sequence = 0;
  /** Units started or waiting and not yet finished, and the promise of the last one: the next waits for it. */
  private units = 0;
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    this.keyring = options.ledgerKeys ?? LedgerKeyring.developmentKey();
  }

  /** Units run one at a time, each as if it locked everything: the plan is only resolved, for the facts the unit reads. */
  transaction<T>(fn: (uow: UnitOfWork) => Promise<T>, plan: LockPlan | ResolvingLockPlan): Promise<T> {
    let run: Promise<T>;
    // With no unit running or waiting, this one starts now: chaining it on the last one's promise
    // cost a closure and three promises per command (most commands find the store idle).
    if (this.units++ === 0) run = this.runUnit(fn, plan);
    else {
      const start = () => this.runUnit(fn, plan);
      run = this.tail.then(start, start);
    }
    this.tail = run;
    return run;
  }

  async getWallet(id: string): Promise<Wallet | null> {
    return this.restoreWallet(id);
  }

  async listWallets(userId: string): Promise<Wallet[]> {
    return [...this.wallets.values()]
      .filter((w) => w.userId === userId)
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1))
      .map((w) => this.restoreWallet(w.id) as Wallet);
  }

  async getPointAccount(userId: string): Promise<PointAccount | null> {
    const id = this.accountByUser.get(userId);
    return id === undefined ? null : this.restoreAccount(id);
  }

  async getUserBalances(userId: string): Promise<UserBalances> {
    // Both taken before either is awaited (neither awaits inside): no unit applies its changes between them.
    const wallets = this.listWallets(userId);
    const pointAccount = this.getPointAccount(userId);
    return { wallets: await wallets, pointAccount: await pointAccount };
  }

  async getHold(id: string): Promise<Hold | null> {
    return this.holds.get(id);
  }

  async listHolds(walletId: string, page: HoldPageRequest): Promise<Positioned<Hold>[]> {
    return this.holds.page(walletId, page, (h) => page.status === undefined || holdStatusAt(h, page.now) === page.status);
  }

  async getAllowance(id: string): Promise<Allowance | null> {
    return this.allowances.get(id);
  }

  async listAllowances(walletId: string, page: AllowancePageRequest): Promise<Positioned<Allowance>[]> {
    return this.allowances.page(walletId, page, (a) => page.status === undefined || allowanceStatusAt(a, page.now) === page.status);
  }

  async listWalletTransactions(walletId: string, page: WalletPageRequest): Promise<Positioned<WalletTransaction>[]> {
    const history = this.walletTransactions.get(walletId) ?? new Sequenced<WalletTransaction>();
    const { reference } = page;
    if (page.from === undefined && page.to === undefined) return pageOf(history, page, reference === undefined ? undefined : (r) => r.reference === reference);
    const all = history.positioned();
    const rows = reference === undefined ? all : all.filter((r) => r.row.reference === reference);
    const { from, to } = page;
    const newestFirst = rows
      .filter(
        (r) =>
          (page.type === undefined || r.row.type === page.type) &&
          matchesMetadata(r.row.metadata, page.metadata) &&
          (from === undefined || r.row.createdAt >= from) &&
          (to === undefined || r.row.createdAt < to),
      )
      .sort((a, b) => timeOrder(b, a));
    if (page.before === undefined) return newestFirst.slice(0, page.limit);
    // The cursor names the last row of the previous page (the facade has checked that it is a row of this wallet).
    const last = all.find((r) => r.position === page.before);
    return last === undefined ? [] : newestFirst.filter((r) => timeOrder(r, last) < 0).slice(0, page.limit);
  }

  async balanceAt(request: BalanceAtRequest): Promise<Money> {
    return this.lastBefore(request.walletId, request.at, request.inclusive)?.balanceAfter ?? Money.zero(request.currency);
  }

  async walletStatement(request: StatementRequest): Promise<StatementFigures> {
    const totals = new Map<WalletTransactionType, Money>();
    let count = 0;
    for (const row of this.walletTransactions.get(request.walletId)?.rows ?? []) {
      if (row.createdAt < request.from || row.createdAt >= request.to) continue;
      count += 1;
      totals.set(row.type, (totals.get(row.type) ?? Money.zero(request.currency)).add(row.amount));
    }
    const zero = Money.zero(request.currency);
    return {
      opening: this.lastBefore(request.walletId, request.from, false)?.balanceAfter ?? zero,
      closing: this.lastBefore(request.walletId, request.to, false)?.balanceAfter ?? zero,
      totals,
      count,
    };
  }

  async hasPosition(listing: PagedListing, scope: string, position: string): Promise<boolean> {
    switch (listing) {
      case 'walletTransactions':
        return this.walletTransactions.get(scope)?.has(position) ?? false;
      case 'pointTransactions':
        return this.pointTransactions.get(scope)?.has(position) ?? false;
      case 'holds':
        return this.holds.has(scope, position);
      case 'allowances':
        return this.allowances.has(scope, position);
      case 'wallets':
        return this.wallets.has(position);
    }
  }

  async searchWallets(request: WalletSearchRequest): Promise<Wallet[]> {
    const newer = (a: WalletState, b: WalletState) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
    const after = request.after === undefined ? undefined : this.wallets.get(request.after);
    if (request.after !== undefined && after === undefined) return [];
    return [...this.wallets.values()]
      .filter(
        (w) =>
          (request.userId === undefined || w.userId === request.userId) &&
          (request.status === undefined || w.status === request.status) &&
          (request.currency === undefined || w.currency.code === request.currency) &&
          (after === undefined || newer(w, after) > 0),
      )
      .sort(newer)
      .slice(0, request.limit)
      .map((w) => this.restoreWallet(w.id) as Wallet);
  }

  /** The last row of a wallet, in (createdAt, position) order, created before `at` (or at it, when inclusive). */
  private lastBefore(walletId: string, at: Date, inclusive: boolean): WalletTransaction | undefined {
    let found: WalletTransaction | undefined;
    // Rows are in position order, so the last one of the latest instant wins ties.
    for (const row of this.walletTransactions.get(walletId)?.rows ?? []) {
      const t = row.createdAt.getTime();
      if (t > at.getTime() || (!inclusive && t === at.getTime())) continue;
      if (found === undefined || t >= found.createdAt.getTime()) found = row;
    }
    return found;
  }

  async listPointTransactions(accountId: string, page: PageRequest<PointTransactionType>): Promise<Positioned<PointTransaction>[]> {
    return pageOf(this.pointTransactions.get(accountId) ?? new Sequenced<PointTransaction>(), page);
  }

  async listEvents(after?: string, limit = DEFAULT_EVENT_READ_LIMIT): Promise<Positioned<DomainEvent>[]> {
    const from = after === undefined ? -1n : BigInt(after);
    assertFeedPosition(from, BigInt(this.events.lastPosition));
    // Within the feed now, so exact as a number.
    return this.events.after(Number(from), limit);
  }

  async purgeIdempotencyKeys(olderThan: Date, limit: number): Promise<number> {
    if (this.closed) throw new Error('store is closed');
    const due = [...this.idempotency]
      .filter(([, r]) => r.createdAt.getTime() < olderThan.getTime())
      .sort(([, a], [, b]) => a.createdAt.getTime() - b.createdAt.getTime())
      .slice(0, limit);
    for (const [id] of due) this.idempotency.delete(id);
    return due.length;
  }

  /** Always the full run (a routine one is as cheap in memory), with the same checkpoints as the SQL stores. */
  async reconcile(run: ReconcileRun): Promise<ReconciliationFindings> {
    const startedAt = run.clock();
    const seen = String(this.sequence);
    const record = readCheckpoints(this.keyring, this.checkpoints);
    const since = BigInt(record.last?.through ?? '0');
    const problems: ReconciliationProblem[] = record.broken.map((b) => problem('checkpoint_invalid', b.id, { reason: b.reason }));
    const heads: CheckpointHead[] = [];
    let ledgerRows = 0;
    const transfers = new TransferTally();
    for (const w of this.wallets.values()) {
      this.linkChain(w);
      const walk = new WalletLedgerWalk(this.keyring, { id: w.id, currency: w.currency.code }, null, record.heads.get(w.id) ?? null);
      const wallet = { userId: w.userId, currencyCode: w.currency.code };
      const history = this.walletTransactions.get(w.id) ?? new Sequenced<WalletTransaction>();
      for (const row of history.rows) {
        const link = this.links.get(row.id);
        walk.add({ ...chainedRowOf(row, wallet), hash: link?.hash ?? '', keyId: link?.keyId ?? null });
        if (row.transferId !== null) transfers.add(row.transferId, row.type, row.amount.format(), w.currency.code);
      }
      ledgerRows += walk.rows;
      const found = walk.finish({ balance: w.balance.format(), chainHead: this.chainHeads.get(w.id) ?? null });
      problems.push(...found);
      const last = history.rows[history.rows.length - 1];
      if (found.length === 0 && last !== undefined && BigInt(history.lastPosition) > since) {
        heads.push({ walletId: w.id, rowId: last.id, hash: this.links.get(last.id)?.hash ?? '' });
      }
    }
    if (run.checkpoint === true) {
      const parts = checkpointParts(this.keyring, { newId: run.newId, at: startedAt, now: run.clock(), seen, unkeyedThrough: '0' }, heads, record.last);
      for (const part of parts) {
        this.checkpoints.push(part);
        this.events.push(this.nextPosition(), checkpointEvent(part));
      }
    }
    problems.push(...transfers.problems());
    for (const a of this.accounts.values()) {
      const lots = [...(this.lots.get(a.id)?.values() ?? [])];
      const available = lots.filter((l) => l.status === 'active').reduce((n, l) => n + l.remaining, 0);
      const pending = lots.filter((l) => l.status === 'pending').reduce((n, l) => n + l.points, 0);
      let balanceAfter = 0;
      for (const row of this.pointTransactions.get(a.id)?.rows ?? []) {
        ledgerRows += 1;
        balanceAfter += POINTS_NOT_AVAILABLE_TYPES.includes(row.type) ? 0 : row.points;
        if (row.balanceAfter !== balanceAfter) {
          problems.push(problem('points_balance_after_mismatch', row.id, { balanceAfter: String(row.balanceAfter), expected: String(balanceAfter) }));
          balanceAfter = row.balanceAfter;
        }
      }
      if (available !== a.availablePoints || pending !== a.pendingPoints) {
        problems.push(
          problem('points_mismatch', a.id, {
            available: String(a.availablePoints),
            pending: String(a.pendingPoints),
            lotAvailable: String(available),
            lotPending: String(pending),
          }),
        );
      }
    }
    return { wallets: this.wallets.size, pointAccounts: this.accounts.size, ledgerRows, problems };
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('store is closed');
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private async runUnit<T>(fn: (uow: UnitOfWork) => Promise<T>, plan: LockPlan | ResolvingLockPlan): Promise<T> {
    try {
      if (typeof plan === 'function') await plan(this.facts);
      if (this.closed) throw new Error('store is closed');
      const uow = new MemoryUnit(this.reads, this.idempotency);
      const result = await fn(uow);
      this.commit(uow.pending);
      const claimed = uow.claimed;
      if (claimed !== null) {
        this.idempotency.set(claimed.id, {
          fingerprint: claimed.fingerprint,
          createdAt: claimed.createdAt,
          response: JSON.stringify(uow.response?.value ?? null),
        });
      }
      return result;
    } finally {
      this.units--;
    }
  }

  /** What a unit reads under its locks, shared by every unit: only the claim, the response and the saved changes are a unit's own. */
  private readonly reads: UnitReads = {
    lockWallets: async (ids) => {
      // Units run one at a time here, so the order matters only for agreeing with the SQL stores.
      const out = new Map<string, Wallet>();
      if (ids.length <= 2) {
        // In sorted order without copying and sorting the two (a transfer's pair).
        const a = ids[0];
        const b = ids[1];
        if (b !== undefined && a !== undefined && b < a) this.lockInto(out, b).lockInto(out, a);
        else if (a !== undefined) {
          this.lockInto(out, a);
          if (b !== undefined) this.lockInto(out, b);
        }
        return out;
      }
      for (const id of [...ids].sort()) this.lockInto(out, id);
      return out;
    },
    bookedSpends: async (allowanceId, seqs) => {
      const out = new Map<number, BookedSpend>();
      const bySeq = this.spendsOf.get(allowanceId);
      for (const seq of seqs) {
        const transaction = this.walletTransactionById.get(bySeq?.get(seq) ?? '');
        if (transaction) out.set(seq, { transaction, toWalletId: this.counterpartOf(transaction)?.walletId ?? null });
      }
      return out;
    },
    refundedAmount: async (original) => {
      let sum = Money.zero(original.amount.currency);
      for (const id of this.refundsOf.get(original.id) ?? []) {
        const row = this.walletTransactionById.get(id);
        if (row !== undefined && GIVE_BACK_TRANSACTION_TYPES.includes(row.type)) sum = sum.add(row.amount);
      }
      return sum;
    },
    lockPointAccount: async (userId) => {
      const id = this.accountByUser.get(userId);
      return id === undefined ? null : this.restoreAccount(id);
    },
    lockPointAccountByTransaction: async (transactionId): Promise<LockedPointTransaction | null> => {
      const transaction = this.pointTransactionById.get(transactionId);
      if (!transaction) return null;
      const claimed = new Map<string, number>();
      for (const refundId of this.refundsOf.get(transactionId) ?? []) {
        for (const a of this.allocations.get(refundId) ?? []) claimed.set(a.lotId, (claimed.get(a.lotId) ?? 0) + a.points);
      }
      const lots: LotClaim[] = (this.allocations.get(transactionId) ?? []).map((a) => ({
        lotId: a.lotId,
        points: a.points,
        claimedBack: claimed.get(a.lotId) ?? 0,
      }));
      return {
        account: this.restoreAccount(
          transaction.accountId,
          lots.map((l) => l.lotId),
        ),
        transaction,
        lots,
      };
    },
  };

  /** Restores wallet `id` into `out`, once; a wallet that does not exist is left out. */
  private lockInto(out: Map<string, Wallet>, id: string): this {
    const wallet = out.has(id) ? null : this.restoreWallet(id);
    if (wallet) out.set(id, wallet);
    return this;
  }

  /** The facts a resolve step reads, straight from the maps. */
  private readonly facts: FactReader = {
    walletOwner: async (walletId) => this.wallets.get(walletId)?.userId ?? null,
    hold: async (holdId) => this.holds.get(holdId) ?? null,
    walletTransaction: async (transactionId): Promise<FoundWalletTransaction | null> => {
      const transaction = this.walletTransactionById.get(transactionId);
      if (!transaction) return null;
      return { transaction, counterpartWalletId: this.counterpartOf(transaction)?.walletId ?? null };
    },
    allowance: async (allowanceId) => this.allowances.get(allowanceId),
    pointTransactionOwner: async (transactionId) => {
      const transaction = this.pointTransactionById.get(transactionId);
      return transaction === undefined ? null : (this.accounts.get(transaction.accountId)?.userId ?? null);
    },
    lotOwner: async (lotId) => {
      const id = this.lotAccount.get(lotId);
      return id === undefined ? null : (this.accounts.get(id)?.userId ?? null);
    },
    usersWithDueLots: async (asOf) => {
      const users: string[] = [];
      for (const [accountId, lots] of this.lots) {
        if ([...lots.values()].some((lot) => isLotDue(lot, asOf))) users.push((this.accounts.get(accountId) as PointAccountState).userId);
      }
      return users;
    },
  };

  private restoreWallet(id: string): Wallet | null {
    const state = this.wallets.get(id);
    if (!state) return null;
    return Wallet.restore(state, this.holds.activeOf(id), this.allowances.activeOf(id));
  }

  /** The other row of a transfer pair. */
  private counterpartOf(transaction: WalletTransaction): WalletTransaction | undefined {
    if (transaction.transferId === null) return undefined;
    return [...this.walletTransactionById.values()].find((t) => t.transferId === transaction.transferId && t.id !== transaction.id);
  }

  private restoreAccount(id: string, alsoLots: readonly string[] = []): PointAccount {
    const state = this.accounts.get(id) as PointAccountState;
    const all = this.lots.get(id) ?? new Map<string, PointLot>();
    const wanted = new Set(alsoLots);
    const lots = [...all.values()].filter((l) => wanted.has(l.id) || isOpenLot(l));
    return PointAccount.restore(state, lots);
  }

  /** Checks every change before applying any, so a failing commit leaves the store untouched. */
  private commit(pending: readonly Changes[]): void {
    for (const c of pending) {
      if (isWalletChanges(c)) {
        const w = c.wallet;
        if (c.loadedVersion === 0) {
          if (this.openWalletByOwner.has(ownerKey(w.userId, w.currency.code)) || this.wallets.has(w.id)) {
            throw new WalletAlreadyExistsError(w.userId, w.currency.code);
          }
        } else if (this.wallets.get(w.id)?.version !== c.loadedVersion) {
          throw new Error(`Wallet ${w.id} changed under a unit of work`);
        }
        // The database's unique key on (allowance, seq): a spend is booked at most once.
        for (const t of c.transactions) {
          if (isAllowanceSpend(t) && this.spendsOf.get(t.allowanceId)?.has(t.allowanceSeq)) {
            throw new Error(`Seq ${String(t.allowanceSeq)} of allowance ${t.allowanceId} is booked already`);
          }
        }
      } else if (c.loadedVersion === 0 ? this.accountByUser.has(c.account.userId) : this.accounts.get(c.account.id)?.version !== c.loadedVersion) {
        throw new Error(`Point account ${c.account.id} changed under a unit of work`);
      }
    }
    for (const c of pending) {
      if (isWalletChanges(c)) {
        const w = c.wallet;
        this.wallets.set(w.id, w.snapshot);
        // A wallet takes its (user, currency) when it opens and frees it when it closes; nothing else moves it.
        if (c.loadedVersion === 0 || w.status === 'closed') {
          const owner = ownerKey(w.userId, w.currency.code);
          if (w.status !== 'closed') this.openWalletByOwner.set(owner, w.id);
          else if (this.openWalletByOwner.get(owner) === w.id) this.openWalletByOwner.delete(owner);
        }
        for (const hold of c.holds) this.holds.put(hold, () => this.next());
        for (const allowance of c.allowances) this.allowances.put(allowance, () => this.next());
        this.appendRows(this.walletTransactions, this.walletTransactionById, w.id, c.transactions);
        for (const t of c.transactions) {
          if (!isAllowanceSpend(t)) continue;
          const bySeq = this.spendsOf.get(t.allowanceId) ?? new Map<number, string>();
          bySeq.set(t.allowanceSeq, t.id);
          this.spendsOf.set(t.allowanceId, bySeq);
        }
      } else {
        const a = c.account;
        this.accounts.set(a.id, a.snapshot);
        this.accountByUser.set(a.userId, a.id);
        const lots = this.lots.get(a.id) ?? new Map<string, PointLot>();
        for (const lot of c.lots) {
          lots.set(lot.id, lot);
          this.lotAccount.set(lot.id, a.id);
        }
        this.lots.set(a.id, lots);
        this.appendRows(this.pointTransactions, this.pointTransactionById, a.id, c.transactions);
        for (const allocation of c.allocations) {
          this.allocations.set(allocation.transactionId, [...(this.allocations.get(allocation.transactionId) ?? []), allocation]);
        }
      }
      for (const event of c.events) this.events.push(this.nextPosition(), event);
    }
  }

  /** Links the wallet's rows written since the last call onto its chain head, in ledger order. */
  private linkChain(w: WalletState): void {
    const rows = this.walletTransactions.get(w.id)?.rows ?? [];
    let linked = this.linkedRows.get(w.id) ?? 0;
    if (linked === rows.length) return;
    const chain = new ChainWriter(this.keyring, (walletId) => this.chainHeads.get(walletId) ?? null);
    const wallet = { userId: w.userId, currencyCode: w.currency.code };
    for (; linked < rows.length; linked++) {
      const row = rows[linked] as WalletTransaction;
      const link = chain.link(chainedRowOf(row, wallet));
      this.links.set(row.id, link);
      this.chainHeads.set(w.id, link.hash);
    }
    this.linkedRows.set(w.id, linked);
  }

  /** The next position of the store's one sequence. A number, not a bigint: exact to 2^53 rows, which no process holds in memory. */
  private nextPosition(): number {
    this.sequence += 1;
    return this.sequence;
  }

  private next(): string {
    return String(this.nextPosition());
  }

  /** Appends ledger rows to an owner's history in order, indexed by id and by the row they refund. */
  private appendRows<R extends { id: string; refundOf: string | null }>(
    ledger: Map<string, Sequenced<R>>,
    byId: RowIndex<R>,
    ownerId: string,
    rows: readonly R[],
  ): void {
    let history = ledger.get(ownerId);
    if (history === undefined) ledger.set(ownerId, (history = new Sequenced<R>()));
    for (const row of rows) {
      history.push(this.nextPosition(), row);
      byId.add(row);
      if (row.refundOf !== null) this.refundsOf.set(row.refundOf, [...(this.refundsOf.get(row.refundOf) ?? []), row.id]);
    }
  }
}

function pageOf<T extends { type: string; metadata: Metadata | null }>(
  rows: Sequenced<T>,
  page: PageRequest<string>,
  keep?: (row: T) => boolean,
): Positioned<T>[] {
  const before = page.before === undefined ? null : BigInt(page.before);
  const out: Positioned<T>[] = [];
  for (let i = rows.rows.length - 1; i >= 0 && out.length < page.limit; i--) {
    const row = rows.rows[i] as T;
    if (before !== null && BigInt(rows.positionAt(i)) >= before) continue;
    if (page.type !== undefined && row.type !== page.type) continue;
    if (!matchesMetadata(row.metadata, page.metadata)) continue;
    if (keep !== undefined && !keep(row)) continue;
    out.push(rows.at(i));
  }
  return out;
}

/** (createdAt, position) order: the time axis of a ledger, rows of one instant in ledger order. */
function timeOrder(a: Positioned<WalletTransaction>, b: Positioned<WalletTransaction>): number {
  const dt = a.row.createdAt.getTime() - b.row.createdAt.getTime();
  if (dt !== 0) return dt;
  const pa = BigInt(a.position);
  const pb = BigInt(b.position);
  return pa < pb ? -1 : pa > pb ? 1 : 0;
}

/** The reads of a unit of work, the same for every unit of a store. */
type UnitReads = Pick<UnitOfWork, 'lockWallets' | 'bookedSpends' | 'refundedAmount' | 'lockPointAccount' | 'lockPointAccountByTransaction'>;

/**
 * One unit of work of the memory store: its claim of a key, its response and its saved changes,
 * the store's reads delegated. One object per unit, its methods on the prototype: a literal of
 * ten closures per unit was the largest allocation of a command (docs/DESIGN.md, "Memory path").
 */
class MemoryUnit implements UnitOfWork {
  readonly pending: Changes[] = [];
  claimed: { id: string; fingerprint: string; createdAt: Date } | null = null;
  response: { value: unknown } | null = null;

  constructor(
    private readonly reads: UnitReads,
    private readonly idempotency: ReadonlyMap<string, IdempotencyRecord>,
  ) {}

  async claimIdempotencyKey(req: IdempotencyRequest): Promise<IdempotencyClaim> {
    const id = JSON.stringify([req.scope, req.key]);
    const existing = this.idempotency.get(id);
    if (existing) return { status: 'replay', fingerprint: existing.fingerprint, response: JSON.parse(existing.response) };
    this.claimed = { id, fingerprint: req.fingerprint, createdAt: req.now };
    return { status: 'claimed' };
  }

  completeIdempotencyKey(value: unknown): void {
    this.response = { value };
  }

  lockWallets(ids: readonly string[]): Promise<ReadonlyMap<string, Wallet>> {
    return this.reads.lockWallets(ids);
  }

  bookedSpends(allowanceId: string, seqs: readonly number[]): Promise<ReadonlyMap<number, BookedSpend>> {
    return this.reads.bookedSpends(allowanceId, seqs);
  }

  refundedAmount(original: WalletTransaction): Promise<Money> {
    return this.reads.refundedAmount(original);
  }

  lockPointAccount(userId: string): Promise<PointAccount | null> {
    return this.reads.lockPointAccount(userId);
  }

  lockPointAccountByTransaction(transactionId: string): Promise<LockedPointTransaction | null> {
    return this.reads.lockPointAccountByTransaction(transactionId);
  }

  save(changes: WalletChanges | PointAccountChanges): void {
    this.pending.push(changes);
  }
}

const NONE: readonly never[] = Object.freeze([]);

/**
 * Rows in the order they were written, with their positions in the store's one sequence: two
 * arrays, not a `{ position, row }` object and a position string per row, which every command
 * would otherwise leave behind for each ledger row and event (four of each per transfer). A read
 * writes the positions out.
 */
class Sequenced<R> {
  readonly rows: R[] = [];
  private readonly positions: number[] = [];

  push(position: number, row: R): void {
    this.rows.push(row);
    this.positions.push(position);
  }

  positionAt(i: number): number {
    return this.positions[i] as number;
  }

  /** The last row's position, 0 when there is none. */
  get lastPosition(): number {
    return this.positions[this.positions.length - 1] ?? 0;
  }

  at(i: number): Positioned<R> {
    return { position: String(this.positions[i]), row: this.rows[i] as R };
  }

  positioned(): Positioned<R>[] {
    return this.rows.map((row, i) => ({ position: String(this.positions[i]), row }));
  }

  /** Whether `position`, as the store writes positions, is one of these rows'. */
  has(position: string): boolean {
    const i = this.firstAfter(Number(position) - 1);
    return i < this.positions.length && String(this.positions[i]) === position;
  }

  /** At most `limit` rows after `position`, in order. */
  after(position: number, limit: number): Positioned<R>[] {
    const out: Positioned<R>[] = [];
    for (let i = this.firstAfter(position); i < this.rows.length && out.length < limit; i++) out.push(this.at(i));
    return out;
  }

  /** The index of the first row positioned after `position` (positions rise). */
  private firstAfter(position: number): number {
    let lo = 0;
    let hi = this.positions.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.positions[mid] as number) > position) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

/**
 * Ledger rows by id, indexed when first looked up: a write only appends the row, and the index
 * catches up with everything appended since the last lookup. Most rows are never looked up by id
 * (only refunds, allowance syncs and the resolve steps of a few commands do), and a Map entry for
 * a fresh id costs more than the rest of the append (0.57 µs against 0.05, measured).
 */
class RowIndex<R extends { readonly id: string }> {
  private readonly byId = new Map<string, R>();
  private pending: R[] = [];

  add(row: R): void {
    this.pending.push(row);
  }

  get(id: string): R | undefined {
    this.catchUp();
    return this.byId.get(id);
  }

  values(): IterableIterator<R> {
    this.catchUp();
    return this.byId.values();
  }

  private catchUp(): void {
    if (this.pending.length === 0) return;
    for (const row of this.pending) this.byId.set(row.id, row);
    this.pending = [];
  }
}

/** What a wallet keeps beside its balance (holds, allowances): rows by id, each wallet's in the order they were placed. */
class WalletParts<T extends { readonly id: string; readonly walletId: string; readonly status: string }> {
  private readonly byId = new Map<string, Positioned<T>>();
  private readonly byWallet = new Map<string, string[]>();

  get(id: string): T | null {
    return this.byId.get(id)?.row ?? null;
  }

  /** A new row takes the next position; a changed one keeps its own. */
  put(row: T, next: () => string): void {
    const known = this.byId.get(row.id);
    if (known) {
      this.byId.set(row.id, { position: known.position, row });
      return;
    }
    this.byId.set(row.id, { position: next(), row });
    const ids = this.byWallet.get(row.walletId);
    if (ids === undefined) this.byWallet.set(row.walletId, [row.id]);
    else ids.push(row.id);
  }

  /** Whether `position` is one of the wallet's rows. */
  has(walletId: string, position: string): boolean {
    return (this.byWallet.get(walletId) ?? []).some((id) => this.byId.get(id)?.position === position);
  }

  /** The wallet's rows still active, in the order they were placed. */
  activeOf(walletId: string): readonly T[] {
    const ids = this.byWallet.get(walletId);
    if (ids === undefined) return NONE;
    const out: T[] = [];
    for (const id of ids) {
      const row = (this.byId.get(id) as Positioned<T>).row;
      if (row.status === 'active') out.push(row);
    }
    return out;
  }

  /** Newest first, before a position (exclusive), those `keep` keeps, at most `limit`. */
  page(walletId: string, page: { limit: number; before?: string | undefined }, keep: (row: T) => boolean): Positioned<T>[] {
    const ids = this.byWallet.get(walletId) ?? [];
    const before = page.before === undefined ? null : BigInt(page.before);
    const out: Positioned<T>[] = [];
    for (let i = ids.length - 1; i >= 0 && out.length < page.limit; i--) {
      const r = this.byId.get(ids[i] as string) as Positioned<T>;
      if (before !== null && BigInt(r.position) >= before) continue;
      if (keep(r.row)) out.push(r);
    }
    return out;
  }
}
