import type { EventEnvelope } from '@goodgo/wallet-core';

/** One event on its way out: its outbox position and its published envelope. */
export interface OutboxMessage {
  readonly position: string;
  readonly event: EventEnvelope;
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

/** Somewhere events go. Delivery is at least once: a sink may be handed a batch again after a crash. */
export interface EventSink {
  /** Stable, unique among the sinks: the key under which the relay remembers how far it got. */
  readonly name: string;
  /** How many events one `deliver` call takes at most. */
  readonly batchSize: number;
  readonly retry: RetryPolicy;
  /**
   * Delivers the batch in order and resolves once the sink has accepted all of it (a 2xx, a
   * publisher confirm); throws otherwise, and the relay hands it the same batch again.
   */
  deliver(messages: readonly OutboxMessage[], signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}
