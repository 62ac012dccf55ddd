import { eventEnvelope } from '@goodgo/wallet-core';
import { SqlOutbox, type DeadLetter, type SqlDriver, type SqlSession } from '@goodgo/wallet-pg';
import { PartialDelivery, type EventSink, type OutboxMessage, type RetryPolicy } from './sink.js';

export type RelayLogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface OutboxRelayOptions {
  /** The store's driver (`store.driver` of a `SqlWalletStore`): the relay reads the outbox through it. */
  driver: SqlDriver;
  sinks: readonly EventSink[];
  /** How often a caught-up sink looks for new events. Default 250 ms. */
  pollIntervalMs?: number;
  /** How often a standby instance tries to become the active relay. Default 2 s. */
  leaderRetryMs?: number;
  log?: (level: RelayLogLevel, message: string, fields?: Record<string, unknown>) => void;
  /** Called after each batch a sink accepted. */
  onDelivered?: (sink: string, count: number, position: string) => void;
  /** Called when a sink gives up on events. */
  onDeadLetter?: (sink: string, count: number) => void;
}

export interface SinkStatus {
  name: string;
  /** The position of the last event it delivered (or dead-lettered), as stored. */
  position: string;
  delivered: number;
  deadLettered: number;
  failures: number;
  lastError: string | null;
}

export interface RelayStatus {
  /** True while this instance holds the relay lock and delivers. */
  active: boolean;
  sinks: SinkStatus[];
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/** Exponential backoff with full jitter on the upper half: 2^(n-1) × base, capped. */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

/**
 * The outbox relay. Every instance of the service may run one; a PostgreSQL advisory lock, held
 * by the session the relay works on, makes exactly one of them active. The others try again every
 * `leaderRetryMs`, so when the active one dies (its session ends with it) another takes over
 * within seconds.
 *
 * The active relay runs one loop per sink: read the events after the sink's stored position (only
 * committed ones, in position order, never skipping one that is still committing), hand them to
 * the sink, and store the new position once the sink accepted them. A crash between delivery and
 * that store means the batch is delivered again: at least once, in order, duplicates only across
 * a crash. A sink that keeps failing backs off exponentially; once its retry policy gives up,
 * the batch is recorded in `outbox_dead_letters` and the sink goes on.
 */
export class OutboxRelay {
  private readonly pollMs: number;
  private readonly leaderRetryMs: number;
  private readonly stopper = new AbortController();
  private readonly stats = new Map<string, SinkStatus>();
  private running: Promise<void> | null = null;
  private active = false;

  constructor(private readonly options: OutboxRelayOptions) {
    const names = new Set(options.sinks.map((s) => s.name));
    if (names.size !== options.sinks.length) throw new TypeError('every sink needs a distinct name');
    this.pollMs = options.pollIntervalMs ?? 250;
    this.leaderRetryMs = options.leaderRetryMs ?? 2000;
    for (const s of options.sinks) this.stats.set(s.name, { name: s.name, position: '0', delivered: 0, deadLettered: 0, failures: 0, lastError: null });
  }

  /** Starts contending for the relay lock and, once held, delivering. Idempotent. */
  start(): this {
    this.running ??= this.run();
    return this;
  }

  /** Stops delivering, releases the lock and closes the sinks. */
  async stop(): Promise<void> {
    this.stopper.abort();
    await this.running;
    await Promise.all(this.options.sinks.map((s) => s.close().catch(() => undefined)));
  }

  status(): RelayStatus {
    return { active: this.active, sinks: [...this.stats.values()].map((s) => ({ ...s })) };
  }

  /** The events sinks gave up on, newest first. */
  async deadLetters(limit = 100): Promise<DeadLetter[]> {
    return new SqlOutbox(this.options.driver).listDeadLetters(limit);
  }

  private log(level: RelayLogLevel, message: string, fields?: Record<string, unknown>): void {
    this.options.log?.(level, message, fields);
  }

  private async run(): Promise<void> {
    const stop = this.stopper.signal;
    while (!stop.aborted) {
      try {
        await this.options.driver.withConnection((session) => this.leadIfFree(session));
      } catch (e) {
        this.log('warn', 'outbox relay lost its database session', { err: e });
      }
      await sleep(this.leaderRetryMs, stop);
    }
  }

