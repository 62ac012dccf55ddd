import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRateLimiter, parseRateLimits } from '../src/rate-limit.js';
import { Metrics } from '../src/metrics.js';
import { mintToken } from '../src/token.js';
import { harness, uniqueSub, type Harness } from './support/harness.js';
import { startServerProcess, type ServerProcess } from './support/process.js';

describe('WALLET_RATE_LIMIT', () => {
  it('reads one limit for every role, or a default with per-role overrides', () => {
    expect(parseRateLimits('100/1s')).toEqual({
      user: { points: 100, windowSeconds: 1 },
      service: { points: 100, windowSeconds: 1 },
      admin: { points: 100, windowSeconds: 1 },
    });
    expect(parseRateLimits('100/s, service=6000/1m,admin=off')).toEqual({
      user: { points: 100, windowSeconds: 1 },
      service: { points: 6000, windowSeconds: 60 },
      admin: null,
    });
    // A role neither named nor covered by a default is not limited.
    expect(parseRateLimits('user=10/10s')).toEqual({ user: { points: 10, windowSeconds: 10 }, service: null, admin: null });
  });

  it.each(['', '100', '0/1s', '100/500ms', '1.5/1s', 'root=1/1s', '1/1s,2/1s', 'user=1/1s,user=2/1s'])('refuses %j', (spec) => {
    expect(() => parseRateLimits(spec)).toThrow();
  });
});

async function withLimits(spec: string): Promise<Harness & { metrics: Metrics }> {
  const metrics = new Metrics({ defaultMetrics: false });
  const rateLimiter = createRateLimiter({ limits: parseRateLimits(spec), logger: pino({ level: 'silent' }), metrics });
  return harness({ rateLimiter, metrics });
}

describe('rate limits in one process (no REDIS_URL)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await withLimits('3/1m,service=5/1m,admin=off');
  });

  it('answers the request past the limit 429 RATE_LIMITED with Retry-After and the RateLimit headers', async () => {
    const token = await h.token(uniqueSub());
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await h.call('GET', '/api/v1/wallets', { token }));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429]);
    expect(answers.map((a) => a.headers.get('ratelimit'))).toEqual(['"user";r=2;t=60', '"user";r=1;t=60', '"user";r=0;t=60', '"user";r=0;t=60']);
    expect(answers[0]?.headers.get('ratelimit-policy')).toBe('"user";q=3;w=60');
    const refused = answers[3]!;
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(refused.headers.get('ratelimit-policy')).toBe('"user";q=3;w=60');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(59);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(refused.body).toMatchObject({ code: 'RATE_LIMITED', status: 429, title: 'Too many requests' });
    const metrics = await h.metrics.registry.metrics();
    expect(metrics).toContain('wallet_rate_limited_total{role="user"} 1');
  });

  it('counts each caller apart, a service client under its own larger limit, an admin not at all', async () => {
    const [a, b, svc, admin] = await Promise.all([h.token(uniqueSub()), h.token(uniqueSub()), h.token(uniqueSub(), 'service'), h.token(uniqueSub(), 'admin')]);
    const statuses = async (token: string, n: number) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push((await h.call('GET', '/api/v1/wallets', { token })).status);
      return out;
    };
    expect(await statuses(a, 4)).toEqual([200, 200, 200, 429]);
    expect(await statuses(b, 3)).toEqual([200, 200, 200]);
    expect(await statuses(svc, 6)).toEqual([200, 200, 200, 200, 200, 429]);
    const adminAnswers = await Promise.all(Array.from({ length: 10 }, () => h.call('GET', '/api/v1/wallets', { token: admin })));
    expect(adminAnswers.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(adminAnswers[0]?.headers.get('ratelimit')).toBeNull();
  });

  it('changes nothing for a command refused by the limit, and never limits health', async () => {
    const u = await h.userWithWallet('100');
    // userWithWallet spent one request of the user's three on creating the wallet.
    const pay = (n: number) =>
      h.call('POST', '/api/v1/wallets/withdraw', { token: u.token, body: { walletId: u.walletId, amount: '10' }, headers: { 'idempotency-key': `w-${n}` } });
    expect((await pay(1)).status).toBe(200);
    expect((await pay(2)).status).toBe(200);
    const refused = await pay(3);
    expect([refused.status, refused.body.code]).toEqual([429, 'RATE_LIMITED']);
    const admin = await h.token('rate-admin', 'admin');
    const wallet = await h.call('GET', `/api/v1/wallets/${u.walletId}`, { token: admin });
    expect(wallet.body.balance).toBe('80');
    const history = await h.call('GET', `/api/v1/wallets/${u.walletId}/transactions`, { token: admin });
    expect(history.body.items.map((t: { type: string }) => t.type)).toEqual(['withdrawal', 'withdrawal', 'deposit']);
    for (let i = 0; i < 5; i++) expect((await h.call('GET', '/health/live')).status).toBe(200);
  });
});

