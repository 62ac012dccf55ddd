import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpuNow, cpuSince, processCpuMs } from './cpu.js';
import { CONNECTIONS, SECRET, cannon, fmt, serviceToken, type Cannon } from './cannon.js';
import type { Report } from './report.js';
import { freePort, startServer, type Child } from './processes.js';
import { ratio, round } from './stats.js';

/** GETs at `CONNECTIONS` for `seconds`, each request's path from `path()`. */
const getCannon = (base: string, token: string | null, seconds: number, path: () => string): Promise<Cannon> =>
  cannon(base, token, CONNECTIONS, seconds, { path });

interface Sampled {
  cannon: Cannon;
  /** CPU time per answer, in µs, of the server process and of PostgreSQL (the bench database's backends). */
  serverUs: number;
  postgresUs: number;
}

// Eight rounds, not four: a round's ratio moved between 0.39 and 0.78 on an idle machine whose
// /health/live rate drifted by a quarter within minutes, and a median of four still moved by 0.18
// from one run to the next (docs/DESIGN.md, "Hot reads").
const ROUNDS = 8;

async function sampled(server: Child, database: string, run: () => Promise<Cannon>): Promise<Sampled> {
  const pid = server.child.pid as number;
  const [server0, start] = [processCpuMs(pid), cpuNow(database)];
  const cannon = await run();
  const answers = Math.max(1, cannon.total);
  return { cannon, serverUs: ((processCpuMs(pid) - server0) * 1000) / answers, postgresUs: (cpuSince(start, database).postgresMs * 1000) / answers };
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const medianOf = (xs: readonly number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
/** The rounds as one measurement: mean rates and latencies, summed counts. */
const meanOf = (xs: readonly Sampled[]): Cannon => ({
  perSecond: mean(xs.map((x) => x.cannon.perSecond)),
  p50: round(mean(xs.map((x) => x.cannon.p50))),
  p99: round(mean(xs.map((x) => x.cannon.p99))),
  non2xx: xs.reduce((a, x) => a + x.cannon.non2xx, 0),
  errors: xs.reduce((a, x) => a + x.cannon.errors, 0),
  total: xs.reduce((a, x) => a + x.cannon.total, 0),
  maxRssMiB: Math.max(...xs.map((x) => x.cannon.maxRssMiB)),
});

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
 * the same server process, at 64 connections on PostgreSQL with a JWT verified on each request, in
 * alternating rounds, with the CPU time each answer costs the server and PostgreSQL;
 * then the rate limiter's cost per request on the same read, in process and through Redis,
 * against no limiter, in the same run.
 */
export async function benchReads(report: Report, o: ReadsOptions): Promise<void> {
  const token = await serviceToken('bench-reader');
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

  // Rounds of the bare route and both reads, side by side in time and in a rotating order: on a
  // shared machine the load drifts, and a ratio of two measurements minutes apart measures the drift.
  const database = new URL(o.databaseUrl).pathname.slice(1);
  const kinds = [
    ['live', null, () => '/health/live'],
    ['wallet', token, wallet],
    ['summary', token, summary],
  ] as const;
  const rounds: Record<(typeof kinds)[number][0], Sampled[]> = { live: [], wallet: [], summary: [] };
  const length = Math.max(2, Math.ceil(o.seconds / 2));
  let plain: Cannon | undefined;
  await measure({}, async (server) => {
    for (let r = 0; r < ROUNDS; r++) {
      for (let k = 0; k < kinds.length; k++) {
        const [name, auth, path] = kinds[(k + r) % kinds.length] as (typeof kinds)[number];
        rounds[name].push(await sampled(server, database, () => getCannon(server.url, auth, length, path)));
      }
    }
    const live = rounds.live;
    plain = meanOf(rounds.wallet);
    report.raw.reads = { rounds };
    for (const [name, label] of [
      ['wallet', 'GET wallet, JWT verified'],
      ['summary', 'GET summary, JWT verified'],
    ] as const) {
      const ratios = rounds[name].map((x, i) => x.cannon.perSecond / (live[i] as Sampled).cannon.perSecond);
      const median = medianOf(ratios);
      report.add({
        section,
        case: `${label}: median ratio of ${ROUNDS} rounds of ${length} s (each round's ratios ${round(Math.min(...ratios), 2)}–${round(Math.max(...ratios), 2)})`,
        ours: fmt(meanOf(rounds[name])),
        baseline: `/health/live ${fmt(meanOf(live))}`,
        ratio: round(median, 3),
        target: '≥ 0.5 of /health/live',
        met: median >= 0.5,
      });
      // CPU per answer does not drift with the machine's load the way a rate does.
      const server = mean(rounds[name].map((x) => x.serverUs));
      const postgres = mean(rounds[name].map((x) => x.postgresUs));
      const bare = mean(live.map((x) => x.serverUs));
      report.add({
        section,
        case: `${label}: CPU per answer, server and PostgreSQL`,
        ours: `server ${round(server)} µs + PostgreSQL ${round(postgres)} µs`,
        baseline: `/health/live server ${round(bare)} µs`,
        ratio: ratio(server + postgres, bare),
        target: 'report',
        met: null,
      });
    }
  });

  // The limiter's cost: one caller, a limit it never reaches, so every request is counted and passes.
  const limit = { WALLET_RATE_LIMIT: '999999999/1s' };
  const limited = (where: string, raw: string, extra: Record<string, string>) =>
    measure({ ...limit, ...extra }, async (server) => {
      const c = await getCannon(server.url, token, o.seconds, wallet);
      report.raw[raw] = c;
      report.add({
        section,
        case: `GET wallet, rate limit ${where}`,
        ours: fmt(c),
        baseline: `no limit ${fmt(plain as Cannon)}`,
        ratio: ratio(c.perSecond, (plain as Cannon).perSecond),
        target: 'report',
        met: null,
      });
    });
  await limited('in process', 'reads_limit_memory', {});
  const redis = await startRedis().catch(() => null);
  if (!redis) {
    report.note('no redis-server: the rate limiter through Redis was not measured');
    return;
  }
  try {
    await limited('through Redis', 'reads_limit_redis', { REDIS_URL: redis.url });
  } finally {
    redis.stop();
  }
}
