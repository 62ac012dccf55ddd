/**
 * The library's transfers against the best one-transaction-per-command shape (one plpgsql call per
 * transfer, see one-call.ts), in alternating rounds of one run, on one pool of 16 connections.
 */
import { randomUUID } from 'node:crypto';
import { WalletService } from '@goodgo/wallet-core';
import { createNodePostgresStore } from '@goodgo/wallet-pg/node-postgres';
import type pg from 'pg';
import { createOneCallTransfer, oneCallTransfer } from './one-call.js';
import type { Report } from './report.js';
import { alternate, closedLoopSamples, ratio, round, type Run } from './stats.js';

const SECTION = '2b. library vs one plpgsql call per transfer (pool 16)';
const fmt = (r: Run) => `${round(r.perSecond)}/s p50 ${round(r.p50, 1)} ms p99 ${round(r.p99, 1)} ms${r.errors ? ` (${r.errors} errors)` : ''}`;

export async function benchOneCall(report: Report, pool: pg.Pool, ids: readonly string[], seconds: number): Promise<void> {
  await createOneCallTransfer(pool);
  const store = await createNodePostgresStore({ pool, searchPathOnConnect: true, migrate: false });
  const service = new WalletService({ store });
  const pair = () => {
    const a = Math.floor(Math.random() * ids.length);
    let b = Math.floor(Math.random() * (ids.length - 1));
    if (b >= a) b++;
    return [ids[a] as string, ids[b] as string] as const;
  };
  const roundMs = (seconds * 1000) / 2;
  const measure = (callers: number, op: (worker: number) => Promise<unknown>) => () => closedLoopSamples(callers, roundMs, op, 300);

  const uniform = async (callers: number, keyed: boolean) => {
    const [lib, base] = await alternate(
      3,
      measure(callers, () => {
        const [from, to] = pair();
        return service.transfer({ fromWalletId: from, toWalletId: to, amount: '1' }, keyed ? { idempotencyKey: randomUUID() } : {});
      }),
      measure(callers, () => {
        const [from, to] = pair();
        return oneCallTransfer(pool, from, to, '1', keyed ? randomUUID() : undefined);
      }),
    );
    report.add({
      section: SECTION,
      case: `uniform transfers, ${callers} callers, 10 000 wallets${keyed ? ', Idempotency keys' : ''}`,
      ours: fmt(lib),
      baseline: `one call ${fmt(base)}`,
      ratio: ratio(lib.perSecond, base.perSecond),
      target: '≥ 2.0× one call',
      met: lib.perSecond >= 2 * base.perSecond,
    });
    report.raw[`one_call_uniform_c${callers}${keyed ? '_keyed' : ''}`] = { ours: lib, base };
  };
  for (const callers of [16, 64]) {
    await uniform(callers, false);
    await uniform(callers, true);
  }

  // The lunch rush: 64 tills paying one merchant; every payment needs the merchant's row.
  const merchant = ids[0] as string;
  const payers = ids.slice(100, 164);
  const [hot, hotBase] = await alternate(
    3,
    measure(64, (w) => service.transfer({ fromWalletId: payers[w] as string, toWalletId: merchant, amount: '1' })),
    measure(64, (w) => oneCallTransfer(pool, payers[w] as string, merchant, '1')),
  );
  report.add({
    section: SECTION,
    case: 'hot merchant: 64 payers → 1 wallet',
    ours: fmt(hot),
    baseline: `one call ${fmt(hotBase)}`,
    ratio: ratio(hot.perSecond, hotBase.perSecond),
    target: '≥ 3× one call',
    met: hot.perSecond >= 3 * hotBase.perSecond,
  });
  report.raw.one_call_hot_64 = { ours: hot, base: hotBase };

  const [one, oneBase] = await alternate(
    3,
    measure(1, () => {
      const [from, to] = pair();
      return service.transfer({ fromWalletId: from, toWalletId: to, amount: '1' });
    }),
    measure(1, () => {
      const [from, to] = pair();
      return oneCallTransfer(pool, from, to, '1');
    }),
  );
  report.add({
    section: SECTION,
    case: 'concurrency 1, p50 latency',
    ours: `p50 ${round(one.p50, 2)} ms (${round(one.perSecond)}/s)`,
    baseline: `one call p50 ${round(oneBase.p50, 2)} ms (${round(oneBase.perSecond)}/s)`,
    ratio: ratio(one.p50, oneBase.p50),
    target: 'report (latency, lower is better)',
    met: null,
  });
  report.raw.one_call_c1 = { ours: one, base: oneBase };
}
