import { PGlite, type PGliteInterface } from '@electric-sql/pglite';
import { Money, ServiceUnavailableError, parseInput } from '@goodgo/wallet-core';
import {
  AllowanceExceededError,
  AllowanceExistsError,
  AllowanceExpiredError,
  AllowanceSeqConflictError,
  NoAllowanceError,
  ServerProblemError,
  type AllowanceCap,
  type Problem,
} from './errors.js';
import {
  earnInput,
  provisionInput,
  spendInput,
  tillIdSchema,
  walletInput,
  type EarnInput,
  type ProvisionInput,
  type SpendInput,
  type WalletInput,
} from './inputs.js';
import { LocalBooks, type LocalAllowance } from './local-books.js';
import { ServerClient, type Answer, type ServerOptions } from './server-client.js';
import { TillClock, systemClocks, type Clocks } from './till-clock.js';
import type { Allowance, Page, SyncAnswer, WalletAnswer } from './wire.js';

/** The most spends one sync request carries (the service takes 1 to 500). */
export const SYNC_BATCH_SIZE = 500;
/** How many allowances one pass forwards at once. */
const FORWARD_CONCURRENCY = 8;

export interface TillOptions {
  /** This till's name, as the service records it on its allowances (visible ASCII, at most 100). */
  tillId: string;
  /** Where the till's PGlite lives: a directory in Node, `idb://name` in a browser, `memory://` for a throwaway. */
  dataDir?: string;
  /** An open PGlite to use instead of `dataDir` (the till then leaves closing it to the caller). */
  db?: PGliteInterface;
  server: ServerOptions;
  /** The longest a sale or an earn waits for the service before returning unforwarded. Default 2 000 ms. */
  forwardTimeoutMs?: number;
  /** The longest any one request waits for an answer (provision, sync, settle). Default 10 000 ms. */
  requestTimeoutMs?: number;
  /** The wall and monotonic clocks. Default `Date.now` and `performance.now`. */
  clocks?: Clocks;
}

export interface SpendResult {
  seq: number;
  allowanceId: string;
  /** What is left of the allowance after this sale, in the wallet's currency. */
  remaining: string;
  /** True when the service has booked the sale before `spend` returned. */
  forwarded: boolean;
}

export interface EarnResult {
  /** The till's own id for the earn: the service's idempotency key is derived from it. */
  localId: string;
  forwarded: boolean;
}

/** Why something could not be forwarded; it stays in the till's database for a person to look at. */
export interface SyncProblem {
  code: string;
  detail: string;
  walletId?: string;
  allowanceId?: string;
  /** The seqs of the request the service refused. */
  seqs?: { first: number; last: number };
  earnId?: string;
}

export interface SyncResult {
  booked: number;
  replayed: number;
  /** Sales and earns the service has not accepted yet (unsent, or stopped by a problem). */
  pending: number;
  earned: number;
  online: boolean;
  problems: SyncProblem[];
}

export interface TillStatus {
  /** The service's latest word on the open allowance, or null when the till holds none for the wallet. */
  allowance: Allowance | null;
  remaining: string | null;
  unsentSpends: number;
  lastSyncAt: string | null;
  online: boolean;
  /** True while the till may sell against the allowance: active, and inside its window by the till's clock. */
  selling: boolean;
  /** The problem that stopped this allowance (an `ALLOWANCE_SEQ_CONFLICT`), if any. */
  problem: Problem | null;
}

const CAP_OF_CONSTRAINT: Record<string, AllowanceCap> = {
  allowance_within_amount: 'amount',
  allowance_within_max_spends: 'maxSpends',
  allowance_within_max_spend_amount: 'maxSpendAmount',
};

/**
 * Opens (and migrates) the till's database and returns the till.
 *
 * @example
 * ```ts
 * const till = await createTill({ tillId: 'store-12/till-3', dataDir: './till-data', server: { baseUrl, token } });
 * await till.provision({ walletId, amount: '500000' }); // online, before the shift
 * await till.spend({ walletId, amount: '125000', reference: 'order-9' }); // online or not
 * await till.settle({ walletId }); // online, after it
 * ```
 */
