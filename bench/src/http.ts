import type { Report } from './report.js';
import { CONNECTIONS, SECRET, cannon, fmt, serviceToken, type Cannon } from './cannon.js';
import { bareServer, startNode, startServer, type Child } from './processes.js';
import { closedLoopSamples, ratio, round, type Run } from './stats.js';

async function walletsVia(base: string, token: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${base}/api/v1/wallets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ userId: `http-${i}` }),
    });
    const w = (await res.json()) as { id: string };
    await fetch(`${base}/api/v1/wallets/deposit`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ walletId: w.id, amount: '1000000000' }),
    });
    ids.push(w.id);
  }
  return ids;
}

/**
 * The real server process (JWT verified on every request) under autocannon on loopback, against a
 * bare Hono route in the same run, on PostgreSQL and on PGlite.
 */
export interface HttpOptions {
  databaseUrl?: string;
  pgIds?: string[];
  /** One library transfer on the same database, for the HTTP/library ratio measured in alternating rounds. */
  libraryTransfer?: () => Promise<unknown>;
  seconds: number;
}

export async function benchHttp(report: Report, o: HttpOptions): Promise<void> {
  const token = await serviceToken('bench-pos');
  const bare = await startNode(bareServer, {});
  let bareRun: Cannon;
  try {
    bareRun = await cannon(`${bare.url}/bare`, null, CONNECTIONS, o.seconds, { body: () => ({ walletId: crypto.randomUUID(), amount: '1' }) });
  } finally {
    await bare.stop();
  }
  report.raw.http_bare = bareRun;

  const targets: Array<{ name: string; env: Record<string, string>; ids?: string[] }> = [];
  if (o.databaseUrl)
    targets.push({
      name: 'PostgreSQL',
      env: { DATABASE_URL: o.databaseUrl, DATABASE_POOL_MAX: process.env.BENCH_SERVER_POOL ?? '16' },
      ...(o.pgIds ? { ids: o.pgIds } : {}),
    });
  targets.push({ name: 'PGlite', env: { WALLET_DATA_DIR: 'memory://' } });

  for (const t of targets) {
    let server: Child | undefined;
    try {
      server = await startServer({ ...t.env, JWT_SECRET: SECRET, LOG_LEVEL: 'info' });
      // Readiness, then the first log line that carries the url has been seen: warm the path once.
      const ids = t.ids ?? (await walletsVia(server.url, token, 200));
      const pick = () => ids[Math.floor(Math.random() * ids.length)] as string;
      const pid = server.child.pid as number;
      // Warm-up: JIT, every pooled connection's prepared statements, PostgreSQL's caches.
      await cannon(`${server.url}/api/v1/wallets/deposit`, token, CONNECTIONS, 2, { body: () => ({ walletId: pick(), amount: '1' }) });
      const dep = await cannon(`${server.url}/api/v1/wallets/deposit`, token, CONNECTIONS, o.seconds, { body: () => ({ walletId: pick(), amount: '1' }) }, pid);
      const transfers = () =>
        cannon(
          `${server!.url}/api/v1/wallets/transfer`,
          token,
          CONNECTIONS,
          o.seconds,
          {
            body: () => {
              const a = pick();
              let b = pick();
              while (b === a) b = pick();
              return { fromWalletId: a, toWalletId: b, amount: '1' };
            },
          },
          pid,
        );
      // HTTP and the library in alternating rounds (HTTP, library, HTTP, library) on one database,
      // so that the machine's drift during the run weighs on both sides alike.
      const rounds: Cannon[] = [];
      const libraryRounds: Run[] = [];
      for (let i = 0; i < (t.name === 'PostgreSQL' && o.libraryTransfer ? 2 : 1); i++) {
        rounds.push(await transfers());
        if (t.name === 'PostgreSQL' && o.libraryTransfer)
          libraryRounds.push((await closedLoopSamples(CONNECTIONS, o.seconds * 1000, o.libraryTransfer, 300)).run);
      }
      const mean = (f: (c: Cannon) => number) => rounds.reduce((sum, r) => sum + f(r), 0) / rounds.length;
      const tr: Cannon = {
        perSecond: mean((r) => r.perSecond),
        p50: round(
          mean((r) => r.p50),
          1,
        ),
        p99: round(
          mean((r) => r.p99),
          1,
        ),
        non2xx: rounds.reduce((n, r) => n + r.non2xx, 0),
        errors: rounds.reduce((n, r) => n + r.errors, 0),
        total: rounds.reduce((n, r) => n + r.total, 0),
        maxRssMiB: Math.max(...rounds.map((r) => r.maxRssMiB)),
      };
      report.raw[`http_${t.name}`] = { deposit: dep, transfer: tr };
      const section = `4. HTTP, ${t.name} (${CONNECTIONS} connections)`;
      report.add({
        section,
        case: 'deposits, JWT verified',
        ours: fmt(dep),
        baseline: `bare Hono ${fmt(bareRun)}`,
        ratio: ratio(dep.perSecond, bareRun.perSecond),
        target: 'report',
        met: null,
      });
      report.add({
        section,
        case: 'transfers, JWT verified',
        ours: fmt(tr),
        baseline: `bare Hono ${fmt(bareRun)}`,
        ratio: ratio(tr.perSecond, bareRun.perSecond),
        target: 'report',
        met: null,
      });
      if (libraryRounds.length > 0) {
        const lib = libraryRounds.reduce((sum, r) => sum + r.perSecond, 0) / libraryRounds.length;
        const libP99 = libraryRounds.reduce((sum, r) => sum + r.p99, 0) / libraryRounds.length;
        report.add({
          section,
          case: `transfers vs library at concurrency ${CONNECTIONS} (alternating rounds)`,
          ours: fmt(tr),
          baseline: `library ${round(lib)}/s p99 ${round(libP99, 1)} ms`,
          ratio: ratio(tr.perSecond, lib),
          target: '≥ 0.5 of library',
          met: tr.perSecond >= 0.5 * lib,
        });
        report.add({
          section,
          case: `transfer p99 at ${CONNECTIONS} connections`,
          ours: `${tr.p99} ms`,
          baseline: '50 ms',
          ratio: ratio(tr.p99, 50),
          target: 'p99 < 50 ms',
          met: tr.p99 < 50,
        });
      }
      report.add({
        section: '5. growth',
        case: `server RSS under load (${t.name})`,
        ours: `${Math.max(dep.maxRssMiB, tr.maxRssMiB)} MiB max`,
        baseline: '–',
        ratio: null,
        target: 'report',
        met: null,
      });
    } finally {
      await server?.stop();
    }
  }
}
