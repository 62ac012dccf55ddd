import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebhookReceiver, newSecret, reachable } from '../../wallet-relay/test/support/receiver.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './support/otlp-receiver.js';
import { adminUrl, freshDatabase, runToken, startServerProcess, type ServerProcess } from './support/process.js';

const amqpUrl = process.env.WALLET_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

const broker = await reachable(amqpUrl);
if (!broker) console.log(`[wallet-server] tracing: the RabbitMQ message case is skipped: no RabbitMQ at ${new URL(amqpUrl).host}.`);
if (!adminUrl) console.log('[wallet-server] tracing on PostgreSQL skipped: WALLET_TEST_DATABASE_URL is not set.');

const SECRET = 'tracing-test-secret-0123456789-abcdefghijk';
const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const SERVER = 2;

async function eventually<T>(what: string, probe: () => T | undefined | false, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Messages {
  readonly got: { headers: Record<string, unknown>; type: string }[];
  close(): Promise<void>;
}

/** A queue of our own bound to the service's exchange: every event published while the test runs. */
async function consume(): Promise<Messages> {
  const conn = await amqp.connect(amqpUrl);
  const ch = await conn.createChannel();
  await ch.assertExchange('goodgo.wallet', 'topic', { durable: true });
  const { queue } = await ch.assertQueue('', { exclusive: true, autoDelete: true });
  await ch.bindQueue(queue, 'goodgo.wallet', '#');
  const got: Messages['got'] = [];
  await ch.consume(queue, (m) => m && got.push({ headers: m.properties.headers ?? {}, type: m.fields.routingKey }), { noAck: true });
  return { got, close: () => conn.close() };
}

function scenario(label: string, database: () => Promise<{ env: Record<string, string>; drop(): Promise<void> }>, protocol: 'http/protobuf' | 'http/json') {
  describe(`${label}, exported over OTLP ${protocol}`, () => {
    let otlp: OtlpReceiver;
    let hooks: WebhookReceiver;
    let messages: Messages | null = null;
    let server: ServerProcess;
    let drop: () => Promise<void>;
    let call: (path: string, token: string, body: unknown, headers?: Record<string, string>) => Promise<{ status: number; body: any; headers: Headers }>;
    let pos: string;

    beforeAll(async () => {
      otlp = await startOtlpReceiver();
      hooks = new WebhookReceiver(newSecret());
      const hookUrl = await hooks.listen();
      if (broker) messages = await consume();
      const db = await database();
      drop = db.drop;
      server = await startServerProcess({
        ...db.env,
        JWT_SECRET: SECRET,
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
        OTEL_BSP_SCHEDULE_DELAY: '50',
        OTEL_SERVICE_NAME: `wallet-tracing-test`,
        WALLET_WEBHOOK_URLS: JSON.stringify([{ name: 'hook', url: hookUrl, from: 'beginning' }]),
        WALLET_WEBHOOK_SECRET: hooks.secret,
        ...(broker ? { WALLET_AMQP_URL: amqpUrl } : {}),
      });
      pos = await runToken(['--sub', 'pos-till', '--role', 'service'], { JWT_SECRET: SECRET });
      const admin = await runToken(['--sub', 'ops', '--role', 'admin'], { JWT_SECRET: SECRET });
      call = async (path, token, body, headers = {}) => {
        const res = await fetch(`${server.url}${path}`, {
          method: body === undefined ? 'GET' : 'POST',
          headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        return { status: res.status, body: (await res.json()) as any, headers: res.headers };
      };
      // Every sink has its position once the relay runs: what is committed from then on reaches it.
      for (let i = 0; i < 400; i++) {
        const relay = await call('/api/v1/admin/relay', admin, undefined);
        if (relay.status === 200 && relay.body.active && relay.body.sinks.every((s: { position: string | null }) => s.position !== null)) break;
        await new Promise((r) => setTimeout(r, 50));
      }
    }, 150_000);

    afterAll(async () => {
      server?.child.kill('SIGTERM');
      await server?.exit;
      await messages?.close();
      await Promise.all([otlp?.close(), hooks?.close(), drop?.()]);
    }, 60_000);

    it('one transfer with a known traceparent: server span (child of the caller), command span, batch span and SQL, in one trace; log lines, webhook and message carry it', async () => {
      const a = await call('/api/v1/wallets', pos, { userId: `alice-${hex(4)}` });
      const b = await call('/api/v1/wallets', pos, { userId: `bob-${hex(4)}` });
      expect((await call('/api/v1/wallets/deposit', pos, { walletId: a.body.id, amount: '50000' })).status).toBe(200);
      const traceId = hex(16);
      const callerSpan = hex(8);
      const res = await call(
        '/api/v1/wallets/transfer',
        pos,
        { fromWalletId: a.body.id, toWalletId: b.body.id, amount: '20000' },
        { traceparent: `00-${traceId}-${callerSpan}-01` },
      );
      expect(res.status).toBe(200);
      const [, answeredTrace, answeredSpan] = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(res.headers.get('traceparent') ?? '') ?? [];
      expect(answeredTrace).toBe(traceId);

      const inTrace = () => otlp.spans.filter((s) => s.traceId === traceId);
      const command = await eventually('the command span', () => inTrace().find((s) => s.name === 'wallet.transfer'));
      const serverSpan = await eventually('the server span', () => inTrace().find((s) => s.kind === SERVER));
      expect(serverSpan).toMatchObject({
        name: 'POST /api/v1/wallets/transfer',
        spanId: answeredSpan,
        parentSpanId: callerSpan,
        serviceName: 'wallet-tracing-test',
      });
      expect(serverSpan.attributes).toMatchObject({ 'http.route': '/api/v1/wallets/transfer', 'http.response.status_code': 200 });
      expect(command.parentSpanId).toBe(serverSpan.spanId);
      expect(command.attributes['wallet.outcome']).toBe('OK');
      expect(command.attributes['wallet.ids']).toEqual(expect.arrayContaining([a.body.id, b.body.id]));
      const batch = await eventually('the batch span', () => inTrace().find((s) => s.name === 'wallet.batch'));
      expect(batch.parentSpanId).toBe(command.spanId);
      expect(batch.links).toContainEqual({ traceId, spanId: command.spanId });
      expect(batch.attributes['db.operation.batch.size']).toBe(batch.links.length);
      const sql = await eventually('the statements', () => {
        // (pg's instrumentation adds a span for taking a pooled connection too: not a statement.)
        const found = inTrace().filter((s) => s.parentSpanId === batch.spanId && s.name.startsWith('pg.query:'));
        return found.length >= 2 ? found : undefined;
      });
      for (const s of sql) expect(s.attributes).toMatchObject({ 'db.system.name': 'postgresql', 'db.query.text': expect.any(String) });
      // The locking read: its text the first time on a connection, then EXECUTE of the plan the
      // connection prepared (the node-postgres driver's first statement of a transaction).
      expect(sql.some((s) => /FOR UPDATE|EXECUTE "wallet_lock_wallets/.test(String(s.attributes['db.query.text'])))).toBe(true);

      // The request's log lines name its trace and its server span.
      const line = server.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'request' && l.trace_id === traceId);
      expect(line).toMatchObject({ span_id: answeredSpan, route: '/api/v1/wallets/transfer', status: 200 });

      // The transfer's events go on in the same trace: the webhook and the message name the command span.
      const ours = `00-${traceId}-${command.spanId}-01`;
      const hook = await eventually('the webhook delivery', () => hooks.accepted.find((d) => d.headers.traceparent === ours));
      expect(hook.verified).toBe(true);
      const delivery = await eventually('the delivery span', () =>
        otlp.spans.find((s) => s.name === 'wallet.relay.deliver hook' && s.links.some((l) => l.spanId === command.spanId)),
      );
      expect(delivery.links).toContainEqual({ traceId, spanId: command.spanId });
      if (messages) {
        const got = messages.got;
        await eventually('the RabbitMQ message', () => got.find((m) => m.headers.traceparent === ours));
      } else console.log('[wallet-server] tracing: RabbitMQ message not checked (no broker).');
    }, 60_000);

    it('a burst of concurrent commands: each batch span links to every command span it carries', async () => {
      const wallets = await Promise.all(Array.from({ length: 12 }, () => call('/api/v1/wallets', pos, { userId: `burst-${hex(4)}` })));
      const traces = wallets.map(() => hex(16));
      const answers = await Promise.all(
        wallets.map((w, i) => call('/api/v1/wallets/deposit', pos, { walletId: w.body.id, amount: '1000' }, { traceparent: `00-${traces[i]}-${hex(8)}-01` })),
      );
      expect(answers.map((r) => r.status)).toEqual(wallets.map(() => 200));
      const commands = await eventually('every command span', () => {
        const found = traces.map((t) => otlp.spans.find((s) => s.traceId === t && s.name === 'wallet.deposit'));
        return found.every(Boolean) ? (found as ReceivedSpan[]) : undefined;
      });
      const ids = new Set(commands.map((c) => c.spanId));
      const batches = await eventually('the batch spans', () => {
        const found = otlp.spans.filter((s) => s.name === 'wallet.batch' && s.links.some((l) => ids.has(l.spanId)));
        const linked = new Set(found.flatMap((s) => s.links.map((l) => l.spanId)));
        return [...ids].every((id) => linked.has(id)) ? found : undefined;
      });
      for (const b of batches) {
        expect(b.attributes['db.operation.batch.size']).toBe(b.links.length);
        for (const l of b.links) expect(ids.has(l.spanId)).toBe(true);
        // A child of the first command it carries, in that command's trace.
        expect(b.links[0]).toEqual({ traceId: b.traceId, spanId: b.parentSpanId });
      }
      expect(Math.max(...batches.map((b) => b.links.length))).toBeGreaterThan(1);
      expect(otlp.contentTypes).toEqual(new Set([protocol === 'http/json' ? 'application/json' : 'application/x-protobuf']));
    }, 60_000);
  });
}

const pglite = () => Promise.resolve({ env: { WALLET_DATA_DIR: 'memory://' }, drop: () => Promise.resolve() });
scenario('PGlite', pglite, 'http/protobuf');
scenario('PGlite', pglite, 'http/json');
describe.runIf(adminUrl)('PostgreSQL', () => {
  const postgres = async () => {
    const db = await freshDatabase();
    return { env: { DATABASE_URL: db.url, DATABASE_POOL_MAX: '4' }, drop: () => db.drop() };
  };
  scenario('PostgreSQL', postgres, 'http/protobuf');
  scenario('PostgreSQL', postgres, 'http/json');
});