export async function createTill(options: TillOptions): Promise<Till> {
  const tillId = parseInput(tillIdSchema, options.tillId);
  const owned = !options.db;
  const db = options.db ?? (await PGlite.create(options.dataDir ?? 'memory://'));
  try {
    const books = new LocalBooks(db);
    await books.migrate();
    const clock = await TillClock.open(db, options.clocks ?? systemClocks);
    const till = new Till(tillId, books, clock, new ServerClient(options.server), options, owned);
    await till.reload();
    return till;
  } catch (e) {
    if (owned) await db.close();
    throw e;
  }
}

/**
 * A till selling against offline allowances. Every sale is durable in the till's own database
 * before `spend` returns; forwarding happens in the order the sales were made, as often as it is
 * asked for, and never twice in effect (the service books each (allowance, seq) once).
 */
export class Till {
  private readonly open = new Map<string, LocalAllowance>();
  private online = true;
  private running: Promise<SyncResult> | null = null;
  private queued: Promise<SyncResult> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  private readonly forwardTimeoutMs: number;
  private readonly requestTimeoutMs: number;
  private readonly keyPrefix: string;

  /** @internal use createTill */
  constructor(
    readonly tillId: string,
    private readonly books: LocalBooks,
    private readonly clock: TillClock,
    private readonly client: ServerClient,
    options: TillOptions,
    private readonly ownsDb: boolean,
  ) {
    this.forwardTimeoutMs = options.forwardTimeoutMs ?? 2_000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.keyPrefix = `wallet-till:${tillId}`;
  }

  /** @internal Reads the open allowances into memory (the till is its database's only writer). */
  async reload(): Promise<void> {
    this.open.clear();
    for (const a of await this.books.openAllowances()) this.open.set(a.walletId, a);
  }

  /** Opens an allowance for the wallet at the service (online only) and keeps it for offline sales. */
  async provision(input: ProvisionInput): Promise<Allowance> {
    const i = parseInput(provisionInput, input);
    const held = this.open.get(i.walletId);
    if (held) throw new AllowanceExistsError(i.walletId, held.id);
    const wallet = (await this.call<WalletAnswer>('GET', `/api/v1/wallets/${i.walletId}`)).body;
    const amount = Money.parse(i.amount, wallet.currency);
    const maxSpendAmount = i.maxSpendAmount === undefined ? undefined : Money.parse(i.maxSpendAmount, wallet.currency, { field: 'maxSpendAmount' });
    // The window starts when the till asks, not when the answer arrives: the network's delay
    // counts against the till's selling time, never for it.
    const askedAtMs = this.clock.now();
    let server: Allowance;
    let windowMs: number;
    let windowStartMs = askedAtMs;
    try {
      const body = {
        walletId: i.walletId,
        tillId: this.tillId,
        amount: amount.format(),
        ...(i.spendUntil !== undefined ? { spendUntil: i.spendUntil } : {}),
        ...(maxSpendAmount !== undefined ? { maxSpendAmount: maxSpendAmount.format() } : {}),
        ...(i.maxSpends !== undefined ? { maxSpends: i.maxSpends } : {}),
        ...(i.metadata !== undefined ? { metadata: i.metadata } : {}),
      };
      server = (await this.call<Allowance>('POST', '/api/v1/wallets/allowances', body, `${this.keyPrefix}:provision:${crypto.randomUUID()}`)).body;
      windowMs = Date.parse(server.spendUntil) - Date.parse(server.createdAt);
    } catch (e) {
      if (!(e instanceof ServerProblemError && e.code === 'ALLOWANCE_EXISTS')) throw e;
      ({ server, windowMs } = await this.adopt(i.walletId, e));
      windowStartMs = this.clock.now();
    }
    await this.books.insertAllowance({ server, currency: wallet.currency, windowStartMs: Math.ceil(windowStartMs), windowMs: Math.floor(windowMs) });
    await this.reloadAllowance(server.id, i.walletId);
    return server;
  }

