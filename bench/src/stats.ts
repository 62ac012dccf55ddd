/** Measurement helpers: closed-loop workers for a fixed time, latencies in milliseconds. */

export interface Run {
  ops: number;
  errors: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

/**
 * Runs `op` from `concurrency` workers, each starting its next call when the last one ends, for
 * `ms` milliseconds after a short warm-up. Errors are counted, not thrown: a benchmark reports.
 */
export async function closedLoop(concurrency: number, ms: number, op: (worker: number) => Promise<unknown>, warmupMs = Math.min(1000, ms / 4)): Promise<Run> {
  return (await closedLoopSamples(concurrency, ms, op, warmupMs)).run;
}

export async function closedLoopSamples(
  concurrency: number,
  ms: number,
  op: (worker: number) => Promise<unknown>,
  warmupMs = Math.min(1000, ms / 4),
): Promise<{ run: Run; latencies: number[] }> {
  const latencies: number[] = [];
  let errors = 0;
  let measuring = false;
  const warmupEnd = performance.now() + warmupMs;
  const end = warmupEnd + ms;
  let started = 0;
  const worker = async (w: number) => {
    for (;;) {
      const t0 = performance.now();
      if (t0 >= end) return;
      if (!measuring && t0 >= warmupEnd) {
        measuring = true;
        started = t0;
      }
      try {
        await op(w);
        if (t0 >= warmupEnd) latencies.push(performance.now() - t0);
      } catch {
        if (t0 >= warmupEnd) errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i)));
  const seconds = (performance.now() - (started || warmupEnd)) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    run: { ops: latencies.length, errors, seconds, perSecond: latencies.length / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
    latencies,
  };
}

/** Times `n` sequential calls; returns calls per second and mean microseconds per call. */
export async function sequential(n: number, op: (i: number) => unknown): Promise<{ perSecond: number; usPerOp: number }> {
  for (let i = 0; i < Math.min(1000, n / 10); i++) await op(i);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await op(i);
  const seconds = (performance.now() - t0) / 1000;
  return { perSecond: n / seconds, usPerOp: (seconds * 1e6) / n };
}

/**
 * `sequential` for two workloads in alternating rounds (A B A B …), each side's rounds pooled (ops
 * over total time): a shared machine that speeds up or slows down during the run affects both
 * alike. Round r runs ops `r * n` to `r * n + n - 1`.
 */
export async function alternateSequential(
  rounds: number,
  n: number,
  a: (i: number) => unknown,
  b: (i: number) => unknown,
): Promise<[{ perSecond: number; usPerOp: number }, { perSecond: number; usPerOp: number }]> {
  let aSeconds = 0;
  let bSeconds = 0;
  for (let r = 0; r < rounds; r++) {
    aSeconds += (await sequential(n, (i) => a(r * n + i))).usPerOp * n;
    bSeconds += (await sequential(n, (i) => b(r * n + i))).usPerOp * n;
  }
  const pooled = (us: number) => ({ perSecond: (rounds * n * 1e6) / us, usPerOp: us / (rounds * n) });
  return [pooled(aSeconds), pooled(bSeconds)];
}

export const round = (n: number, digits = 0) => (Number.isFinite(n) ? Number(n.toFixed(digits)) : n);
export const ratio = (ours: number, base: number) => round(ours / base, 2);

/** Sums runs of the same workload into one: ops over total time, latencies pooled. */
function merge(runs: readonly { run: Run; latencies: number[] }[]): Run {
  const all = runs.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const seconds = runs.reduce((t, r) => t + r.run.seconds, 0);
  const errors = runs.reduce((t, r) => t + r.run.errors, 0);
  return { ops: all.length, errors, seconds, perSecond: all.length / seconds, p50: percentile(all, 50), p99: percentile(all, 99) };
}

/**
 * Measures two workloads in alternating rounds (A B A B …) and pools each side's rounds, so that
 * a machine that speeds up or slows down during the run (a shared VM does) affects both alike.
 */
export async function alternate(
  rounds: number,
  a: () => Promise<{ run: Run; latencies: number[] }>,
  b: () => Promise<{ run: Run; latencies: number[] }>,
): Promise<[Run, Run]> {
  const as: { run: Run; latencies: number[] }[] = [];
  const bs: { run: Run; latencies: number[] }[] = [];
  for (let i = 0; i < rounds; i++) {
    as.push(await a());
    bs.push(await b());
  }
  return [merge(as), merge(bs)];
}
