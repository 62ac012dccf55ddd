import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WalletService } from '@goodgo/wallet-core';
import { createPgliteStore } from '@goodgo/wallet-pg/pglite';
import { describe, expect, it } from 'vitest';
import { adminUrl, freshDatabase, runToken, startServerProcess } from './support/process.js';

if (!adminUrl) console.log('[wallet-server] PostgreSQL server-process case skipped: WALLET_TEST_DATABASE_URL is not set.');

async function exercise(env: Record<string, string>): Promise<void> {
  const server = await startServerProcess(env);
  try {
    let ready = 0;
    for (let i = 0; i < 50 && ready !== 200; i++) {
      ready = (await fetch(`${server.url}/health/ready`)).status;
      if (ready !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(ready).toBe(200);
    const tokenEnv = env.JWT_SECRET ? { JWT_SECRET: env.JWT_SECRET } : {};
    const pos = await runToken(['--sub', 'pos-till', '--role', 'service'], tokenEnv);
    const alice = await runToken(['--sub', 'alice'], tokenEnv);
    const call = async (method: string, path: string, token: string, body?: unknown) => {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    const a = await call('POST', '/api/v1/wallets', alice);
    expect(a.status).toBe(201);
    const b = await call('POST', '/api/v1/wallets', pos, { userId: 'bob' });
    expect((await call('POST', '/api/v1/wallets/deposit', pos, { walletId: a.body.id, amount: '200000' })).body.wallet.balance).toBe('200000');
    const t = await call('POST', '/api/v1/wallets/transfer', alice, { fromWalletId: a.body.id, toWalletId: b.body.id, amount: '75000' });
    expect([t.status, t.body.wallet.balance]).toEqual([200, '125000']);
    expect((await call('GET', `/api/v1/wallets/${b.body.id}`, pos)).body.balance).toBe('75000');
  } finally {
    server.child.kill('SIGTERM');
  }
  expect(await server.exit).toBe(0);
  expect(server.logs.some((l) => l.includes('"msg":"stopped"'))).toBe(true);
  // No token ever reaches the log.
  expect(server.logs.some((l) => /eyJ[\w-]+\.eyJ/.test(l))).toBe(false);
}

describe('the server process (npm start)', () => {
  it('serves on PGlite in development mode, then drains and exits 0 on SIGTERM', async () => {
    await exercise({ WALLET_DATA_DIR: 'memory://' });
  }, 150_000);

  it.runIf(adminUrl)(
    'serves on PostgreSQL with DATABASE_URL and a JWT_SECRET',
    async () => {
      const db = await freshDatabase();
      try {
        await exercise({ DATABASE_URL: db.url, DATABASE_POOL_MAX: '4', JWT_SECRET: 'process-test-secret-0123456789-abcdefghij' });
      } finally {
        await db.drop();
      }
    },
    150_000,
  );

  it('answers every request it accepted before SIGTERM, and each answered deposit is in the ledger', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'wallet-drain-'));
    try {
      const server = await startServerProcess({ WALLET_DATA_DIR: dataDir });
      const pos = await runToken(['--sub', 'pos', '--role', 'service']);
      const headers = { authorization: `Bearer ${pos}`, 'content-type': 'application/json' };
      const created = await fetch(`${server.url}/api/v1/wallets`, { method: 'POST', headers, body: JSON.stringify({ userId: 'drain' }) });
      const walletId = ((await created.json()) as { id: string }).id;
      const deposits = Array.from({ length: 40 }, () =>
        fetch(`${server.url}/api/v1/wallets/deposit`, { method: 'POST', headers, body: JSON.stringify({ walletId, amount: '1' }) }).then(
          (r) => r.status,
          () => 'refused' as const,
        ),
      );
      await new Promise((r) => setTimeout(r, 20));
      server.child.kill('SIGTERM');
      const statuses = await Promise.all(deposits);
      expect(await server.exit).toBe(0);
      // A request is either answered properly or never accepted: nothing half-done, no 5xx.
      expect(statuses.filter((s) => s !== 200 && s !== 'refused')).toEqual([]);
      const ok = statuses.filter((s) => s === 200).length;
      expect(ok).toBeGreaterThan(0);
      const store = await createPgliteStore({ dataDir });
      try {
        const service = new WalletService({ store });
        expect((await service.getWallet({ walletId })).balance).toBe(String(ok));
        expect((await service.listTransactions({ walletId, limit: 200 })).items).toHaveLength(ok);
      } finally {
        await store.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 150_000);

  it('refuses to start in production without JWT settings or a ledger key, and on invalid configuration', async () => {
    const main = join(import.meta.dirname, '..', 'dist', 'main.js');
    const run = (env: Record<string, string>) =>
      new Promise<{ code: number | null; err: string }>((resolve) => {
        const child = spawn(process.execPath, [main], { env: { PATH: process.env.PATH ?? '', WALLET_DATA_DIR: 'memory://', PORT: '0', ...env } });
        let err = '';
        child.stderr.on('data', (d) => (err += d));
        child.stdout.on('data', (d) => (err += d));
        child.once('exit', (code) => resolve({ code, err }));
      });
    const prod = await run({ NODE_ENV: 'production', WALLET_ALLOW_EMBEDDED: 'true' });
    expect(prod.code).toBe(1);
    expect(prod.err).toContain('refusing to start in production');
    // Nor on an embedded store unless that is said to be meant: records on PGlite or in memory
    // vanish with the machine or the container's writable layer.
    const embedded = await run({ NODE_ENV: 'production', JWT_SECRET: 'process-test-secret-0123456789-abcdefghij' });
    expect(embedded.code).toBe(1);
    expect(embedded.err).toContain('NODE_ENV=production needs DATABASE_URL');
    expect(embedded.err).toContain('WALLET_ALLOW_EMBEDDED=true');
    // Nor with the ledger chain keyed by the public development key: its rows could be recomputed
    // by anyone with the database, and would stay so after a key is set.
    const unkeyed = await run({ NODE_ENV: 'production', WALLET_ALLOW_EMBEDDED: 'true', JWT_SECRET: 'process-test-secret-0123456789-abcdefghij' });
    expect(unkeyed.code).toBe(1);
    expect(unkeyed.err).toContain('No WALLET_LEDGER_KEY set: refusing to start in production');
    const bad = await run({ WALLET_MAX_AMOUNT: '-5', WALLET_DEFAULT_CURRENCY: 'XYZ' });
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('WALLET_MAX_AMOUNT');
    expect(bad.err).toContain('WALLET_DEFAULT_CURRENCY');
  }, 150_000);
});
