/**
 * @goodgo/wallet-relay: takes the wallet's committed events out of the outbox to the platform,
 * at least once and in order, to Standard Webhooks endpoints and to RabbitMQ.
 *
 * @example
 * ```ts
 * import { createNodePostgresStore } from '@goodgo/wallet-pg/node-postgres';
 * import { amqpSink, startOutboxRelay, webhookSink } from '@goodgo/wallet-relay';
 *
 * const store = await createNodePostgresStore({ connectionString: process.env.DATABASE_URL });
 * const relay = startOutboxRelay({
 *   driver: store.driver,
 *   sinks: [amqpSink({ url: 'amqp://127.0.0.1' }), webhookSink({ name: 'loyalty', url: 'https://loyalty.example/hooks', secret: 'whsec_…' })],
 * });
 * // … on shutdown:
 * await relay.stop();
 * ```
 */
export {
  OutboxRelay,
  startOutboxRelay,
  backoffDelay,
  type OutboxRelayOptions,
  type RelayStatus,
  type SinkStatus,
  type SinkReport,
  type RelayLogLevel,
} from './relay.js';
export { PartialDelivery, type EventSink, type OutboxMessage, type RetryPolicy, type StartAt } from './sink.js';
export { webhookSink, webhookNameOf, checkWebhookUrl, isSinkName, type WebhookSinkOptions } from './sinks/webhook.js';
export { amqpSink, type AmqpSinkOptions } from './sinks/amqp.js';
export type { DeadLetter } from '@goodgo/wallet-pg';
