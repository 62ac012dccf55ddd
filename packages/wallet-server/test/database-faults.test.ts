import type pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { mintToken } from '../src/token.js';
import {
  assertBooks,
  call,
  openBank,
  operatorOf,
  readyWithin,
  retryUnanswered,
  runTransfers,
  terminateBackends,
  type Attempt,
  type Outcome,
} from './support/bank.js';
import { adminUrl, freshDatabase, startServerProcess, type ServerProcess } from './support/process.js';
import { tcpProxyFor } from '@goodgo/wallet-pg/testing';

if (!adminUrl) console.log('[wallet-server] database fault suite skipped: WALLET_TEST_DATABASE_URL is not set.');

const JWT_SECRET = 'fault-suite-secret-0123456789-abcdefghijkl';
const SHUTDOWN_TIMEOUT_MS = 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits (bounded) until some backend of the database is inside a statement or a transaction. */
async function whenBusy(operator: pg.Client): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const { rows } = await operator.query(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'",
    );
    if (rows[0].n > 0) return;
    await sleep(20);
  }
}

/** Three rounds: wait for work in flight, terminate every backend of the database, let it recover a little. */
async function blinkThreeTimes(operator: pg.Client): Promise<void> {
  for (let round = 0; round < 3; round++) {
    await whenBusy(operator);
    expect(await terminateBackends(operator)).toBeGreaterThan(0);
    await sleep(200);
  }
}

function expectOnlyContractStatuses(attempts: Attempt[]): Outcome[] {
  const outcomes = attempts.flatMap((a) => a.outcomes);
  const tally = new Map<Outcome, number>();
  for (const a of attempts) tally.set(a.outcomes[0] as Outcome, (tally.get(a.outcomes[0] as Outcome) ?? 0) + 1);
  // One line for the CI log: how hard the faults hit this run.
  console.log(`[fault suite] ${attempts.length} transfers, first answers: ${JSON.stringify(Object.fromEntries(tally))}`);
  expect(outcomes.filter((o) => o !== 'no answer' && o !== 503 && !(o >= 200 && o < 500))).toEqual([]);
  return outcomes;
}

const started: ServerProcess[] = [];
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const s of started.splice(0)) if (s.child.exitCode === null) s.child.kill('SIGKILL');
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function start(env: Record<string, string>): Promise<ServerProcess & { died: () => boolean }> {
  const server = await startServerProcess({ JWT_SECRET, LOG_LEVEL: 'info', SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS), ...env });
  started.push(server);
  let died = false;
  void server.exit.then(() => (died = true));
  return Object.assign(server, { died: () => died });
}

async function database(): Promise<{ url: string; operator: pg.Client }> {
  const db = await freshDatabase();
  cleanups.push(() => db.drop());
  const operator = await operatorOf(db.url);
  cleanups.push(() => operator.end());
  return { url: db.url, operator };
}

