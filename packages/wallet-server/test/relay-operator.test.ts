import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebhookReceiver, newSecret, reachable } from '../../wallet-relay/test/support/receiver.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { startServer, type RunningServer } from '../src/server.js';
import { mintToken } from '../src/token.js';
import { adminUrl, freshDatabase } from './support/process.js';

const amqpUrl = process.env.WALLET_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const JWT_SECRET = 'relay-operator-test-secret-0123456789-abcdef';
const TOKEN_IN_URL = 'tok-9f8e7d6c5b4a-never-shown';

const broker = await reachable(amqpUrl);
if (!adminUrl) console.log('[wallet-server] relay operator routes skipped: WALLET_TEST_DATABASE_URL is not set.');
else if (!broker) console.log(`[wallet-server] relay operator routes skipped: no RabbitMQ at ${new URL(amqpUrl).host}.`);

describe('webhook endpoints in the configuration', () => {
  const secret = newSecret();
  const load = (urls: string, more: Record<string, string> = {}) => loadConfig({ WALLET_WEBHOOK_URLS: urls, WALLET_WEBHOOK_SECRET: secret, ...more });
  const refusal = (urls: string, more: Record<string, string> = {}): string => {
    try {
      load(urls, more);
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as Error).message;
    }
    throw new Error('the configuration was accepted');
  };

  it('takes name=url pairs and bare URLs, naming a bare URL after its hash so that no token shows', () => {
    const config = load(`loyalty=https://hooks.example/a?token=${TOKEN_IN_URL}, https://other.example/b?key=${TOKEN_IN_URL}`);
    expect(config.WALLET_WEBHOOK_URLS.map((e) => [e.name, e.from, e.ordering])).toEqual([
      ['loyalty', 'now', 'aggregate'],
      [expect.stringMatching(/^webhook-[0-9a-f]{12}$/), 'now', 'aggregate'],
    ]);
    expect(config.WALLET_WEBHOOK_URLS[1]?.name).not.toContain(TOKEN_IN_URL);
  });

  it('takes a JSON list with a secret, an event filter, a start and an ordering per endpoint', () => {
    const own = newSecret();
    const config = load(
      JSON.stringify([
        { name: 'crm', url: 'https://crm.example/hooks', secret: own, events: ['WalletFrozen', 'WalletUnfrozen'], from: '42', ordering: 'strict' },
        { name: 'audit', url: 'http://audit.internal/in', from: 'beginning', retry: { maxAttempts: 5 } },
      ]),
    );
    expect(config.WALLET_WEBHOOK_URLS).toEqual([
      { name: 'crm', url: 'https://crm.example/hooks', secret: own, events: ['WalletFrozen', 'WalletUnfrozen'], from: '42', ordering: 'strict' },
      { name: 'audit', url: 'http://audit.internal/in', from: 'beginning', ordering: 'aggregate', retry: { maxAttempts: 5 } },
    ]);
  });

  it('refuses at start a URL that could never deliver, without printing its secret parts', () => {
    const message = refusal(`loyalty=https://shop:${TOKEN_IN_URL}@hooks.example/in`);
    expect(message).toMatch(/loyalty.*credentials/);
    expect(message).not.toContain(TOKEN_IN_URL);
    expect(refusal('loyalty=ftp://hooks.example/in')).toMatch(/http or https/);
  });

  it('refuses two endpoints of one name, an unknown event type, an endpoint with no secret at all, and bad JSON', () => {
    expect(refusal('a=https://x.example/1,a=https://y.example/2')).toMatch(/two endpoints are named a/);
    expect(refusal(JSON.stringify([{ name: 'a', url: 'https://x.example/1', events: ['Nope'] }]))).toMatch(/events/);
    expect(() => loadConfig({ WALLET_WEBHOOK_URLS: 'a=https://x.example/1' })).toThrow(/WALLET_WEBHOOK_SECRET/);
    expect(loadConfig({ WALLET_WEBHOOK_URLS: JSON.stringify([{ name: 'a', url: 'https://x.example/1', secret: secret }]) }).WALLET_WEBHOOK_URLS).toHaveLength(
      1,
    );
    expect(refusal('[{"name": "a",')).toMatch(/JSON/);
  });
});

