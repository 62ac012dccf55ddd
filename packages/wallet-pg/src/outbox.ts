/**
 * The outbox as the relay and the event feed read it: pages of committed events in position
 * order that never skip one (see the horizon in migration 0005_outbox_relay), how far each sink got, the
 * events a sink gave up on, and the advisory lock that makes one relay the active one.
 */
import type { DomainEvent, Positioned } from '@goodgo/wallet-core';
import type { SqlSession } from './driver.js';
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
}

/**
 * Events after `after`, oldest first, at most `limit`, and only up to the horizon: a page never
 * holds an event while an earlier position may still commit. Run it outside a transaction: the
 * horizon's lock lasts until the transaction of its statement ends.
 */
export async function readCommittedEvents(session: SqlSession, after: string, limit: number): Promise<Positioned<DomainEvent>[]> {
  const [h] = await session.query(q.outboxHorizon.text, [], q.outboxHorizon.name);
  const horizon = BigInt(String(h?.horizon ?? '0'));
  if (BigInt(after) >= horizon) return [];
  const rows = await session.query(q.listEvents.text, [after, limit, horizon.toString()], q.listEvents.name);
  return rows.map((r) => ({ position: String(r.position), row: eventFromRow(r) }));
}

/** The relay's bookkeeping, on one session (the connection that holds the relay lock). */
export class SqlOutbox {
  constructor(private readonly session: SqlSession) {}

  read(after: string, limit: number): Promise<Positioned<DomainEvent>[]> {
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

  async saveCursor(sink: string, position: string): Promise<void> {
    await this.session.query(q.saveSinkCursor.text, [sink, position], q.saveSinkCursor.name);
  }

  async addDeadLetter(letter: Omit<DeadLetter, 'createdAt'>): Promise<void> {
    await this.session.query(
      q.addDeadLetter.text,
      [letter.sink, letter.position, letter.eventId, letter.eventType, letter.attempts, letter.lastError],
      q.addDeadLetter.name,
    );
  }

  async listDeadLetters(limit = 100): Promise<DeadLetter[]> {
    const rows = await this.session.query(q.listDeadLetters.text, [limit], q.listDeadLetters.name);
    return rows.map((r) => ({
      sink: String(r.sink),
      position: String(r.position),
      eventId: String(r.event_id),
      eventType: String(r.event_type),
      attempts: Number(r.attempts),
      lastError: String(r.last_error),
      createdAt: r.created_at instanceof Date ? r.created_at : new Date(String(r.created_at)),
    }));
  }
}
