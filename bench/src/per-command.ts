/**
 * A lone transfer on this tree's store (a batch of one) against the per-command path it replaced,
 * measured in one process in alternating rounds, with one plpgsql call and raw SQL beside them.
 *
 * The per-command path left the code in f4ca62f; its last commit is 770f10a. It cannot be a
 * section of `npm run bench` (that would build an old commit on every run), so it is run by hand:
 *
 *   git worktree add --detach /tmp/per-command 770f10a
 *   (cd /tmp/per-command && npm ci && npx turbo run build --filter=@goodgo/wallet-core --filter=@goodgo/wallet-pg)
 *   npm run build && PER_COMMAND_TREE=/tmp/per-command npm run per-command -w @goodgo/bench
 *
 * Each store runs in a database of its own, migrated by its own code and seeded alike (10 000
 * wallets); both run over the same kind of pool (16 connections, the bench's search path).
 * PER_COMMAND_ROUNDS (default 6) rounds of PER_COMMAND_SECONDS (default 3) a side;
 * PER_COMMAND_CALLERS (default 1) closed-loop callers on every side (above 1 the old commit's
 * group commit batches too).
 * PER_COMMAND_BEFORE, a built worktree of another commit of the one road (its wallet-pg alone; its
 * wallet-core must be this tree's), adds that commit's batch of one, in the same database as this
 * tree's: a change to the road measured against the code before it.
 */
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import pg from 'pg';
import { WalletService } from '@goodgo/wallet-core';
import { createNodePostgresStore } from '@goodgo/wallet-pg/node-postgres';
import { freshDatabase } from '@goodgo/wallet-pg/testing';
import { cpuNow, cpuSince } from './cpu.js';
import { SEARCH_PATH, rawTransfer, seedWallets } from './library-pg.js';
import { createOneCallTransfer, oneCallTransfer } from './one-call.js';
import { closedLoopSamples, percentile, round } from './stats.js';

const tree = process.env.PER_COMMAND_TREE;
if (!tree) throw new Error('PER_COMMAND_TREE: a built worktree of the last per-command commit (770f10a)');
const adminUrl = process.env.WALLET_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const rounds = Number(process.env.PER_COMMAND_ROUNDS ?? 6);
const roundMs = Number(process.env.PER_COMMAND_SECONDS ?? 3) * 1000;
const callers = Number(process.env.PER_COMMAND_CALLERS ?? 1);

interface Transfer {
  (from: string, to: string): Promise<unknown>;
}
/** The old commit's WalletService and store, loaded by path: its wallet-pg resolves its own wallet-core. */
const oldCore = (await import(pathToFileURL(join(tree, 'packages/wallet-core/dist/index.js')).href)) as typeof import('@goodgo/wallet-core');
const oldPg = (await import(
  pathToFileURL(join(tree, 'packages/wallet-pg/dist/node-postgres/index.js')).href
)) as typeof import('@goodgo/wallet-pg/node-postgres');

const before = process.env.PER_COMMAND_BEFORE;
const beforePg =
  before === undefined
    ? undefined
    : ((await import(pathToFileURL(join(before, 'packages/wallet-pg/dist/node-postgres/index.js')).href)) as typeof import('@goodgo/wallet-pg/node-postgres'));

const newDb = await freshDatabase(adminUrl, 'per_command_new');
const oldDb = await freshDatabase(adminUrl, 'per_command_old');
const dbName = (url: string) => new URL(url).pathname.slice(1);
const pools: pg.Pool[] = [];
const pool = (url: string) => {
  const p = new pg.Pool({ connectionString: url, max: 16, options: SEARCH_PATH });
  pools.push(p);
  return p;
};

