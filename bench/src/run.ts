/**
 * `npm run bench`: every figure against a baseline measured in the same run. Needs the local
 * PostgreSQL for sections 2, 4 (PostgreSQL), 5 and 6: WALLET_BENCH_DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/postgres; a fresh database is made for the run and dropped.
 * Writes bench/results/latest.md and latest.json (BENCH_ONLY=2,4 runs some sections into partial.*;
 * 2b is the library against one plpgsql call per transfer, 2c captures, refunds, failing neighbours
 * and pgledger's workload, both also run with 2; BENCH_SECONDS sets the
 * length of each measurement; BENCH_GROWTH_MAX caps section 5's ledger sizes for a quick check).
 * Section 6 (the outbox relay) uses RabbitMQ at WALLET_BENCH_AMQP_URL (default
 * amqp://guest:guest@127.0.0.1:5672) where reachable. Section 7 is the offline till (a backlog of
 * sales forwarded, and each sale's local write). Section 8 runs the store through PgBouncer
 * (Debian's pgbouncer, started on loopback; noted and skipped where it is not installed).
 * Bounded: about five minutes on two cores.
 * Section 12 compares HTTP transfers with no exporter configured (trace context on) against
 * OTEL_SDK_DISABLED=true (the tracing code path inert), in alternating rounds.
 * Section 9 (reconciliation over a 10 M-row ledger, BENCH_RECONCILE_WALLETS × BENCH_RECONCILE_ROWS,
 * default 500 000 × 20) runs only when named (BENCH_ONLY=9, into bench/results/reconcile.*).
 * Section 10 (one wallet with BENCH_EXPIRED_HOLDS expired, unmarked holds, default 160 000, against
 * one without) runs with the rest and alone (BENCH_ONLY=10, into bench/results/expired-holds.*).
 * Section 11 is the hot reads (a wallet, a summary) against /health/live of the same server, and
 * the rate limiter's cost per request (in process, and through a redis-server the bench starts).
 */
import { join } from 'node:path';
import pg from 'pg';
import { WalletService } from '@goodgo/wallet-core';
import { createNodePostgresStore } from '@goodgo/wallet-pg/node-postgres';
import { freshDatabase, type FreshDatabase } from '@goodgo/wallet-pg/testing';
import { benchExpiredHolds } from './expired-holds.js';
import { benchGrowth } from './growth.js';
import { benchOneCall } from './group-commit.js';
import { benchOneRoad } from './one-road.js';
import { benchHttp } from './http.js';
import { benchMemory } from './library-memory.js';
import { benchPglite } from './library-pglite.js';
import { benchPgBouncer } from './pgbouncer.js';
import { benchPostgres, SEARCH_PATH, seedWallets } from './library-pg.js';
import { benchReads } from './reads.js';
import { benchReconcile } from './reconcile.js';
import { benchRelay } from './relay.js';
import { benchTill } from './till.js';
import { benchTracing } from './tracing.js';
import { Report } from './report.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const adminUrl = process.env.WALLET_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ONLY = new Set((process.env.BENCH_ONLY ?? '1,2,3,4,5,6,7,8,10,11,12').split(',').map((x) => x.trim()));
const amqpUrl = process.env.WALLET_BENCH_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
/** BENCH_GROWTH_MAX caps the growth levels (for a quick check of the section); the report's levels go to 1 000 000. */
const growthLevels = [10_000, 100_000, 1_000_000].filter((n) => n <= Number(process.env.BENCH_GROWTH_MAX ?? 1_000_000));
const report = new Report();
const started = performance.now();
const section = (name: string) => console.log(`\n== ${name} (${Math.round((performance.now() - started) / 1000)} s)`);

async function database(label: string): Promise<FreshDatabase | null> {
  try {
    return await freshDatabase(adminUrl, `bench_${label}`);
  } catch (e) {
    report.note(`PostgreSQL at ${adminUrl} is not usable (${(e as Error).message}): its sections were not run`);
    return null;
  }
}

if (ONLY.has('1')) {
  section('1. library in memory');
  await benchMemory(report);
}

let postgresVersion: string | undefined;
const main = ONLY.has('2') || ONLY.has('2b') || ONLY.has('2c') || ONLY.has('4') || ONLY.has('8') || ONLY.has('11') ? await database('main') : null;
let pgIds: string[] | undefined;
if (main) {
  section('2. library on PostgreSQL');
  const pool = new pg.Pool({ connectionString: main.url, max: 16, options: SEARCH_PATH });
  // An idle connection the server ends (another engineer's test restarting or emptying the shared
  // cluster) must not end the run before its report is written: the pool drops it and opens another.
  pool.on('error', (e) => console.log(`an idle connection of the bench's pool ended: ${e.message}`));
  try {
    postgresVersion = (await pool.query<{ v: string }>('SHOW server_version')).rows[0]?.v;
    const migrated = await createNodePostgresStore({ pool, searchPathOnConnect: true }); // applies the migrations
    void migrated;
    const seeded = await seedWallets(pool, 10_000, 'b-');
    pgIds = seeded.ids;
    if (ONLY.has('2')) await benchPostgres(report, pool, seeded, SECONDS);
    if (ONLY.has('2') || ONLY.has('2b')) await benchOneCall(report, pool, seeded.ids, SECONDS);
    if (ONLY.has('2') || ONLY.has('2c')) await benchOneRoad(report, pool, seeded.ids, SECONDS);
  } finally {
    await pool.end();
  }
  if (ONLY.has('8')) {
    section('8. PgBouncer');
    await benchPgBouncer(report, main.url, pgIds ?? [], SECONDS);
  }
}