  /**
   * The service already has an active allowance of this wallet for this till that the till's
   * database does not know (a provision whose answer was lost, or a database restored from a copy
   * older than it): the till takes it over from the service's figures, its window measured from
   * the service's clock (the `Date` header, rounded down to the second, so one second is taken off).
   */
  private async adopt(walletId: string, refusal: ServerProblemError): Promise<{ server: Allowance; windowMs: number }> {
    const page = await this.call<Page<Allowance>>('GET', `/api/v1/wallets/${walletId}/allowances?status=active`);
    const server = page.body.items.find((a) => a.tillId === this.tillId && a.status === 'active');
    if (!server) throw refusal;
    const serverNow = page.serverDate === null ? Date.parse(server.spendUntil) : page.serverDate + 1_000;
    return { server, windowMs: Date.parse(server.spendUntil) - serverNow };
  }

  /**
   * Sells against the wallet's allowance: written to the till's database (allowance left, next
   * seq, the sale) in one transaction before it returns, then forwarded at once if the service
   * answers within `forwardTimeoutMs`. Refuses, changing nothing, past what is left or a cap
   * (`ALLOWANCE_EXCEEDED`), past the window by the till's clock (`ALLOWANCE_EXPIRED`), without an
   * allowance (`NO_ALLOWANCE`), or after a seq conflict (`ALLOWANCE_SEQ_CONFLICT`).
   */
  async spend(input: SpendInput): Promise<SpendResult> {
    const i = parseInput(spendInput, input);
    const a = this.openFor(i.walletId);
    const amount = Money.parse(i.amount, a.currency);
    let row: { seq: number; spent: string } | null;
    try {
      row = await this.books.recordSale({
        allowanceId: a.id,
        amount: amount.format(),
        clockMs: Math.floor(this.clock.now()),
        wallMs: Math.floor(this.clock.wallNow()),
        reference: i.reference ?? null,
        description: i.description ?? null,
        toWalletId: i.toWalletId ?? null,
        metadata: i.metadata ?? null,
      });
    } catch (e) {
      throw this.saleRefusal(e, a, amount);
    }
    if (!row) throw new NoAllowanceError(i.walletId);
    if (row.seq > a.spendCount) {
      a.spendCount = row.seq;
      a.spent = row.spent;
    }
    a.unsent += 1;
    const seq = row.seq;
    const forwarded = await this.forwardSoon(async () => (await this.books.saleStatus(a.id, seq)) !== 'unsent');
    return { seq, allowanceId: a.id, remaining: this.remaining(a, row.spent), forwarded };
  }

  /** Queues points for a customer; forwarded as an ordinary earn with a key derived from this till and the earn's local id. */
  async earnPoints(input: EarnInput): Promise<EarnResult> {
    const i = parseInput(earnInput, input);
    const localId = crypto.randomUUID();
    await this.books.queueEarn(
      { localId, userId: i.userId, points: i.points, source: i.source, description: i.description ?? null, metadata: i.metadata ?? null },
      this.clock.wallNow(),
    );
    const forwarded = await this.forwardSoon(async () => (await this.books.earnStatus(localId)) === 'sent');
    return { localId, forwarded };
  }

  /**
   * Forwards every unsent sale (per allowance, in seq order, up to 500 a request) and every
   * queued earn (in the order earned). Safe to call at any time and from several places at once:
   * calls made while a pass runs share the one pass that starts after it. Never throws for an
   * unreachable service (`online: false`); a refusal is reported in `problems` and stops only
   * what it concerns; an `ALLOWANCE_SEQ_CONFLICT` stops that allowance for good, renumbering nothing.
   */
  sync(): Promise<SyncResult> {
    if (this.queued) return this.queued;
    if (this.running) {
      const after = this.running.then(
        () => undefined,
        () => undefined,
      );
      this.queued = after.then(() => {
        this.queued = null;
        return this.startPass();
      });
      return this.queued;
    }
    return this.startPass();
  }

