/**
 * The outbox as the relay and the event feed read it: pages of committed events in position
 * order that never skip one (see the horizon in migration 0005_outbox_relay), how far each sink got, the
 * events a sink gave up on, and the advisory lock that makes one relay the active one.
 */
import { assertFeedPosition, type DomainEvent, type Positioned } from '@goodgo/wallet-core';
import type { Row, SqlSession } from './driver.js';
import * as q from './sql/outbox.js';
import { eventFromRow } from './rows.js';

/** Held (session level) by the one active relay across all instances. */
const RELAY_LOCK = 113728307881841;

export interface DeadLetter {
  sink: string;
  position: string;
  eventId: string;
  eventType: string;
  attempts: number;
  lastError: string;
  createdAt: Date;
  /** When an admin asked for it to be sent again (null once a re-send failed, or before any). */
  resendRequestedAt: Date | null;
  /** When a re-send went through. */
  redeliveredAt: Date | null;
}

/** A sink as the database knows it: every instance, standby or active, reads the same. */
export interface SinkState {
  sink: string;
  /** The position of the last event it settled (delivered, filtered out or dead-lettered). */
  position: string;
  /** When that position was stored. */
  updatedAt: Date;
  /** Failed attempts since the last one that got something through. */
  consecutiveFailures: number;
  lastError: string | null;
  lastErrorAt: Date | null;
  /** Events after its position (counted up to the cap the caller gave). */
  lagEvents: number;
  /** Age of the oldest event it has not settled; 0 when caught up. */
  lagSeconds: number;
}

/** An event a re-send is asked for: null when the outbox no longer holds it. */
export interface PendingResend {
  position: string;
  attempts: number;
  event: DomainEvent | null;
  /** The traceparent of the command that wrote it (see `OutboxEntry`). */
  traceparent: string | null;
}

/** An event as the outbox holds it: its position, and the `traceparent` of the command that wrote it (null outside a trace). */
export interface OutboxEntry extends Positioned<DomainEvent> {
  readonly traceparent: string | null;
}

const traceparentOfRow = (r: Row): string | null => (typeof r.traceparent === 'string' ? r.traceparent : null);

const dateOrNull = (v: unknown): Date | null => (v === null || v === undefined ? null : v instanceof Date ? v : new Date(String(v)));

/**
 * Events after `after`, oldest first, at most `limit`, and only up to the horizon: a page never
 * holds an event while an earlier position may still commit. Run it outside a transaction: the
 * horizon's lock lasts until the transaction of its statement ends. `feed`: `after` is a
 * consumer's, and one beyond the horizon (the newest position; nothing later has committed) is
 * VALIDATION_ERROR; the relay's own position is trusted and simply waits there.
 */
export async function readCommittedEvents(session: SqlSession, after: string, limit: number, feed = false): Promise<OutboxEntry[]> {
  const horizon = BigInt(await new SqlOutbox(session).horizon());
  if (feed) assertFeedPosition(BigInt(after), horizon);
  if (BigInt(after) >= horizon) return [];
  const rows = await session.query(q.listEvents.text, [after, limit, horizon.toString()], q.listEvents.name);
  return rows.map((r) => ({ position: String(r.position), row: eventFromRow(r), traceparent: traceparentOfRow(r) }));
}

/** The relay's bookkeeping, on one session (the connection that holds the relay lock). */
export class SqlOutbox {
  private readonly session: SqlSession;

  constructor(session: SqlSession) {
    this.session = oneAtATime(session);
  }

  read(after: string, limit: number): Promise<OutboxEntry[]> {
    return readCommittedEvents(this.session, after, limit);
  }

  /** Takes the relay lock if free; true when this session now holds it (until it ends or unlocks). */
  async tryLead(): Promise<boolean> {
    const [row] = await this.session.query('SELECT pg_try_advisory_lock($1) AS ok', [RELAY_LOCK]);
    return row?.ok === true;
  }

  async resign(): Promise<void> {
    await this.session.query('SELECT pg_advisory_unlock($1)', [RELAY_LOCK]);
  }

  /** The position of the last event delivered to this sink; '0' before the first. */
  async cursor(sink: string): Promise<string> {
    const [row] = await this.session.query(q.sinkCursor.text, [sink], q.sinkCursor.name);
    return row ? String(row.position) : '0';
  }

  /**
   * The sink's stored position; a sink seen for the first time is stored at `start` (the caller
   * picks it: the horizon for "from now", '0' for "from the beginning") and keeps it from then on.
   */
  async startCursor(sink: string, start: () => Promise<string>): Promise<string> {
    const [row] = await this.session.query(q.sinkCursor.text, [sink], q.sinkCursor.name);
    if (row) return String(row.position);
    await this.session.query(q.startSinkCursor.text, [sink, await start()], q.startSinkCursor.name);
    return this.cursor(sink);
  }

