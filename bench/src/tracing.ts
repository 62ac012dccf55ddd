import autocannon from 'autocannon';
import { mintToken } from '@goodgo/wallet-server';
import { processCpuMs as cpuMs } from './cpu.js';
import type { Report } from './report.js';
import { startServer, type Child } from './processes.js';
import { round } from './stats.js';

const SECRET = 'bench-secret-bench-secret-bench-secret-0123';
const CONNECTIONS = 64;
/** Short rounds, many of them, each pair side by side in time: a busy machine's drift swamps a few long ones. */
const ROUNDS = 10;

interface Round {
  perSecond: number;
  p99: number;
  failed: number;
  /** The server's CPU time per answered transfer, in µs: what the tracing code costs, however busy the machine. */
  cpuUs: number;
}

async function transfers(server: Child, token: string, ids: readonly string[], seconds: number): Promise<Round> {
  const url = server.url;
  const pid = server.child.pid as number;
  const before = cpuMs(pid);
  const pick = () => ids[Math.floor(Math.random() * ids.length)] as string;
  const result = await autocannon({
    url: `${url}/api/v1/wallets/transfer`,
    connections: CONNECTIONS,
    duration: seconds,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    requests: [
      {
        setupRequest: (req) => {
          const a = pick();
          let b = pick();
          while (b === a) b = pick();
          return { ...req, body: JSON.stringify({ fromWalletId: a, toWalletId: b, amount: '1' }) };
        },
      },
    ],
  });
  const answered = Math.max(1, result.requests.total - result.non2xx);
  return {
    perSecond: result.requests.average,
    p99: result.latency.p99,
    failed: result.non2xx + result.errors,
    cpuUs: ((cpuMs(pid) - before) * 1000) / answered,
  };
}

/**
 * The cost of the tracing code path with no exporter configured (the default): the same server
 * binary on the same database, once as shipped (trace context on every request, no-op spans) and
 * once with OTEL_SDK_DISABLED=true (no context manager, no propagator, no trace middleware: the
 * spans' calls fall through the API's no-op paths, as before tracing existed), in alternating
 * rounds so that the machine's drift weighs on both alike.
 */
export async function benchTracing(report: Report, env: Record<string, string>, label: string, seconds: number): Promise<void> {
  const token = await mintToken({ sub: 'bench-pos', roles: ['service'], secret: SECRET, expiresIn: '1h' });
  let traced: Child | undefined;
  let untraced: Child | undefined;
  try {
    traced = await startServer({ ...env, JWT_SECRET: SECRET, LOG_LEVEL: 'info' });
    untraced = await startServer({ ...env, JWT_SECRET: SECRET, LOG_LEVEL: 'info', OTEL_SDK_DISABLED: 'true' });
    const ids: string[] = [];
    for (let i = 0; i < 200; i++) {
      const post = (path: string, body: unknown) =>
        fetch(`${traced!.url}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }).then((r) => r.json() as Promise<{ id: string }>);
      const w = await post('/api/v1/wallets', { userId: `trace-${i}` });
      await post('/api/v1/wallets/deposit', { walletId: w.id, amount: '1000000000' });
      ids.push(w.id);
    }
    // Warm-up of both: JIT, pooled connections' prepared statements.
    await transfers(traced, token, ids, 2);
    await transfers(untraced, token, ids, 2);
    const on: Round[] = [];
    const off: Round[] = [];
    const pairs: number[] = [];
    const cpuPairs: number[] = [];
    const length = Math.max(2, Math.round(seconds / 2));
    for (let i = 0; i < ROUNDS; i++) {
      // Which goes first alternates (A B, B A, …): neither side always gets the fresher machine.
      let a: Round;
      let b: Round;
      if (i % 2 === 0) {
        a = await transfers(traced, token, ids, length);
        b = await transfers(untraced, token, ids, length);
      } else {
        b = await transfers(untraced, token, ids, length);
        a = await transfers(traced, token, ids, length);
      }
      on.push(a);
      off.push(b);
      pairs.push(a.perSecond / b.perSecond);
      // As a throughput ratio: CPU per transfer without, over CPU per transfer with.
      cpuPairs.push(b.cpuUs / a.cpuUs);
    }
    const mean = (runs: typeof on, f: (r: (typeof on)[number]) => number) => runs.reduce((s, r) => s + f(r), 0) / runs.length;
    const ours = mean(on, (r) => r.perSecond);
    const base = mean(off, (r) => r.perSecond);
    // The median of the pairs' ratios: each pair ran back to back, so the machine's load weighs on
    // both sides of it alike, and one disturbed pair does not move the median.
    const medianOf = (values: number[]) => {
      const sorted = [...values].sort((x, y) => x - y);
      return ((sorted[(ROUNDS - 1) >> 1] as number) + (sorted[ROUNDS >> 1] as number)) / 2;
    };
    const median = medianOf(pairs);
    const cpuMedian = medianOf(cpuPairs);
    const failed = [...on, ...off].reduce((n, r) => n + r.failed, 0);
    report.raw[`tracing_${label}`] = { on, off, pairRatios: pairs.map((r) => round(r, 3)), cpuPairRatios: cpuPairs.map((r) => round(r, 3)) };
    report.add({
      section: `12. tracing, no exporter (${label}, ${CONNECTIONS} connections)`,
      case: `HTTP transfers with trace context: median ratio of ${ROUNDS} back-to-back pairs of ${length} s rounds`,
      ours: `${round(ours)}/s p99 ${round(
        mean(on, (r) => r.p99),
        1,
      )} ms${failed ? ` (${failed} failed)` : ''}`,
      baseline: `OTEL_SDK_DISABLED=true ${round(base)}/s p99 ${round(
        mean(off, (r) => r.p99),
        1,
      )} ms`,
      ratio: round(median, 3),
      target: '≥ 0.97 of without',
      met: median >= 0.97,
    });
    report.add({
      section: `12. tracing, no exporter (${label}, ${CONNECTIONS} connections)`,
      case: `server CPU per transfer with trace context: median ratio of the same ${ROUNDS} pairs (without ÷ with)`,
      ours: `${round(mean(on, (r) => r.cpuUs))} µs`,
      baseline: `OTEL_SDK_DISABLED=true ${round(mean(off, (r) => r.cpuUs))} µs`,
      ratio: round(cpuMedian, 3),
      target: '≥ 0.97 of without',
      met: cpuMedian >= 0.97,
    });
  } finally {
    await traced?.stop();
    await untraced?.stop();
  }
}
