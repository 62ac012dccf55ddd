import type { EventEnvelope } from '@goodgo/wallet-core';

/** One event on its way out: its outbox position and its published envelope. */
export interface OutboxMessage {
  readonly position: string;
  readonly event: EventEnvelope;
  /**
   * The W3C `traceparent` of the command that wrote the event (null for one written before the
   * outbox kept it, or outside any trace): a sink sends it on, so the consumer continues that trace.
   */
  readonly traceparent?: string | null | undefined;
}

/** What the relay does when a sink keeps failing. */
export interface RetryPolicy {
  /** First pause after a failure, doubled after each further one (with jitter). */
  readonly baseDelayMs: number;
  /** The longest pause. */
  readonly maxDelayMs: number;
  /**
   * After this many failed attempts at one batch, its events are dead-lettered and the sink moves
   * on. Infinity: never give up (a broker that is down must hold the stream, not drop it).
   */
  readonly maxAttempts: number;
}

/**
 * Where a sink seen for the first time starts: `'now'` (the newest committed event: it gets what
 * is committed from then on), `'beginning'` (the whole outbox), or a position (what follows it).
 */
export type StartAt = 'now' | 'beginning' | `${bigint}`;

/** Somewhere events go. Delivery is at least once: a sink may be handed a batch again after a crash. */
export interface EventSink {
  /**
   * Stable, unique among the sinks: the key under which the relay remembers how far it got, and
   * the label of its metrics and logs. Never a URL (which may carry a token).
   */
  readonly name: string;
  /** What it delivers to, safe to show: a URL's scheme, host and port, never its path, query or credentials. */
  readonly target: string;
  /** Where it starts the first time the relay sees its name. Default `'now'`. */
  readonly startAt?: StartAt;
  /** The event types it takes (`BalanceChanged`, …); the others are passed over as settled. Default: all. */
  readonly events?: readonly string[];
  /** How many events one `deliver` call takes at most. */
  readonly batchSize: number;
  readonly retry: RetryPolicy;
  /**
   * Delivers the batch and resolves once the sink has accepted all of it (a 2xx, a publisher
   * confirm); throws otherwise, and the relay hands it the rest again. Events of one aggregate
   * arrive in position order (a sink may deliver different aggregates side by side). A sink that
   * got part of the batch through throws `PartialDelivery` naming that part: the relay records it
   * and hands it only the rest.
   */
  deliver(messages: readonly OutboxMessage[], signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/**
 * Thrown by a sink that accepted some events of a batch and then failed: `delivered` is how many
 * from the head (a sink that goes in order), or the indexes of those it delivered. Those are not
 * sent again (outside a crash); the retry policy applies to the first event not delivered. Within
 * an aggregate, nothing after an event that failed may have been delivered.
 */
export class PartialDelivery extends Error {
  readonly delivered: readonly number[];
  constructor(delivered: number | readonly number[], options: { cause: unknown }) {
    super(errorMessage(options.cause), options);
    this.name = 'PartialDelivery';
    this.delivered = typeof delivered === 'number' ? Array.from({ length: delivered }, (_, i) => i) : delivered;
  }
}

/** An error as one line, with what caused it (`fetch failed: connect ECONNREFUSED …`). */
export function errorMessage(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = e.cause instanceof Error && e.cause.message && !e.message.includes(e.cause.message) ? `: ${e.cause.message}` : '';
  return `${e.message}${cause}`;
}
