import amqp from 'amqplib';
import type { EventSink, OutboxMessage, RetryPolicy, StartAt } from '../sink.js';

export interface AmqpSinkOptions {
  /** `amqp://user:pass@host:5672/vhost` */
  url: string;
  /** Default `goodgo.wallet`, a durable topic exchange (declared if missing). */
  exchange?: string;
  /** Events published per confirm round. Default 200. */
  batchSize?: number;
  /** Default: 500 ms doubling up to 30 s, never giving up. */
  retry?: Partial<RetryPolicy>;
  /** Default `amqp:<host>[/<vhost>]/<exchange>` (no credentials). */
  name?: string;
  /** Where it starts the first time the relay sees its name. Default `'now'`. */
  startAt?: StartAt;
  /** The event types it publishes. Default: all. */
  events?: readonly string[];
}

const DEFAULT_RETRY: RetryPolicy = { baseDelayMs: 500, maxDelayMs: 30_000, maxAttempts: Number.POSITIVE_INFINITY };

/**
 * Publishes to a RabbitMQ topic exchange: routing key = event type, persistent messages,
 * `messageId` = event id, the position in the `x-position` header, the writing command's
 * `traceparent` in a header of that name. A batch counts as delivered
 * only when the broker has confirmed every message of it (a confirm channel); a lost connection
 * fails the batch, and the next attempt reconnects and publishes it again.
 */
export function amqpSink(options: AmqpSinkOptions): EventSink {
  const exchange = options.exchange ?? 'goodgo.wallet';
  let connection: amqp.ChannelModel | null = null;
  let channel: amqp.ConfirmChannel | null = null;

  async function open(): Promise<amqp.ConfirmChannel> {
    if (channel) return channel;
    const conn = await amqp.connect(options.url);
    // A broken connection surfaces as a failed publish or confirm; these only keep it from crashing the process.
    conn.on('error', () => undefined);
    conn.on('close', () => {
      if (connection === conn) {
        connection = null;
        channel = null;
      }
    });
    try {
      const ch = await conn.createConfirmChannel();
      ch.on('error', () => undefined);
      await ch.assertExchange(exchange, 'topic', { durable: true });
      connection = conn;
      channel = ch;
      return ch;
    } catch (e) {
      await conn.close().catch(() => undefined);
      throw e;
    }
  }

  async function reset(): Promise<void> {
    const conn = connection;
    connection = null;
    channel = null;
    await conn?.close().catch(() => undefined);
  }

  const safeUrl = new URL(options.url);
  safeUrl.password = '';
  safeUrl.username = '';
  return {
    name: options.name ?? `amqp:${safeUrl.host}${safeUrl.pathname === '/' ? '' : safeUrl.pathname}/${exchange}`,
    target: `${safeUrl.protocol}//${safeUrl.host}`,
    ...(options.startAt !== undefined ? { startAt: options.startAt } : {}),
    ...(options.events !== undefined ? { events: options.events } : {}),
    batchSize: options.batchSize ?? 200,
    retry: { ...DEFAULT_RETRY, ...options.retry },
    async deliver(messages: readonly OutboxMessage[]): Promise<void> {
      try {
        const ch = await open();
        for (const m of messages) {
          const ok = ch.publish(exchange, m.event.type, Buffer.from(JSON.stringify(m.event)), {
            persistent: true,
            contentType: 'application/json',
            messageId: m.event.id,
            type: m.event.type,
            timestamp: Math.floor(Date.parse(m.event.occurredAt) / 1000),
            // `traceparent`: the command's trace goes on at the consumer (W3C Trace Context for AMQP).
            headers: { 'x-position': m.position, 'x-event-version': m.event.version, ...(m.traceparent ? { traceparent: m.traceparent } : {}) },
          });
          if (!ok) {
            await new Promise<void>((resolve, reject) => {
              ch.once('drain', () => resolve());
              ch.once('close', () => reject(new Error('AMQP channel closed while waiting to drain')));
            });
          }
        }
        await ch.waitForConfirms();
      } catch (e) {
        await reset();
        throw e;
      }
    },
    close: reset,
  };
}