describe.runIf(adminUrl && broker)('the relay an operator runs (PostgreSQL, RabbitMQ, local webhook receivers)', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  const logs: string[] = [];
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        logs.push(chunk.toString('utf8'));
        done();
      },
    }),
  );
  const receivers: WebhookReceiver[] = [];
  async function receiver(): Promise<{ r: WebhookReceiver; url: string }> {
    const r = new WebhookReceiver(newSecret());
    receivers.push(r);
    return { r, url: await r.listen() };
  }
  let admin: string;

  beforeAll(async () => {
    db = await freshDatabase();
    admin = await mintToken({ sub: 'ops', roles: ['admin'], secret: JWT_SECRET });
  });
  afterAll(async () => {
    for (const r of receivers) await r.close();
    await db?.drop();
  });

  async function start(endpoints: unknown[]): Promise<RunningServer & { call: (method: string, path: string, body?: unknown) => Promise<any> }> {
    const config = loadConfig({
      DATABASE_URL: db.url,
      DATABASE_POOL_MAX: '4',
      JWT_SECRET,
      HOST: '127.0.0.1',
      PORT: '0',
      WALLET_WEBHOOK_URLS: JSON.stringify(endpoints),
      WALLET_AMQP_URL: amqpUrl,
    });
    const server = await startServer(config, logger);
    await server.ready;
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${admin}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, text, body: res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
    };
    return Object.assign(server, { call });
  }

  async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
    let last: T = await read();
    const deadline = Date.now() + 30_000;
    while (!ok(last)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last)}`);
      await new Promise((r) => setTimeout(r, 50));
      last = await read();
    }
    return last;
  }

  it('reports each sink by name with its lag and failures, shows a failing one as degraded, re-sends dead letters; a renamed URL keeps its position and a new sink starts from now', async () => {
    const loyalty = await receiver();
    const audit = await receiver();
    const stuck = await receiver();
    const freezes = await receiver();
    audit.r.failWhen = () => true;
    stuck.r.failWhen = () => true;
    const fast = { baseDelayMs: 10, maxDelayMs: 40 };
    const first = await start([
      { name: 'loyalty', url: `${loyalty.url}?token=${TOKEN_IN_URL}`, secret: loyalty.r.secret },
      { name: 'audit', url: audit.url, secret: audit.r.secret, retry: { ...fast, maxAttempts: 2 } },
      { name: 'stuck', url: stuck.url, secret: stuck.r.secret, retry: { ...fast, maxAttempts: 10_000 } },
      { name: 'freezes', url: freezes.url, secret: freezes.r.secret, events: ['WalletFrozen'] },
    ]);
    let eventCount = 0;
    try {
      // Each sink is stored at the newest event when the relay first sees it: wait for that.
      await until(
        () => first.call('GET', '/api/v1/wallets/admin/relay'),
        (r) => r.body.active === true && r.body.sinks.every((s: { position: string | null }) => s.position !== null),
        'the relay to take its sinks',
      );
      const wallet = (await first.call('POST', '/api/v1/wallets', { userId: 'relay-customer' })).body;
      for (const amount of ['1000', '2000', '3000'])
        expect((await first.call('POST', '/api/v1/wallets/deposit', { walletId: wallet.id, amount })).status).toBe(200);
      expect((await first.call('POST', `/api/v1/wallets/${wallet.id}/freeze`, { reason: 'check' })).status).toBe(200);
      expect((await first.call('POST', `/api/v1/wallets/${wallet.id}/unfreeze`, {})).status).toBe(200);
      eventCount = 6;

      const report = await until(
        () => first.call('GET', '/api/v1/wallets/admin/relay'),
        (r) => {
          const by = Object.fromEntries(r.body.sinks.map((s: { name: string }) => [s.name, s]));
          return (
            by.loyalty?.lagEvents === 0 &&
            by.audit?.lagEvents === 0 &&
            by.freezes?.lagEvents === 0 &&
            by.stuck?.failing === true &&
            r.body.sinks.at(-1).lagEvents === 0
          );
        },
        'every sink but the stuck one to drain',
      );
      const by = Object.fromEntries(report.body.sinks.map((s: { name: string }) => [s.name, s]));
      expect(report.body.sinks.map((s: { name: string }) => s.name)).toEqual([
        'loyalty',
        'audit',
        'stuck',
        'freezes',
        expect.stringMatching(/^amqp:127\.0\.0\.1:5672\/goodgo\.wallet$/),
      ]);
      expect(report.body.head).toBe(by.loyalty.position);
      expect(by.loyalty).toMatchObject({
        target: new URL(loyalty.url).origin,
        events: null,
        lagEvents: 0,
        lagSeconds: 0,
        failing: false,
        consecutiveFailures: 0,
      });
      expect(by.freezes).toMatchObject({ events: ['WalletFrozen'], failing: false });
      // The stuck sink: every event still ahead of it, the oldest waiting for a measurable time.
      expect(by.stuck).toMatchObject({ lagEvents: eventCount, failing: true, lastError: 'webhook answered 503' });
      expect(by.stuck.lagSeconds).toBeGreaterThan(0);
      expect(by.stuck.consecutiveFailures).toBeGreaterThanOrEqual(3);
      // The audit sink dead-lettered each event after two attempts; its streak makes it failing too.
      expect(by.audit).toMatchObject({ failing: true, lastError: 'webhook answered 503', lagEvents: 0 });
      expect(report.body.sinks.at(-1)).toMatchObject({ target: 'amqp://127.0.0.1:5672', failing: false });
      expect(report.text).not.toContain(TOKEN_IN_URL);
      expect(report.text).not.toContain('guest');

      expect(loyalty.r.accepted.map((a) => a.event.type)).toEqual([
        'WalletCreated',
        'BalanceChanged',
        'BalanceChanged',
        'BalanceChanged',
        'WalletFrozen',
        'WalletUnfrozen',
      ]);
      expect(freezes.r.accepted.map((a) => a.event.type)).toEqual(['WalletFrozen']);

      // Degraded, never unready: payments go on.
      const health = await fetch(`${first.url}/health`);
      const healthBody = (await health.json()) as any;
      expect([health.status, healthBody.status, healthBody.checks.relay]).toEqual([200, 'degraded', { status: 'degraded', failing: ['audit', 'stuck'] }]);
      expect((await fetch(`${first.url}/health/ready`)).status).toBe(200);

      const metrics = await (await fetch(`${first.url}/metrics`)).text();
      expect(metrics).toContain('wallet_relay_sink_failing{sink="stuck"} 1');
      expect(metrics).toContain('wallet_relay_sink_failing{sink="loyalty"} 0');
      expect(metrics).toContain(`wallet_relay_sink_lag_events{sink="stuck"} ${eventCount}`);
      expect(metrics).toContain('wallet_relay_sink_lag_events{sink="loyalty"} 0');
      expect(metrics).toMatch(/wallet_relay_sink_lag_seconds\{sink="stuck"\} [0-9.]+/);
      expect(metrics).toContain(`wallet_relay_sink_position{sink="loyalty"} ${by.loyalty.position}`);
      expect(metrics).toContain(`wallet_relay_events_delivered_total{sink="loyalty"} ${eventCount}`);
      expect(metrics).not.toContain(TOKEN_IN_URL);
      expect(metrics).not.toContain('/hooks');

      // Dead letters: one re-sent, then all the rest of the sink's.
      const letters = (await first.call('GET', '/api/v1/wallets/admin/dead-letters?sink=audit')).body.items as {
        position: string;
        status: string;
        eventType: string;
      }[];
      expect(letters).toHaveLength(eventCount);
      expect(new Set(letters.map((l) => l.status))).toEqual(new Set(['dead']));
      audit.r.failWhen = null;
      const one = letters.find((l) => l.eventType === 'WalletFrozen') as { position: string };
      expect((await first.call('POST', '/api/v1/wallets/admin/dead-letters/resend', { sink: 'audit', position: one.position })).body).toEqual({ requested: 1 });
      await until(
        () => first.call('GET', '/api/v1/wallets/admin/dead-letters?sink=audit'),
        (r) => r.body.items.find((l: { position: string }) => l.position === one.position).status === 'redelivered',
        'the one letter to be re-sent',
      );
      expect(audit.r.accepted.map((a) => a.event.type)).toEqual(['WalletFrozen']);
      expect((await first.call('POST', '/api/v1/wallets/admin/dead-letters/resend', { sink: 'audit' })).body).toEqual({ requested: eventCount - 1 });
      await until(
        () => first.call('GET', '/api/v1/wallets/admin/dead-letters?sink=audit'),
        (r) => r.body.items.every((l: { status: string }) => l.status === 'redelivered'),
        'every letter to be re-sent',
      );
      expect(audit.r.accepted).toHaveLength(eventCount);
      expect(audit.r.accepted.every((a) => a.verified)).toBe(true);
      // A letter re-sent already is not sent again; a sink that is not configured is refused.
      expect((await first.call('POST', '/api/v1/wallets/admin/dead-letters/resend', { sink: 'audit' })).body).toEqual({ requested: 0 });
      expect((await first.call('POST', '/api/v1/wallets/admin/dead-letters/resend', { sink: 'nobody' })).status).toBe(400);
      // Getting something through ended audit's streak: only the stuck sink degrades health now.
      const after = (await (await fetch(`${first.url}/health`)).json()) as any;
      expect(after.checks.relay).toEqual({ status: 'degraded', failing: ['stuck'] });
    } finally {
      await first.close();
    }

    // Renamed URL, same name: the position stays (nothing is replayed). A new sink starts from
    // now, unless told to start from the beginning.
    const moved = await receiver();
    const late = await receiver();
    const replay = await receiver();
    const second = await start([
      { name: 'loyalty', url: moved.url, secret: moved.r.secret },
      { name: 'late', url: late.url, secret: late.r.secret },
      { name: 'replay', url: replay.url, secret: replay.r.secret, from: 'beginning' },
    ]);
    try {
      await until(
        () => second.call('GET', '/api/v1/wallets/admin/relay'),
        (r) => r.body.active === true && r.body.sinks.every((s: { position: string | null }) => s.position !== null),
        'the relay to take its sinks',
      );
      const other = (await second.call('POST', '/api/v1/wallets', { userId: 'relay-customer-2' })).body;
      await until(
        () => second.call('GET', '/api/v1/wallets/admin/relay'),
        (r) => r.body.sinks.every((s: { lagEvents: number }) => s.lagEvents === 0),
        'every sink to drain',
      );
      expect(moved.r.accepted.map((a) => a.event.aggregateId)).toEqual([other.id]);
      expect(late.r.accepted.map((a) => a.event.aggregateId)).toEqual([other.id]);
      expect(replay.r.accepted).toHaveLength(eventCount + 1);
    } finally {
      await second.close();
    }
    // The token in loyalty's first URL never reached a log line.
    expect(logs.length).toBeGreaterThan(0);
    expect(logs.filter((l) => l.includes(TOKEN_IN_URL))).toEqual([]);
    expect(logs.some((l) => l.includes('"sink":"stuck"'))).toBe(true);
  }, 120_000);
});
