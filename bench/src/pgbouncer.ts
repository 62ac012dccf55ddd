import { WalletService } from '@goodgo/wallet-core';
import { createNodePostgresStore } from '@goodgo/wallet-pg/node-postgres';
import { findPgBouncer, startPgBouncer } from '@goodgo/wallet-pg/testing';
import type { Report } from './report.js';
import { alternate, closedLoopSamples, ratio, round, type Run } from './stats.js';

const fmt = (r: Run) => `${round(r.perSecond)}/s p50 ${round(r.p50, 1)} ms p99 ${round(r.p99, 1)} ms${r.errors ? ` (${r.errors} errors)` : ''}`;

/**
 * The price of PgBouncer in transaction pooling mode (Debian's 1.18) with
 * DATABASE_PREPARED_STATEMENTS=false, against the store straight on PostgreSQL with its prepared
 * statements, on one database of seeded wallets: transfers (group-committed) and wallet reads, in
 * alternating rounds. Also the direct store without prepared statements, to split the cost
 * between the pooler's extra hop and the statements parsed each time.
 */
export async function benchPgBouncer(report: Report, databaseUrl: string, ids: readonly string[], seconds: number): Promise<void> {
  const found = findPgBouncer();
  if (!('binary' in found)) {
    report.note(`8. PgBouncer not run: ${found.skip}`);
    return;
  }
  const bouncer = await startPgBouncer(found.binary, databaseUrl, 16);
  const direct = await createNodePostgresStore({ connectionString: databaseUrl, max: 16, migrate: false });
  const unprepared = await createNodePostgresStore({ connectionString: databaseUrl, max: 16, migrate: false, preparedStatements: false });
  const pooled = await createNodePostgresStore({ connectionString: bouncer.url, max: 16, migrate: false, preparedStatements: false });
  try {
    const [viaDirect, viaUnprepared, viaBouncer] = [direct, unprepared, pooled].map((store) => new WalletService({ store })) as [
      WalletService,
      WalletService,
      WalletService,
    ];
    const pick = () => ids[Math.floor(Math.random() * ids.length)] as string;
    const transfer = (service: WalletService) => () => {
      const a = pick();
      let b = pick();
      while (b === a) b = pick();
      return service.transfer({ fromWalletId: a, toWalletId: b, amount: '1' });
    };
    const read = (service: WalletService) => () => service.getWallet({ walletId: pick() });
    const roundMs = (seconds * 1000) / 2;
    for (const [what, op] of [
      ['transfers, concurrency 32', transfer],
      ['wallet reads, concurrency 32', read],
    ] as const) {
      const measure = (service: WalletService) => () => closedLoopSamples(32, roundMs, op(service), 300);
      const [bounced, prepared] = await alternate(3, measure(viaBouncer), measure(viaDirect));
      const [plain, prepared2] = await alternate(2, measure(viaUnprepared), measure(viaDirect));
      report.add({
        section: '8. PgBouncer 1.18, transaction pooling (16 server connections)',
        case: what,
        ours: `through PgBouncer, unprepared ${fmt(bounced)}`,
        baseline: `direct, prepared ${fmt(prepared)}`,
        ratio: ratio(bounced.perSecond, prepared.perSecond),
        target: 'report',
        met: null,
      });
      report.add({
        section: '8. PgBouncer 1.18, transaction pooling (16 server connections)',
        case: `${what}: the unprepared statements alone (direct)`,
        ours: `direct, unprepared ${fmt(plain)}`,
        baseline: `direct, prepared ${fmt(prepared2)}`,
        ratio: ratio(plain.perSecond, prepared2.perSecond),
        target: 'report',
        met: null,
      });
      report.raw[`pgbouncer_${what.split(',')[0]?.replace(/\W+/g, '_')}`] = { ours: bounced, raw: prepared, unprepared: plain, prepared2 };
    }
  } finally {
    await pooled.close();
    await unprepared.close();
    await direct.close();
    await bouncer.stop();
  }
}