try {
  const newPool = pool(newDb.url);
  const oldPool = pool(oldDb.url);
  const statements = { new: 0, old: 0, before: 0 };
  const newStore = await createNodePostgresStore({ pool: newPool, searchPathOnConnect: true, onStatement: () => void statements.new++ });
  const oldStore = await oldPg.createNodePostgresStore({ pool: oldPool, searchPathOnConnect: true, onStatement: () => void statements.old++ });
  const newService = new WalletService({ store: newStore });
  const oldService = new oldCore.WalletService({ store: oldStore });
  const beforeService =
    beforePg &&
    new WalletService({
      store: await beforePg.createNodePostgresStore({ pool: newPool, searchPathOnConnect: true, migrate: false, onStatement: () => void statements.before++ }),
    });
  const newIds = (await seedWallets(newPool, 10_000, 'b-')).ids;
  const oldIds = (await seedWallets(oldPool, 10_000, 'b-')).ids;
  await createOneCallTransfer(newPool);
  const pair = (ids: readonly string[]) => {
    const a = Math.floor(Math.random() * ids.length);
    let b = Math.floor(Math.random() * (ids.length - 1));
    if (b >= a) b++;
    return [ids[a] as string, ids[b] as string] as const;
  };

  const sides: { name: string; db: string; ids: string[]; transfer: Transfer; counted?: 'new' | 'old' | 'before' }[] = [
    {
      name: 'per-command path (770f10a)',
      db: dbName(oldDb.url),
      ids: oldIds,
      transfer: (from, to) => oldService.transfer({ fromWalletId: from, toWalletId: to, amount: '1' }),
      counted: 'old',
    },
    {
      name: 'batch of one (this tree)',
      db: dbName(newDb.url),
      ids: newIds,
      transfer: (from, to) => newService.transfer({ fromWalletId: from, toWalletId: to, amount: '1' }),
      counted: 'new',
    },
    ...(beforeService === undefined
      ? []
      : [
          {
            name: `batch of one (${before})`,
            db: dbName(newDb.url),
            ids: newIds,
            transfer: (from: string, to: string) => beforeService.transfer({ fromWalletId: from, toWalletId: to, amount: '1' }),
            counted: 'before' as const,
          },
        ]),
    { name: 'one plpgsql call', db: dbName(newDb.url), ids: newIds, transfer: (from, to) => oneCallTransfer(newPool, from, to, '1') },
    { name: 'raw SQL', db: dbName(newDb.url), ids: newIds, transfer: (from, to) => rawTransfer(newPool, from, to, '1') },
  ];
  const results = sides.map(() => ({ latencies: [] as number[], ops: 0, seconds: 0, nodeMs: 0, postgresMs: 0, statements: 0, calls: 0 }));
  const load: number[] = [];
  for (let r = 0; r < rounds; r++) {
    // Each round starts with a different side, so that none always follows the same one.
    for (let k = 0; k < sides.length; k++) {
      const i = (r + k) % sides.length;
      const side = sides[i]!;
      const out = results[i]!;
      let calls = 0;
      const before = side.counted ? statements[side.counted] : 0;
      const start = cpuNow(side.db);
      const { run, latencies } = await closedLoopSamples(
        callers,
        roundMs,
        () => {
          calls++;
          const [from, to] = pair(side.ids);
          return side.transfer(from, to);
        },
        300,
      );
      const used = cpuSince(start, side.db);
      out.latencies.push(...latencies);
      out.ops += run.ops;
      out.seconds += run.seconds;
      // CPU and statements count every call of the round, warm-up included.
      out.calls += calls;
      out.nodeMs += used.nodeMs;
      out.postgresMs += used.postgresMs;
      out.statements += side.counted ? statements[side.counted] - before : 0;
      if (run.errors) console.log(`${side.name}: ${run.errors} errors in round ${r + 1}`);
    }
    const { loadavg } = await import('node:os');
    load.push(loadavg()[0]!);
  }
  const table = sides.map((side, i) => {
    const out = results[i]!;
    const sorted = out.latencies.sort((a, b) => a - b);
    return {
      side: side.name,
      transfers: out.ops,
      'p50 ms': round(percentile(sorted, 50), 3),
      'p99 ms': round(percentile(sorted, 99), 3),
      'per s': round(out.ops / out.seconds),
      'Node µs/transfer': round((out.nodeMs * 1000) / out.calls),
      'PostgreSQL µs/transfer': round((out.postgresMs * 1000) / out.calls),
      'statements/transfer': side.counted ? round(out.statements / out.calls, 2) : '',
    };
  });
  console.table(table);
  const p50 = (i: number) => table[i]!['p50 ms'];
  const oneCall = sides.findIndex((side) => side.name === 'one plpgsql call');
  for (let i = 1; i < oneCall; i++) console.log(`${sides[i]!.name} ÷ per-command path, p50: ${round(p50(i) / p50(0), 3)}`);
  for (let i = 0; i < oneCall; i++) console.log(`${sides[i]!.name} ÷ one call, p50: ${round(p50(i) / p50(oneCall), 2)}`);
  console.log(`load average (1 min) ${round(Math.min(...load), 1)}–${round(Math.max(...load), 1)}`);
} finally {
  for (const p of pools) await p.end();
  await newDb.drop();
  await oldDb.drop();
}
