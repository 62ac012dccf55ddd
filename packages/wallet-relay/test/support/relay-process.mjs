// One relay instance as a separate process, the way each server instance runs one: the crash
// test kills it with SIGKILL. Built packages, as a deployment would load them. The webhook sink
// keeps strict order, so that the test can hold the whole stream to one order across the crash.
import pg from 'pg';
import { NodePostgresDriver } from '@goodgo/wallet-pg/node-postgres';
import { OutboxRelay, amqpSink, webhookSink } from '@goodgo/wallet-relay';

const env = process.env;
const driver = new NodePostgresDriver(new pg.Pool({ connectionString: env.DATABASE_URL, max: 2 }), true);
const fast = { baseDelayMs: 20, maxDelayMs: 200 };
const relay = new OutboxRelay({
  driver,
  sinks: [
    webhookSink({
      name: 'crash-hooks',
      url: env.WEBHOOK_URL,
      secret: env.WEBHOOK_SECRET,
      retry: { ...fast, maxAttempts: 1000 },
      startAt: 'beginning',
      ordering: 'strict',
    }),
    amqpSink({ url: env.AMQP_URL, exchange: env.AMQP_EXCHANGE, batchSize: Number(env.AMQP_BATCH ?? 10), retry: fast, startAt: 'beginning' }),
  ],
  pollIntervalMs: 20,
  leaderRetryMs: Number(env.LEADER_RETRY_MS ?? 200),
  log: (level, message, fields) => console.log(JSON.stringify({ level, message, error: fields?.error })),
});
relay.start();
process.on('SIGTERM', () => {
  relay
    .stop()
    .then(() => driver.close())
    .then(() => process.exit(0));
});