  /** The largest position below which every event is settled (see `readCommittedEvents`). */
  async horizon(): Promise<string> {
    const [h] = await this.session.query(q.outboxHorizon.text, [], q.outboxHorizon.name);
    return String(h?.horizon ?? '0');
  }

  /** Stores how far the sink got; `delivered`: it got something through, ending its failure streak. */
  /** The newest position; cheaper than the horizon and never waits for writers (it may be ahead of it). */
  async head(): Promise<string> {
    const [row] = await this.session.query(q.outboxHead.text, [], q.outboxHead.name);
    return String(row?.head ?? '0');
  }

  async saveCursor(sink: string, position: string, delivered = true): Promise<void> {
    await this.session.query(q.saveSinkCursor.text, [sink, position, delivered], q.saveSinkCursor.name);
  }

  async recordFailure(sink: string, error: string): Promise<void> {
    await this.session.query(q.recordSinkFailure.text, [sink, error], q.recordSinkFailure.name);
  }

  /** The named sinks' positions, failure streaks and lag (a sink never started is left out). */
  async sinkStates(sinks: readonly string[], lagCap = 1_000_000): Promise<SinkState[]> {
    const rows = await this.session.query(q.sinkStates.text, [sinks, lagCap], q.sinkStates.name);
    return rows.map((r) => ({
      sink: String(r.sink),
      position: String(r.position),
      updatedAt: dateOrNull(r.updated_at) as Date,
      consecutiveFailures: Number(r.consecutive_failures),
      lastError: r.last_error === null ? null : String(r.last_error),
      lastErrorAt: dateOrNull(r.last_error_at),
      lagEvents: Number(r.lag_events),
      lagSeconds: r.lag_seconds === null ? 0 : Math.max(0, Number(r.lag_seconds)),
    }));
  }

  /** Asks the active relay to send one dead letter (or all of a sink's) again; how many were marked. */
  async requestResend(sink: string, position?: string): Promise<number> {
    const rows = await this.session.query(q.requestResend.text, [sink, position ?? null], q.requestResend.name);
    return rows.length;
  }

  async pendingResends(sink: string, limit: number): Promise<PendingResend[]> {
    const rows = await this.session.query(q.pendingResends.text, [sink, limit], q.pendingResends.name);
    return rows.map((r) => ({
      position: String(r.position),
      attempts: Number(r.attempts),
      event: r.id === null ? null : eventFromRow(r),
      traceparent: traceparentOfRow(r),
    }));
  }

  async markRedelivered(sink: string, position: string): Promise<void> {
    await this.session.query(q.markRedelivered.text, [sink, position], q.markRedelivered.name);
  }

  async resendFailed(sink: string, position: string, error: string): Promise<void> {
    await this.session.query(q.resendFailed.text, [sink, position, error], q.resendFailed.name);
  }

  async addDeadLetter(letter: Omit<DeadLetter, 'createdAt' | 'resendRequestedAt' | 'redeliveredAt'>): Promise<void> {
    await this.session.query(
      q.addDeadLetter.text,
      [letter.sink, letter.position, letter.eventId, letter.eventType, letter.attempts, letter.lastError],
      q.addDeadLetter.name,
    );
  }

  /** Newest first; only one sink's when `sink` is given. */
  async listDeadLetters(limit = 100, sink?: string): Promise<DeadLetter[]> {
    const rows = await this.session.query(q.listDeadLetters.text, [limit, sink ?? null], q.listDeadLetters.name);
    return rows.map((r) => ({
      sink: String(r.sink),
      position: String(r.position),
      eventId: String(r.event_id),
      eventType: String(r.event_type),
      attempts: Number(r.attempts),
      lastError: String(r.last_error),
      createdAt: dateOrNull(r.created_at) as Date,
      resendRequestedAt: dateOrNull(r.resend_requested_at),
      redeliveredAt: dateOrNull(r.redelivered_at),
    }));
  }
}

/**
 * The relay's sinks share its one connection and read ahead while they deliver. A statement
 * whose parameters cannot be inlined runs as BEGIN, SET LOCAL, the statement, COMMIT: sent while
 * another is in flight, the two would interleave inside one transaction. So they queue here.
 */
function oneAtATime(session: SqlSession): SqlSession {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    query<R extends Row = Row>(text: string, params?: readonly unknown[], name?: string): Promise<R[]> {
      const run = tail.then(() => session.query<R>(text, params, name));
      tail = run.catch(() => undefined);
      return run;
    },
  };
}
