import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import autocannon from 'autocannon';
import { mintToken } from '@goodgo/wallet-server';
import type { Report } from './report.js';
import { freePort, startServer, type Child } from './processes.js';
import { ratio, round } from './stats.js';

const SECRET = 'bench-secret-bench-secret-bench-secret-0123';
const CONNECTIONS = 64;

interface Cannon {
  perSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
}

/** GETs at `connections` from autocannon, each request's path from `path()`. */
async function getCannon(base: string, token: string | null, seconds: number, path: () => string): Promise<Cannon> {
  const result = await autocannon({
    url: base,
    connections: CONNECTIONS,
    duration: seconds,
    method: 'GET',
    headers: token ? { authorization: `Bearer ${token}` } : {},
    requests: [{ setupRequest: (req) => ({ ...req, path: path() }) }],
  });
  return { perSecond: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx };
}

const fmt = (c: Cannon) => `${round(c.perSecond)}/s p50 ${c.p50} ms p99 ${c.p99} ms${c.non2xx ? ` (${c.non2xx} non-2xx)` : ''}`;

const redisBinary = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => spawnSync(p, ['--version']).status === 0);

async function startRedis(): Promise<{ url: string; stop(): void } | null> {
  if (!redisBinary) return null;
  const port = await freePort();
  const child: ChildProcess = spawn(redisBinary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'pipe' });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('redis-server did not start')), 10_000);
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return { url: `redis://127.0.0.1:${port}`, stop: () => child.kill('SIGKILL') };
}

export interface ReadsOptions {
  databaseUrl: string;
  /** Seeded wallets and their owners' user ids (`summary?userId=`). */
  walletIds: string[];
  userIds: string[];
  seconds: number;
}

/**
 * Section 11: the hot reads (a wallet, a user's summary) against the bare `/health/live` route of
 * the same server process, at 64 connections on PostgreSQL with a JWT verified on each request;
 * then the rate limiter's cost per request on the same read, in process and through Redis,
 * against no limiter, in the same run.
 */
export async function benchReads(report: Report, o: ReadsOptions): Promise<void> {
  const token = await mintToken({ sub: 'bench-reader', roles: ['service'], secret: SECRET, expiresIn: '1h' });
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(Math.random() * xs.length)] as T;
  const wallet = () => `/api/v1/wallets/${pick(o.walletIds)}`;
  const summary = () => `/api/v1/wallets/summary?userId=${encodeURIComponent(pick(o.userIds))}`;
  const env = { DATABASE_URL: o.databaseUrl, DATABASE_POOL_MAX: '16', JWT_SECRET: SECRET, LOG_LEVEL: 'warn' };
  const section = `11. reads, PostgreSQL (${CONNECTIONS} connections)`;

  const measure = async (extra: Record<string, string>, run: (server: Child) => Promise<void>) => {
    const server = await startServer({ ...env, ...extra });
    try {
      // Warm-up: JIT, each pooled connection's prepared statements, PostgreSQL's caches.
      await getCannon(server.url, token, 2, wallet);
      await run(server);
    } finally {
      await server.stop();
    }
  };

  let live: Cannon | undefined;
  let plain: Cannon | undefined;
  await measure({}, async (server) => {
    live = await getCannon(server.url, null, o.seconds, () => '/health/live');
    plain = await getCannon(server.url, token, o.seconds, wallet);
    const sum = await getCannon(server.url, token, o.seconds, summary);
    report.raw.reads = { live, wallet: plain, summary: sum };
    for (const [name, c] of [
      ['GET wallet, JWT verified', plain],
      ['GET summary, JWT verified', sum],
    ] as const) {
      report.add({
        section,
        case: name,
        ours: fmt(c),
        baseline: `/health/live ${fmt(live)}`,
        ratio: ratio(c.perSecond, live.perSecond),
        target: '≥ 0.5 of /health/live',
        met: c.perSecond >= 0.5 * live.perSecond,
      });
    }
  });

  // The limiter's cost: one caller, a limit it never reaches, so every request is counted and passes.
  const limit = { WALLET_RATE_LIMIT: '999999999/1s' };
  await measure(limit, async (server) => {
    const c = await getCannon(server.url, token, o.seconds, wallet);
    report.raw.reads_limit_memory = c;
    report.add({
      section,
      case: 'GET wallet, rate limit in process',
      ours: fmt(c),
      baseline: `no limit ${fmt(plain as Cannon)}`,
      ratio: ratio(c.perSecond, (plain as Cannon).perSecond),
      target: 'report',
      met: null,
    });
  });
  const redis = await startRedis().catch(() => null);
  if (!redis) {
    report.note('no redis-server: the rate limiter through Redis was not measured');
    return;
  }
  try {
    await measure({ ...limit, REDIS_URL: redis.url }, async (server) => {
      const c = await getCannon(server.url, token, o.seconds, wallet);
      report.raw.reads_limit_redis = c;
      report.add({
        section,
        case: 'GET wallet, rate limit through Redis',
        ours: fmt(c),
        baseline: `no limit ${fmt(plain as Cannon)}`,
        ratio: ratio(c.perSecond, (plain as Cannon).perSecond),
        target: 'report',
        met: null,
      });
    });
  } finally {
    redis.stop();
  }
}