  private async leadIfFree(session: SqlSession): Promise<void> {
    const outbox = new SqlOutbox(session);
    if (!(await outbox.tryLead())) return;
    this.active = true;
    this.log('info', 'outbox relay active', { sinks: this.options.sinks.map((s) => s.name) });
    // One term of office: ends when we are stopped or any sink loop meets a database error.
    const term = new AbortController();
    const onStop = () => term.abort();
    this.stopper.signal.addEventListener('abort', onStop, { once: true });
    try {
      const loops = this.options.sinks.map((sink) =>
        this.runSink(outbox, sink, term.signal).catch((e: unknown) => {
          term.abort();
          throw e;
        }),
      );
      const results = await Promise.allSettled(loops);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    } finally {
      this.stopper.signal.removeEventListener('abort', onStop);
      this.active = false;
      // On a broken session this fails, and the lock went with the session anyway.
      await outbox.resign().catch(() => undefined);
      this.log('info', 'outbox relay standing down');
    }
  }

  private async runSink(outbox: SqlOutbox, sink: EventSink, signal: AbortSignal): Promise<void> {
    const stat = this.stats.get(sink.name) as SinkStatus;
    let position = await outbox.cursor(sink.name);
    stat.position = position;
    while (!signal.aborted) {
      const rows = await outbox.read(position, sink.batchSize);
      if (rows.length === 0) {
        await sleep(this.pollMs, signal);
        continue;
      }
      let batch: OutboxMessage[] = rows.map((r) => ({ position: r.position, event: eventEnvelope(r.row) }));
      // Attempts the head of the batch already failed: one when the last round stopped at it.
      let tried = 0;
      while (batch.length > 0) {
        const outcome = await this.deliverWithRetry(outbox, sink, batch, stat, signal, tried);
        if (outcome === null) return; // stopped while retrying: the rest is delivered again next time
        const settled = outcome.settled;
        tried = outcome.stoppedAt ? 1 : 0;
        position = (batch[settled - 1] as OutboxMessage).position;
        await outbox.saveCursor(sink.name, position);
        stat.position = position;
        batch = batch.slice(settled);
      }
    }
  }

  /**
   * How many events from the head of the batch are settled (delivered, or the head dead-lettered);
   * null when stopped first. A sink that got part of the batch through before failing settles that
   * part; the retry policy then applies to the event it stopped at, and giving up dead-letters that
   * event alone, so an event the sink never tried is never dead-lettered. `tried` counts the
   * failed attempts the head already had; `stoppedAt` says the sink failed at the next event.
   */
  private async deliverWithRetry(
    outbox: SqlOutbox,
    sink: EventSink,
    batch: readonly OutboxMessage[],
    stat: SinkStatus,
    signal: AbortSignal,
    tried: number,
  ): Promise<{ settled: number; stoppedAt: boolean } | null> {
    if (tried > 0) {
      if (tried >= sink.retry.maxAttempts) return this.deadLetter(outbox, sink, batch[0] as OutboxMessage, stat, tried, stat.lastError ?? 'failed');
      await sleep(backoffDelay(sink.retry, tried), signal);
    }
    for (let attempt = tried + 1; ; attempt++) {
      if (signal.aborted) return null;
      let delivered = batch.length;
      let failure: unknown = null;
      try {
        await sink.deliver(batch, signal);
      } catch (e) {
        if (signal.aborted) return null;
        delivered = e instanceof PartialDelivery ? Math.min(e.delivered, batch.length - 1) : 0;
        failure = e;
      }
      const message = failure === null ? null : failure instanceof Error ? failure.message : String(failure);
      if (message !== null) stat.failures += 1;
      stat.lastError = message;
      if (delivered > 0) {
        stat.delivered += delivered;
        this.options.onDelivered?.(sink.name, delivered, (batch[delivered - 1] as OutboxMessage).position);
        return { settled: delivered, stoppedAt: message !== null };
      }
      if (message === null) throw new Error('unreachable: a batch neither delivered nor failed');
      if (attempt >= sink.retry.maxAttempts) return this.deadLetter(outbox, sink, batch[0] as OutboxMessage, stat, attempt, message);
      const delay = backoffDelay(sink.retry, attempt);
      this.log('warn', 'sink delivery failed; retrying', { sink: sink.name, attempt, delayMs: delay, error: message });
      await sleep(delay, signal);
    }
  }

  private async deadLetter(
    outbox: SqlOutbox,
    sink: EventSink,
    head: OutboxMessage,
    stat: SinkStatus,
    attempts: number,
    lastError: string,
  ): Promise<{ settled: number; stoppedAt: boolean }> {
    await outbox.addDeadLetter({ sink: sink.name, position: head.position, eventId: head.event.id, eventType: head.event.type, attempts, lastError });
    stat.deadLettered += 1;
    this.options.onDeadLetter?.(sink.name, 1);
    this.log('error', 'sink gave up on an event: dead-lettered', { sink: sink.name, position: head.position, attempts, error: lastError });
    return { settled: 1, stoppedAt: false };
  }
}

/** Creates a relay and starts it: what the server and a host application call. */
export function startOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  return new OutboxRelay(options).start();
}