const redisServer = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => spawnSync(p, ['--version']).status === 0);
if (!redisServer) console.log('[wallet-server] shared rate limit suite skipped: no redis-server binary (apt-get install redis-server)');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A Redis of the test's own, in memory only, on loopback. */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(redisServer as string, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'pipe' });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('redis-server did not start')), 10_000);
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`)));
  });
  return child;
}

describe.runIf(redisServer)('rate limits shared through Redis by two server instances', () => {
  const SECRET = 'rate-limit-secret-0123456789-abcdefghij';
  let redisPort: number;
  let redis: ChildProcess | null = null;
  const servers: ServerProcess[] = [];
  beforeAll(async () => {
    redisPort = await freePort();
    redis = await startRedis(redisPort);
    const env = { JWT_SECRET: SECRET, WALLET_DATA_DIR: 'memory://', WALLET_RATE_LIMIT: '4/1m,service=100/1m', REDIS_URL: `redis://127.0.0.1:${redisPort}` };
    servers.push(...(await Promise.all([startServerProcess(env), startServerProcess(env)])));
  }, 120_000);
  afterAll(async () => {
    for (const s of servers) s.child.kill('SIGKILL');
    redis?.kill('SIGKILL');
  });

  const get = async (url: string, path: string, token?: string) => {
    const res = await fetch(`${url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(10_000) });
    return { status: res.status, headers: res.headers, body: (await res.json()) as any };
  };

  it('counts a caller once across both instances, keeps payments going while Redis is gone, and limits again when it is back', async () => {
    const [a, b] = servers.map((s) => s.url) as [string, string];
    const token = await mintToken({ sub: 'shared-caller', roles: [], secret: SECRET });
    // Two on each instance: the fifth, on either, is over the shared limit of four.
    const statuses = [];
    for (const url of [a, b, a, b, a, b]) statuses.push((await get(url, '/api/v1/wallets', token)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    const healthy = await get(a, '/health');
    expect([healthy.status, healthy.body.status, healthy.body.checks.redis]).toEqual([200, 'ok', { status: 'up' }]);

    // Redis dies midway: the limiter fails open (logged, metered), health says degraded, never unavailable.
    redis?.kill('SIGKILL');
    await new Promise((resolve) => redis?.once('exit', resolve));
    // (The caller already over its limit stays refused from memory for the rest of its window.)
    expect((await get(a, '/api/v1/wallets', token)).status).toBe(429);
    const fresh = await mintToken({ sub: 'during-outage', roles: [], secret: SECRET });
    const during = [];
    for (const url of [a, b, a, b, a, b]) during.push((await get(url, '/api/v1/wallets', fresh)).status);
    expect(during).toEqual([200, 200, 200, 200, 200, 200]);
    for (const url of [a, b]) {
      const health = await get(url, '/health');
      expect([health.status, health.body.status, health.body.checks.redis]).toEqual([200, 'degraded', { status: 'down' }]);
      expect((await get(url, '/health/ready')).status).toBe(200);
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toMatch(/^wallet_rate_limiter_fail_open_total\{role="user"\} 3$/m);
    }
    for (const s of servers) expect(s.logs.filter((l) => l.includes('rate limiter store unreachable') && l.includes('"level":40'))).toHaveLength(1);

    // Back on the same port: the instances reconnect by themselves and the (emptied) count starts again.
    redis = await startRedis(redisPort);
    for (let i = 0; i < 100; i++) {
      if ((await get(a, '/health')).body.status === 'ok' && (await get(b, '/health')).body.status === 'ok') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const other = await mintToken({ sub: 'after-outage', roles: [], secret: SECRET });
    const after = [];
    for (const url of [a, b, a, b, a]) after.push((await get(url, '/api/v1/wallets', other)).status);
    expect(after).toEqual([200, 200, 200, 200, 429]);
  }, 60_000);
});