  private startPass(): Promise<SyncResult> {
    const pass = this.pass().finally(() => {
      if (this.running === pass) this.running = null;
    });
    this.running = pass;
    return pass;
  }

  private async pass(): Promise<SyncResult> {
    const result: SyncResult = { booked: 0, replayed: 0, pending: 0, earned: 0, online: true, problems: [] };
    try {
      await this.forwardAllSpends(result);
      await this.forwardEarns(result);
    } catch (e) {
      if (!(e instanceof ServiceUnavailableError)) throw e;
      result.online = false;
    }
    result.pending = await this.books.pending();
    return result;
  }

  /**
   * Each allowance's sales go in seq order, one request after the other; different allowances
   * are independent, so a few are forwarded at once (the service books each in its own
   * transaction). The first failure to reach the service stops every worker and is rethrown once
   * all have stopped, so no request of this pass is still in flight when the next pass starts.
   */
  private async forwardAllSpends(result: SyncResult): Promise<void> {
    const queue = [...this.open.values()].filter((a) => a.status === 'active' && a.unsent > 0);
    let stopped = false;
    const worker = async (): Promise<void> => {
      for (let a = queue.shift(); a && !stopped; a = queue.shift()) {
        try {
          await this.forwardSpends(a, result);
        } catch (e) {
          stopped = true;
          throw e;
        }
      }
    };
    const outcomes = await Promise.allSettled(Array.from({ length: Math.min(FORWARD_CONCURRENCY, queue.length) }, worker));
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private async forwardSpends(a: LocalAllowance, result: SyncResult): Promise<void> {
    let resent = false;
    for (;;) {
      const spends = await this.books.unsentSpends(a.id, SYNC_BATCH_SIZE);
      const first = spends[0];
      const last = spends[spends.length - 1];
      if (!first || !last) return;
      const seqs = { first: first.seq, last: last.seq };
      let answer: SyncAnswer;
      try {
        answer = (await this.call<SyncAnswer>('POST', `/api/v1/wallets/allowances/${a.id}/sync`, { spends })).body;
      } catch (e) {
        if (!(e instanceof ServerProblemError)) throw e;
        const expected = e.problem.expectedSeq;
        // The service is missing seqs this till took for sent (its database went back in time):
        // send them again, as they are. Once per pass, so a disagreement cannot loop.
        if (e.code === 'ALLOWANCE_SEQ_GAP' && !resent && typeof expected === 'number' && expected < first.seq) {
          resent = (await this.books.resend(a.id, expected)) > 0;
          if (resent) continue;
        }
        await this.refused(a, e, seqs, result);
        return;
      }
      await this.books.recordSync(a.id, answer);
      for (const r of answer.results) result[r.status] += 1;
      await this.reloadAllowance(a.id, a.walletId);
      const made = this.open.get(a.walletId)?.spendCount ?? a.spendCount;
      if (answer.allowance.lastSeq > made) {
        const problem = {
          status: 409,
          code: 'ALLOWANCE_SEQ_CONFLICT',
          detail: `the service has booked seq ${answer.allowance.lastSeq}, this till only made ${made}: its database was restored from an old copy`,
        };
        await this.refused(a, new ServerProblemError(problem), seqs, result);
        return;
      }
    }
  }

  private async refused(a: LocalAllowance, e: ServerProblemError, seqs: { first: number; last: number }, result: SyncResult): Promise<void> {
    result.problems.push({ code: e.code, detail: e.problem.detail ?? e.message, walletId: a.walletId, allowanceId: a.id, seqs });
    if (e.code === 'ALLOWANCE_SEQ_CONFLICT' || e.code === 'ALLOWANCE_NOT_FOUND') {
      await this.books.markConflict(a.id, e.problem, null);
    } else if (e.code === 'ALLOWANCE_NOT_ACTIVE') {
      const server = (await this.call<Allowance>('GET', `/api/v1/wallets/allowances/${a.id}`)).body;
      if (server.status !== 'active') await this.books.markClosed(a.id, { ...server, status: server.status }, e.problem);
    }
    await this.reloadAllowance(a.id, a.walletId);
  }

  private async forwardEarns(result: SyncResult): Promise<void> {
    for (;;) {
      const earns = await this.books.unsentEarns(100);
      if (earns.length === 0) return;
      for (const earn of earns) {
        const body = {
          userId: earn.userId,
          points: earn.points,
          source: earn.source,
          ...(earn.description !== null ? { description: earn.description } : {}),
          ...(earn.metadata !== null ? { metadata: earn.metadata } : {}),
        };
        try {
          const answer = await this.call<{ transaction: { id: string } }>(
            'POST',
            '/api/v1/wallets/points/earn',
            body,
            `${this.keyPrefix}:earn:${earn.localId}`,
          );
          await this.books.markEarn(earn.localId, { transactionId: answer.body.transaction.id });
          result.earned += 1;
        } catch (e) {
          if (!(e instanceof ServerProblemError)) throw e;
          // A refusal of the service other than its own failure is final for this earn: kept, reported, not retried.
          if (e.status >= 500) throw new ServiceUnavailableError(e.message, { cause: e });
          await this.books.markEarn(earn.localId, { problem: e.problem });
          result.problems.push({ code: e.code, detail: e.problem.detail ?? e.message, earnId: earn.localId });
        }
      }
    }
  }

  /**
   * Forwards what is left of the wallet's allowance, then settles it at the service: the unspent
   * rest is released. Online only; refused after a seq conflict (the service's books and this
   * till's disagree, and a person must look).
   */
  async settle(input: WalletInput): Promise<Allowance> {
    const { walletId } = parseInput(walletInput, input);
    const a = this.openFor(walletId, 'settle');
    const synced = await this.sync();
    if (!synced.online) throw new ServiceUnavailableError('The wallet service cannot be reached: settle once the till is online');
    const after = this.open.get(walletId);
    if (!after) {
      const closed = await this.books.allowance(a.id);
      return (closed ?? a).server;
    }
    this.openFor(walletId, 'settle');
    if (after.unsent > 0) {
      const problem = synced.problems.find((p) => p.allowanceId === a.id);
      throw new ServiceUnavailableError(
        `${after.unsent} sales of allowance ${a.id} are not forwarded yet${problem ? ` (${problem.code}: ${problem.detail})` : ''}: settle once the service takes them`,
      );
    }
    // From here on no sale: the settle may be booked with its answer lost, and a sale made after
    // it could never be forwarded.
    await this.books.markSettling(a.id);
    await this.reloadAllowance(a.id, walletId);
    let server: Allowance;
    try {
      server = (
        await this.call<Allowance>('POST', `/api/v1/wallets/allowances/${a.id}/settle`, { lastSeq: after.spendCount }, `${this.keyPrefix}:settle:${a.id}`)
      ).body;
    } catch (e) {
      if (!(e instanceof ServerProblemError && e.code === 'ALLOWANCE_NOT_ACTIVE')) throw e;
      server = (await this.call<Allowance>('GET', `/api/v1/wallets/allowances/${a.id}`)).body;
      if (server.status === 'active') throw e;
    }
    if (server.status !== 'active') await this.books.markClosed(a.id, { ...server, status: server.status }, null);
    await this.reloadAllowance(a.id, walletId);
    return server;
  }

  /** What the till knows about the wallet's allowance, from memory (no I/O). */
  status(input: WalletInput): TillStatus {
    const { walletId } = parseInput(walletInput, input);
    const a = this.open.get(walletId);
    if (!a) return { allowance: null, remaining: null, unsentSpends: 0, lastSyncAt: null, online: this.online, selling: false, problem: null };
    return {
      allowance: a.server,
      remaining: this.remaining(a, a.spent),
      unsentSpends: a.unsent,
      lastSyncAt: a.lastSyncAt,
      online: this.online,
      selling: a.status === 'active' && this.clock.now() < a.windowStartMs + a.windowMs,
      problem: a.problem,
    };
  }

  /** Forwards in the background every `syncIntervalMs` while the till runs (and keeps the clock's checkpoint fresh). */
  start(options: { syncIntervalMs: number }): void {
    if (this.timer || this.closed) return;
    const tick = (): void => {
      this.timer = setTimeout(() => {
        void this.sync()
          .catch(() => undefined)
          .then(() => this.clock.checkpoint(this.books.db))
          .catch(() => undefined)
          .then(() => {
            if (this.timer) tick();
          });
      }, options.syncIntervalMs);
    };
    tick();
  }

  /** Stops background forwarding, waits for a pass in flight, checkpoints the clock and closes the database. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await Promise.allSettled([this.running, this.queued]);
    await this.clock.checkpoint(this.books.db);
    if (this.ownsDb) await this.books.db.close();
  }

  /** The wallet's open allowance, if the till may still use it for this: not after a seq conflict, and no sale once settling. */
  private openFor(walletId: string, purpose: 'sell' | 'settle' = 'sell'): LocalAllowance {
    const a = this.open.get(walletId);
    if (!a || (a.status === 'settling' && purpose === 'sell')) throw new NoAllowanceError(walletId);
    if (a.status === 'conflict') {
      throw new AllowanceSeqConflictError(walletId, a.id, a.problem?.detail ?? 'the service and this till disagree on a seq');
    }
    return a;
  }

  private saleRefusal(e: unknown, a: LocalAllowance, amount: Money): unknown {
    const constraint = (e as { code?: unknown; constraint?: unknown }).constraint;
    if ((e as { code?: unknown }).code !== '23514' || typeof constraint !== 'string') return e;
    if (constraint === 'allowance_within_window') return new AllowanceExpiredError(a.walletId, a.id);
    const cap = CAP_OF_CONSTRAINT[constraint];
    return cap ? new AllowanceExceededError(a.walletId, cap, this.remaining(a, a.spent), amount.format()) : e;
  }

  private remaining(a: LocalAllowance, spent: string): string {
    return Money.fromStorage(a.amount, a.currency).subtract(Money.fromStorage(spent, a.currency)).format();
  }

  private async reloadAllowance(id: string, walletId: string): Promise<void> {
    const a = await this.books.allowance(id);
    if (a && (a.status === 'active' || a.status === 'settling' || a.status === 'conflict')) this.open.set(walletId, a);
    else if (this.open.get(walletId)?.id === id) this.open.delete(walletId);
  }

  /**
   * Waits for a forwarding pass at most `forwardTimeoutMs`, and only while the service was last
   * seen answering: offline, a sale is local and immediate. A service that does not answer in time
   * is taken for unreachable until a pass reaches it again.
   */
  private async forwardSoon(done: () => Promise<boolean>): Promise<boolean> {
    if (!this.online || this.closed) return false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.forwardTimeoutMs);
    });
    const pass = this.sync().catch(() => undefined);
    const outcome = await Promise.race([pass, timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') this.online = false;
    return done();
  }

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown, idempotencyKey?: string): Promise<Answer<T>> {
    try {
      const answer = await this.client.request<T>(method, path, body, { timeoutMs: this.requestTimeoutMs, ...(idempotencyKey ? { idempotencyKey } : {}) });
      this.online = true;
      return answer;
    } catch (e) {
      this.online = !(e instanceof ServiceUnavailableError);
      throw e;
    }
  }
}
