import { Writable } from 'node:stream';
import { WalletService } from '@goodgo/wallet-core';
import { createNodePostgresStore } from '@goodgo/wallet-pg/node-postgres';
import { freshDatabase, tcpProxyFor, type FreshDatabase, type ProxiedDatabase } from '@goodgo/wallet-pg/testing';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { createAuthenticator } from '../src/auth.js';
import { mintToken } from '../src/token.js';
import { SECRET } from './support/harness.js';

const adminUrl = process.env.WALLET_TEST_DATABASE_URL;
if (!adminUrl) console.log('[wallet-server] failover warnings suite skipped: WALLET_TEST_DATABASE_URL is not set.');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Line = Record<string, unknown> & { level: number; msg: string };

/** A pino logger whose lines the test reads. */
function capturedLogger() {
  const lines: Line[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as Line);
      done();
    },
  });
  return { lines, logger: pino({ level: 'info' }, sink) };
}

/** The 503s a failover brings are warnings with their cause, never an error line or a stack. */
function expectWarnedWithCause(lines: readonly Line[], cause: RegExp): void {
  expect(lines.filter((l) => l.level >= 50)).toEqual([]);
  expect(JSON.stringify(lines)).not.toMatch(/"stack"/);
  const warned = lines.filter((l) => l.level === 40 && l.msg.includes('503'));
  expect(warned.length).toBeGreaterThan(0);
  for (const l of warned) expect(JSON.stringify(l.cause)).toMatch(cause);
}

/**
 * The faults of a failover, made real in front of PostgreSQL: its address refusing connections,
 * its host unreachable (a proxy that accepts and never answers), and a connection landing on a
 * node demoted to a standby (a session whose transactions are read-only).
 */
describe.runIf(adminUrl)('a failover seen from the service (PostgreSQL)', () => {
  let db: FreshDatabase;
  let proxy: ProxiedDatabase;
  const closing: (() => Promise<unknown>)[] = [];
  beforeAll(async () => {
    db = await freshDatabase(adminUrl as string, 'failover_log');
    await (await createNodePostgresStore({ connectionString: db.url })).close();
    proxy = await tcpProxyFor(db.url);
  });
  afterAll(async () => {
    for (const close of closing.reverse()) await close().catch(() => undefined);
    await proxy.close();
    await db.drop();
  });

  async function appOver(store: Awaited<ReturnType<typeof createNodePostgresStore>>) {
    const { lines, logger } = capturedLogger();
    const app = createApp({
      service: new WalletService({ store, defaultCurrency: 'VND' }),
      store,
      auth: createAuthenticator({ kind: 'secret', secret: SECRET }),
      logger,
      readyTimeoutMs: 300,
    });
    const token = await mintToken({ sub: `failover-${Math.random().toString(36).slice(2, 8)}`, roles: [], secret: SECRET });
    const createWallet = () =>
      app.request('/api/v1/wallets', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: '{"currency":"VND"}',
      });
    return { app, lines, createWallet };
  }

  it(
    'refused connections, then an unreachable host: 503 warnings with their cause, readiness 503 within its timeout, back by itself',
    { timeout: 30_000 },
    async () => {
      const store = await createNodePostgresStore({ connectionString: proxy.url, max: 4, connectTimeoutMs: 1000 });
      closing.push(() => store.close());
      const { app, lines, createWallet } = await appOver(store);
      expect((await app.request('/health/ready')).status).toBe(200);

      proxy.down();
      const refused = await createWallet();
      expect(refused.status).toBe(503);
      expectWarnedWithCause(lines, /Connection terminated|ECONNRESET|ECONNREFUSED/);

      // Unreachable: every attempt hangs. A command fails after the connect timeout, not never.
      lines.length = 0;
      proxy.blackhole();
      const started = Date.now();
      const hung = await createWallet();
      expect(hung.status).toBe(503);
      expect(Date.now() - started).toBeLessThan(10_000);
      expectWarnedWithCause(lines, /timeout/i);
      expect((await app.request('/health/ready')).status).toBe(503);
      expect((await app.request('/health/live')).status).toBe(200);

      // The host answers again: readiness comes back without anyone touching the service.
      proxy.up();
      let ready = 0;
      for (let i = 0; i < 100 && ready !== 200; i++) {
        ready = (await app.request('/health/ready')).status;
        if (ready !== 200) await sleep(100);
      }
      expect(ready).toBe(200);
      expect((await createWallet()).status).toBe(201);
    },
  );

  it('a connection on a demoted node (read-only transactions, 25006): 503 with its cause as a warning, and the connection is not lent again', async () => {
    // What a connection to the old primary's address meets when that node came back as a standby.
    const pool = new pg.Pool({ connectionString: db.url, max: 2, options: '-c default_transaction_read_only=on' });
    pool.on('error', () => undefined);
    const store = await createNodePostgresStore({ pool, migrate: false });
    closing.push(async () => {
      await store.close();
      await pool.end();
    });
    const { lines, createWallet } = await appOver(store);
    const refused = await createWallet();
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expectWarnedWithCause(lines, /25006/);
    await sleep(50);
    expect(pool.totalCount).toBe(0);
  });
});
