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
   * publisher confirm); throws otherwise, and the relay hands it the same batch again. A sink that
   * delivers one event at a time throws `PartialDelivery` when it got some of the batch through:
   * the relay then records that prefix and hands it only the rest.
   */
  deliver(messages: readonly OutboxMessage[], signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/**
 * Thrown by a sink that accepted the first `delivered` events of a batch and then failed: those
 * are not sent again (outside a crash), and the retry policy applies to the event it stopped at.
 */
export class PartialDelivery extends Error {
  constructor(
    readonly delivered: number,
    options: { cause: unknown },
  ) {
    super(options.cause instanceof Error ? options.cause.message : String(options.cause), options);
    this.name = 'PartialDelivery';
  }
}
