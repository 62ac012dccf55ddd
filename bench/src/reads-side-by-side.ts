/**
 * Section 11's reads (GET wallet, the summary, `/health/live`) on servers of several builds at
 * once, in alternating rounds: a change to the read path measured against the code before it,
 * the same minute, the same database. A rate on this shared machine drifts by more than most such
 * changes between two runs of the bench; side by side, each round of each load runs on every
 * build before the next load starts, and the order is reversed every other round.
 *
 * Not a section of `npm run bench` (the other builds are other worktrees), so it is run by hand:
 *
 *   git worktree add --detach /tmp/before <commit>
 *   (cd /tmp/before && npm ci && npx turbo run build --filter=./packages/*)
 *   npm run build && SIDE_BY_SIDE="before=/tmp/before,after=$PWD" npm run reads-side-by-side -w @goodgo/bench
 *
 * A build may carry environment for its server: `after=/path+NAME:value;OTHER:value`.
 * SIDE_BY_SIDE_ROUNDS (default 4) rounds of SIDE_BY_SIDE_SECONDS (default 3) per load and build.
 * Every server runs as the bench's do (`startServer`: 16 pooled connections, a JWT verified per
 * request, logs at warn), against one database seeded as the bench's (10 000 wallets of users
 * `b-1`…). Printed per build: the median over rounds of the CPU each answer cost the server and of
 * its rate, and of each read's ratio to `/health/live` of the same round (rate and CPU).
 */
import { join } from 'node:path';
import pg from 'pg';
import { createNodePostgresStore } from '@goodgo/wallet-pg/node-postgres';
import { freshDatabase } from '@goodgo/wallet-pg/testing';
import { CONNECTIONS, SECRET, cannon, serviceToken } from './cannon.js';
import { processCpuMs } from './cpu.js';
import { SEARCH_PATH, seedWallets } from './library-pg.js';
import { startServer, type Child } from './processes.js';

const spec = process.env.SIDE_BY_SIDE;
if (!spec) throw new Error('SIDE_BY_SIDE: name=worktree[+NAME:value;…],… of built worktrees');
const adminUrl = process.env.WALLET_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const rounds = Number(process.env.SIDE_BY_SIDE_ROUNDS ?? 4);
const seconds = Number(process.env.SIDE_BY_SIDE_SECONDS ?? 3);

const builds = spec.split(',').map((entry) => {
  const [name, rest] = entry.split('=') as [string, string];
  const [root, env] = rest.split('+') as [string, string | undefined];
  const extra = Object.fromEntries((env ? env.split(';') : []).map((kv) => kv.split(':') as [string, string]));
  return { name, root, extra };
});

const db = await freshDatabase(adminUrl, 'bench_side_by_side');
const servers: (Child & { name: string })[] = [];
try {
  const pool = new pg.Pool({ connectionString: db.url, max: 4, options: SEARCH_PATH });
  try {
    await createNodePostgresStore({ pool, searchPathOnConnect: true });
    await seedWallets(pool, 10_000, 'b-');
  } finally {
    await pool.end();
  }
  const ids = (await query(db.url, 'SELECT id, user_id FROM wallet.wallets')) as { id: string; user_id: string }[];
  const pick = () => ids[Math.floor(Math.random() * ids.length)] as { id: string; user_id: string };
  const loads = {
    live: () => '/health/live',
    wallet: () => `/api/v1/wallets/${pick().id}`,
    summary: () => `/api/v1/wallets/summary?userId=${encodeURIComponent(pick().user_id)}`,
  } as const;
  const token = await serviceToken('side-by-side');

  for (const b of builds) {
    const env = { DATABASE_URL: db.url, DATABASE_POOL_MAX: '16', JWT_SECRET: SECRET, LOG_LEVEL: 'warn', ...b.extra };
    servers.push(Object.assign(await startServer(env, join(b.root, 'packages', 'wallet-server', 'dist', 'main.js')), { name: b.name }));
  }
  // Warm-up: JIT, every pooled connection's prepared statements, PostgreSQL's caches.
  for (const s of servers) await cannon(s.url, token, CONNECTIONS, 2, { path: loads.wallet });

  const kinds = Object.keys(loads) as (keyof typeof loads)[];
  const seen = new Map<string, { us: number[]; rate: number[] }>();
  for (let round = 0; round < rounds; round++) {
    for (const kind of kinds) {
      for (const s of round % 2 === 0 ? servers : [...servers].reverse()) {
        const cpu0 = processCpuMs(s.child.pid as number);
        const r = await cannon(s.url, kind === 'live' ? null : token, CONNECTIONS, seconds, { path: loads[kind] });
        if (r.non2xx > 0 || r.errors > 0) throw new Error(`${s.name} ${kind}: ${r.non2xx} non-2xx, ${r.errors} errors`);
        const entry = seen.get(`${s.name} ${kind}`) ?? { us: [], rate: [] };
        entry.us.push(((processCpuMs(s.child.pid as number) - cpu0) * 1000) / r.total);
        entry.rate.push(r.perSecond);
        seen.set(`${s.name} ${kind}`, entry);
      }
    }
  }
  const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  for (const s of servers) {
    const of = (kind: string) => seen.get(`${s.name} ${kind}`) as { us: number[]; rate: number[] };
    const live = of('live');
    console.log(`${s.name}: ${kinds.map((k) => `${k} ${median(of(k).us).toFixed(1)} µs ${Math.round(median(of(k).rate))}/s`).join(' | ')}`);
    for (const kind of ['wallet', 'summary']) {
      const ratios = of(kind).rate.map((rate, i) => rate / (live.rate[i] as number));
      console.log(
        `  ${kind} ÷ /health/live: rate ${median(ratios).toFixed(3)} (rounds ${ratios.map((x) => x.toFixed(2)).join(' ')}), CPU ${(median(live.us) / median(of(kind).us)).toFixed(3)}`,
      );
    }
  }
} finally {
  await Promise.all(servers.map((s) => s.stop()));
  await db.drop();
}

async function query(url: string, text: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}