if (ONLY.has('3')) {
  section('3. library on PGlite');
  await benchPglite(report, SECONDS);
}

if (ONLY.has('4')) {
  section('4. HTTP');
  const pool = main ? new pg.Pool({ connectionString: main.url, max: 16, options: SEARCH_PATH }) : null;
  try {
    const service = pool ? new WalletService({ store: await createNodePostgresStore({ pool, searchPathOnConnect: true, migrate: false }) }) : null;
    const ids = pgIds ?? [];
    const libraryTransfer = service
      ? () => {
          const a = ids[Math.floor(Math.random() * ids.length)] as string;
          let b = a;
          while (b === a) b = ids[Math.floor(Math.random() * ids.length)] as string;
          return service.transfer({ fromWalletId: a, toWalletId: b, amount: '1' });
        }
      : undefined;
    await benchHttp(report, {
      ...(main ? { databaseUrl: main.url } : {}),
      ...(pgIds ? { pgIds } : {}),
      ...(libraryTransfer ? { libraryTransfer } : {}),
      seconds: Math.max(3, SECONDS),
    });
  } finally {
    await pool?.end();
  }
}
if (main && pgIds && ONLY.has('11')) {
  section('11. reads and the rate limiter');
  // seedWallets gave wallet i to user `b-i`.
  const userIds = Array.from({ length: pgIds.length }, (_, i) => `b-${i + 1}`);
  await benchReads(report, { databaseUrl: main.url, walletIds: pgIds, userIds, seconds: Math.max(3, SECONDS) });
}
await main?.drop();

const growth = ONLY.has('5') ? await database('growth') : null;
if (growth) {
  section('5. growth');
  try {
    await benchGrowth(report, growth.url, Math.max(2, SECONDS - 1), growthLevels);
  } finally {
    await growth.drop();
  }
}

const relayDb = ONLY.has('6') ? await database('relay') : null;
if (relayDb) {
  section('6. relay');
  try {
    await benchRelay(report, relayDb.url, Math.max(2, SECONDS - 1), amqpUrl);
  } finally {
    await relayDb.drop();
  }
}

const tillDb = ONLY.has('7') ? await database('till') : null;
if (tillDb) {
  section('7. offline till');
  try {
    await benchTill(report, tillDb.url);
  } finally {
    await tillDb.drop();
  }
}

const tracingDb = ONLY.has('12') ? await database('tracing') : null;
if (ONLY.has('12')) {
  section('12. tracing, no exporter');
  try {
    await benchTracing(
      report,
      tracingDb ? { DATABASE_URL: tracingDb.url, DATABASE_POOL_MAX: '16' } : { WALLET_DATA_DIR: 'memory://' },
      tracingDb ? 'PostgreSQL' : 'PGlite',
      SECONDS,
    );
  } finally {
    await tracingDb?.drop();
  }
}

const reconcileDb = ONLY.has('9') ? await database('reconcile') : null;
if (reconcileDb) {
  section('9. reconciliation on a large ledger');
  try {
    await benchReconcile(report, reconcileDb.url, Number(process.env.BENCH_RECONCILE_WALLETS ?? 500_000), Number(process.env.BENCH_RECONCILE_ROWS ?? 20));
  } finally {
    await reconcileDb.drop();
  }
}

const holdsDb = ONLY.has('10') ? await database('expired_holds') : null;
if (holdsDb) {
  section('10. expired holds on one wallet');
  try {
    await benchExpiredHolds(report, holdsDb.url, Number(process.env.BENCH_EXPIRED_HOLDS ?? 160_000), 50);
  } finally {
    await holdsDb.drop();
  }
}

// A run of some sections only (BENCH_ONLY) must not replace the full report; sections 9 and 10 alone have reports of their own.
const ALONE: Record<string, string> = { '9': 'reconcile', '10': 'expired-holds' };
const reportName = ALONE[process.env.BENCH_ONLY ?? ''] ?? (process.env.BENCH_ONLY ? 'partial' : 'latest');
report.write(join(import.meta.dirname, '..', 'results'), postgresVersion ? { postgres: `PostgreSQL ${postgresVersion} on loopback` } : {}, reportName);
console.log(`\nwrote bench/results/${reportName}.md in ${Math.round((performance.now() - started) / 1000)} s`);
