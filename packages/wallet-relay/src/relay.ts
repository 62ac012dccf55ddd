import { eventEnvelope } from '@goodgo/wallet-core';
import { SqlOutbox, spanContextOf, type DeadLetter, type OutboxEntry, type SqlDriver, type SqlSession } from '@goodgo/wallet-pg';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Link } from '@opentelemetry/api';
import { PartialDelivery, errorMessage, type EventSink, type OutboxMessage, type RetryPolicy, type StartAt } from './sink.js';

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
  /** Failed attempts in a row after which a sink reports itself failing. Default 3. */
  failingAfter?: number;
  /** How often the active relay looks for dead letters an admin asked to re-send. Default 1 s. */
  resendPollMs?: number;
}

/** A sink as an operator sees it: read from the database, so every instance answers the same. */
export interface SinkReport {
  name: string;
  target: string;
  /** The event types it takes; null: all. */
  events: readonly string[] | null;
  /** Its stored position; null before the active relay first saw it. */
  position: string | null;
  /** Events after its position (capped at one million) and the age of the oldest, in seconds. */
  lagEvents: number;
  lagSeconds: number;
  consecutiveFailures: number;
  /** The last error it met, kept after it recovered (`failing` says whether it still fails). */
  lastError: string | null;
  lastErrorAt: string | null;
  /** True once it failed `failingAfter` times in a row: `/health` reports it degraded. */
  failing: boolean;
}

export interface SinkStatus {
  name: string;
  target: string;
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
    for (const s of options.sinks)
      this.stats.set(s.name, { name: s.name, target: s.target, position: '0', delivered: 0, deadLettered: 0, failures: 0, lastError: null });
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

  /** The events sinks gave up on, newest first (one sink's when named). */
  async deadLetters(limit = 100, sink?: string): Promise<DeadLetter[]> {
    return new SqlOutbox(this.options.driver).listDeadLetters(limit, sink);
  }

  /**
   * Asks for one dead letter (`position`) or all of a sink's to be sent again; the active relay
   * (on whichever instance) sends them on its next round. How many were marked; a letter already
   * re-sent is left as it is.
   */
  async resend(sink: string, position?: string): Promise<number> {
    return new SqlOutbox(this.options.driver).requestResend(sink, position);
  }

  /** Each configured sink's position, lag and failure streak, from the database. */
  async report(): Promise<SinkReport[]> {
    const states = new Map((await new SqlOutbox(this.options.driver).sinkStates(this.options.sinks.map((s) => s.name))).map((s) => [s.sink, s]));
    const failingAfter = this.options.failingAfter ?? 3;
    return this.options.sinks.map((sink) => {
      const state = states.get(sink.name);
      const failures = state?.consecutiveFailures ?? 0;
      return {
        name: sink.name,
        target: sink.target,
        events: sink.events ?? null,
        position: state?.position ?? null,
        lagEvents: state?.lagEvents ?? 0,
        lagSeconds: state?.lagSeconds ?? 0,
        consecutiveFailures: failures,
        lastError: state?.lastError ?? null,
        lastErrorAt: state?.lastErrorAt?.toISOString() ?? null,
        failing: failures >= failingAfter,
      };
    });
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
    let position = await outbox.startCursor(sink.name, () => startPosition(outbox, sink.startAt ?? 'now'));
    stat.position = position;
    let resendsCheckedAt = 0;
    let prefetched: Promise<OutboxEntry[]> | null = null;
    while (!signal.aborted) {
      if (Date.now() - resendsCheckedAt >= (this.options.resendPollMs ?? 1000)) {
        resendsCheckedAt = Date.now();
        await this.resendRequested(outbox, sink, stat, signal);
      }
      const rows = await (prefetched ?? outbox.read(position, sink.batchSize));
      prefetched = null;
      if (rows.length === 0) {
        await sleep(this.pollMs, signal);
        continue;
      }
      const batch: OutboxMessage[] = rows.map((r) => ({ position: r.position, event: eventEnvelope(r.row), traceparent: r.traceparent }));
      // A full round means more is waiting: read it while this one is delivered. A round always
      // settles whole (or the relay stops), so the next one starts after its last event.
      if (rows.length === sink.batchSize) {
        const next = outbox.read((batch.at(-1) as OutboxMessage).position, sink.batchSize);
        next.catch(() => undefined); // awaited below; a failure surfaces there
        prefetched = next;
      }
      const settled = await this.settle(outbox, sink, stat, position, batch, signal);
      if (settled === null) return; // stopped while retrying: the rest is delivered again next time
      position = settled;
    }
    await prefetched?.catch(() => undefined);
  }