describe.runIf(adminUrl)('the server process when the database blinks (PostgreSQL)', () => {
  it('issue 8 reproduction: 16 clients of keyed transfers, all backends terminated 3 times; the process lives, retries apply once, SIGTERM exits in time with a connection stuck', async () => {
    const { url, operator } = await database();
    const server = await start({ DATABASE_URL: url, DATABASE_POOL_MAX: '8' });
    const token = await mintToken({ sub: 'fault-pos', roles: ['service'], secret: JWT_SECRET });
    const bank = await openBank(server.url, token, 20, '1000', 'fault');

    const load = runTransfers([server.url], token, bank, { workers: 16, perWorker: 25, seed: 8, tag: 'blink' });
    await blinkThreeTimes(operator);
    const attempts = await load;
    // Ready again within the contract's 5 s of the database's return.
    expect(await readyWithin(server.url, 5000)).toBe(true);
    const outcomes = expectOnlyContractStatuses(attempts);
    // The faults did hit requests in flight (otherwise this would prove nothing).
    expect(outcomes.filter((o) => o === 503 || o === 'no answer').length).toBeGreaterThan(0);
    const retried = await retryUnanswered([server.url], token, attempts);
    expect(retried.length).toBeGreaterThan(0);
    expect(retried.filter((a) => a.outcomes.at(-1) === 503 || a.outcomes.at(-1) === 'no answer')).toEqual([]);
    await assertBooks(operator, bank, attempts);
    expect(server.died()).toBe(false);

    // SIGTERM with a request stuck on a row lock that another session holds: the process must not
    // wait for the pool; it exits within SHUTDOWN_TIMEOUT_MS (+1 s), and the stuck withdrawal is
    // not applied (its transaction dies with the connection).
    const { default: pgModule } = await import('pg');
    const holder = new pgModule.Client({ connectionString: url });
    holder.on('error', () => undefined);
    await holder.connect();
    cleanups.push(() => holder.end());
    await holder.query('SET search_path = wallet, public');
    await holder.query('BEGIN');
    await holder.query('SELECT id FROM wallets WHERE id = $1 FOR UPDATE', [bank.wallets[0]]);
    const stuck = call(server.url, 'POST', '/api/v1/wallets/withdraw', token, { walletId: bank.wallets[0], amount: '1', reference: 'stuck' }, 'stuck-1').then(
      (r) => r.status as Outcome,
      () => 'no answer' as const,
    );
    for (let i = 0; i < 100; i++) {
      const { rows } = await operator.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");
      if (rows[0].n > 0) break;
      await sleep(20);
    }
    const signalled = Date.now();
    server.child.kill('SIGTERM');
    const code = await server.exit;
    const tookMs = Date.now() - signalled;
    await holder.query('ROLLBACK');
    expect(code).toBe(0);
    expect(tookMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS + 1000);
    expect(['no answer', 503]).toContain(await stuck);
    const { rows } = await operator.query("SELECT count(*)::int AS n FROM wallet_transactions WHERE reference = 'stuck'");
    expect(rows[0].n).toBe(0);
    await assertBooks(operator, bank, attempts);
  }, 120_000);

  it('starts with the database unreachable (live 200, ready 503, commands 503), migrates once it answers, and rides out a lost host', async () => {
    const { url, operator } = await database();
    const proxy = await tcpProxyFor(url, false);
    cleanups.push(() => proxy.close());
    const server = await start({ DATABASE_URL: proxy.url, DATABASE_POOL_MAX: '4' });
    const token = await mintToken({ sub: 'fault-start', roles: ['service'], secret: JWT_SECRET });

    expect((await fetch(`${server.url}/health/live`)).status).toBe(200);
    const ready = await fetch(`${server.url}/health/ready`);
    expect([ready.status, ready.headers.get('retry-after')]).toEqual([503, '1']);
    const refused = await fetch(`${server.url}/api/v1/wallets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'early' }),
    });
    expect([
      refused.status,
      refused.headers.get('content-type'),
      refused.headers.get('retry-after'),
      ((await refused.json()) as { code: string }).code,
    ]).toEqual([503, 'application/problem+json', '1', 'SERVICE_UNAVAILABLE']);
    const { rows: before } = await operator.query("SELECT to_regclass('wallets') IS NULL AS absent");
    expect(before[0].absent).toBe(true);

    proxy.up();
    // Start-up backoff is capped at 5 s: the first attempt after the database answers succeeds.
    expect(await readyWithin(server.url, 12_000)).toBe(true);
    const created = await call(server.url, 'POST', '/api/v1/wallets', token, { userId: 'late' });
    expect(created.status).toBe(201);
    expect((await call(server.url, 'POST', '/api/v1/wallets/deposit', token, { walletId: created.body.id, amount: '100' }, 'dep-1')).status).toBe(200);

    // The database host disappears: every connection is cut, new ones are refused.
    proxy.down();
    const lost = await call(server.url, 'POST', '/api/v1/wallets/deposit', token, { walletId: created.body.id, amount: '5' }, 'dep-2');
    expect([lost.status, lost.body.code]).toEqual([503, 'SERVICE_UNAVAILABLE']);
    expect((await fetch(`${server.url}/health/ready`)).status).toBe(503);
    expect((await fetch(`${server.url}/health/live`)).status).toBe(200);

    proxy.up();
    expect(await readyWithin(server.url, 5000)).toBe(true);
    expect((await call(server.url, 'POST', '/api/v1/wallets/deposit', token, { walletId: created.body.id, amount: '5' }, 'dep-2')).status).toBe(200);
    expect((await call(server.url, 'GET', `/api/v1/wallets/${created.body.id}`, token)).body.balance).toBe('105');
    expect(server.died()).toBe(false);

    // SIGTERM while the database is gone again: the pool cannot end cleanly; the process still exits in time.
    proxy.down();
    const signalled = Date.now();
    server.child.kill('SIGTERM');
    expect(await server.exit).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(SHUTDOWN_TIMEOUT_MS + 1000);
  }, 120_000);

  it('3 server processes on one database run the bank workload (1 056 transfers, 20 wallets) through 3 rounds of terminated backends', async () => {
    const { url, operator } = await database();
    const servers = await Promise.all([0, 1, 2].map(() => start({ DATABASE_URL: url, DATABASE_POOL_MAX: '6' })));
    const urls = servers.map((s) => s.url);
    const token = await mintToken({ sub: 'fault-bank', roles: ['service'], secret: JWT_SECRET });
    const bank = await openBank(urls[0] as string, token, 20, '5000', 'bank');

    const load = runTransfers(urls, token, bank, { workers: 16, perWorker: 66, seed: 3, tag: 'bank' });
    await blinkThreeTimes(operator);
    const attempts = await load;
    expect(attempts).toHaveLength(1056);
    for (const s of servers) expect(await readyWithin(s.url, 5000), s.logs.filter((l) => !l.startsWith('{')).join('\n')).toBe(true);
    expectOnlyContractStatuses(attempts);
    await retryUnanswered(urls, token, attempts);
    await assertBooks(operator, bank, attempts);
    expect(attempts.filter((a) => a.outcomes.at(-1) === 200).length).toBeGreaterThan(500);
    expect(servers.filter((s) => s.died())).toEqual([]);
    for (const s of servers) s.child.kill('SIGTERM');
    expect(await Promise.all(servers.map((s) => s.exit))).toEqual([0, 0, 0]);
  }, 180_000);
});