  /**
   * Delivers what the sink takes of the batch, retrying what failed, and stores how far the sink
   * got after each attempt: up to the first event not yet delivered (those after it that did go
   * through are not handed to the sink again, outside a crash). The retry policy counts the
   * attempts at that first event; giving up dead-letters it alone, so an event the sink never
   * tried is never dead-lettered. Returns the new position, or null when stopped first.
   */
  private async settle(
    outbox: SqlOutbox,
    sink: EventSink,
    stat: SinkStatus,
    from: string,
    batch: readonly OutboxMessage[],
    signal: AbortSignal,
  ): Promise<string | null> {
    const only = sink.events ? new Set(sink.events) : null;
    let pending = only ? batch.filter((m) => only.has(m.event.type)) : [...batch];
    let saved = from;
    // The position before the first pending event: every event up to it is settled.
    const settledUpTo = (): string => {
      const head = pending[0];
      if (!head) return (batch.at(-1) as OutboxMessage).position;
      const before = batch.filter((m) => BigInt(m.position) < BigInt(head.position)).at(-1);
      return before ? before.position : from;
    };
    // Whether the sink got an event through since the position was last stored.
    let through = false;
    const save = async () => {
      const next = settledUpTo();
      if (next === saved && !through) return;
      await outbox.saveCursor(sink.name, next, through);
      saved = next;
      stat.position = next;
      through = false;
    };
    let head: string | null = null;
    let attempts = 0;
    while (pending.length > 0) {
      if (signal.aborted) return null;
      const { delivered, failure } = await attempt(sink, pending, signal);
      if (failure !== null && signal.aborted) return null;
      if (delivered.size > 0) {
        stat.delivered += delivered.size;
        const last = pending.filter((_, i) => delivered.has(i)).at(-1) as OutboxMessage;
        this.options.onDelivered?.(sink.name, delivered.size, last.position);
        pending = pending.filter((_, i) => !delivered.has(i));
        through = true;
      }
      await save();
      stat.lastError = failure;
      if (failure === null) continue;
      stat.failures += 1;
      await outbox.recordFailure(sink.name, failure);
      const first = pending[0] as OutboxMessage;
      attempts = first.position === head ? attempts + 1 : 1;
      head = first.position;
      if (attempts >= sink.retry.maxAttempts) {
        await this.deadLetter(outbox, sink, first, stat, attempts, failure);
        pending = pending.slice(1);
        head = null;
        await save();
        continue;
      }
      const delay = backoffDelay(sink.retry, attempts);
      this.log('warn', 'sink delivery failed; retrying', { sink: sink.name, attempt: attempts, delayMs: delay, error: failure });
      await sleep(delay, signal);
    }
    await save();
    return saved;
  }

  /** Sends the dead letters an admin asked for, once each: a failure goes back to the admin. */
  private async resendRequested(outbox: SqlOutbox, sink: EventSink, stat: SinkStatus, signal: AbortSignal): Promise<void> {
    const letters = await outbox.pendingResends(sink.name, sink.batchSize);
    const gone = letters.filter((l) => l.event === null);
    for (const l of gone) await outbox.resendFailed(sink.name, l.position, 'the event is no longer in the outbox');
    const messages = letters.flatMap((l) => (l.event ? [{ position: l.position, event: eventEnvelope(l.event), traceparent: l.traceparent }] : []));
    if (messages.length === 0) return;
    const { delivered, failure } = await attempt(sink, messages, signal);
    for (const [i, m] of messages.entries()) {
      if (delivered.has(i)) await outbox.markRedelivered(sink.name, m.position);
      else if (!signal.aborted) await outbox.resendFailed(sink.name, m.position, failure ?? 'not delivered');
    }
    stat.delivered += delivered.size;
    // Getting a letter through ends the failure streak, as any delivery does.
    if (delivered.size > 0) await outbox.saveCursor(sink.name, stat.position);
    this.log(failure === null ? 'info' : 'warn', 'dead letters re-sent', {
      sink: sink.name,
      delivered: delivered.size,
      failed: messages.length - delivered.size,
      error: failure,
    });
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

/** One delivery attempt: which of `messages` went through (indexes) and the error, if any. */
const tracer = trace.getTracer('@goodgo/wallet-relay');

/** The span context a stored `traceparent` names, for a link; none for a missing or malformed one. */
function linkOf(traceparent: string | null | undefined): Link[] {
  const sc = spanContextOf(traceparent);
  return sc === undefined ? [] : [{ context: sc }];
}

/**
 * One delivery attempt of a batch, as one span (a root of its own: the relay works for no request)
 * linking to the command span of every event it carries, as stored in the outbox. Without an SDK
 * the API's no-op tracer makes this a pass-through.
 */
async function attempt(sink: EventSink, messages: readonly OutboxMessage[], signal: AbortSignal): Promise<{ delivered: Set<number>; failure: string | null }> {
  const links = messages.flatMap((m) => linkOf(m.traceparent));
  const attributes = { 'wallet.relay.sink': sink.name, 'messaging.batch.message_count': messages.length, 'server.address': sink.target };
  return tracer.startActiveSpan(`wallet.relay.deliver ${sink.name}`, { kind: SpanKind.PRODUCER, links, attributes, root: true }, ROOT_CONTEXT, async (span) => {
    try {
      await sink.deliver(messages, signal);
      return { delivered: new Set(messages.keys()), failure: null };
    } catch (e) {
      const delivered = new Set(e instanceof PartialDelivery ? e.delivered.filter((i) => i >= 0 && i < messages.length) : []);
      // A sink that claims all of them and still throws has failed nothing the relay can retry.
      if (delivered.size === messages.length) return { delivered, failure: null };
      span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(e) });
      span.setAttribute('wallet.relay.delivered', delivered.size);
      return { delivered, failure: errorMessage(e) };
    } finally {
      span.end();
    }
  });
}

async function startPosition(outbox: SqlOutbox, startAt: StartAt): Promise<string> {
  if (startAt === 'now') return outbox.horizon();
  return startAt === 'beginning' ? '0' : startAt;
}

/** Creates a relay and starts it: what the server and a host application call. */
export function startOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  return new OutboxRelay(options).start();
}
