import { WalletService } from '@goodgo/wallet-core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodePostgresStore } from '../src/node-postgres/index.js';
import type { SqlWalletStore } from '../src/sql-store.js';
import { tcpProxy, type TcpProxy } from '../src/testing.js';
import { adminUrl, freshDatabase } from './support/postgres.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; !ok(); await sleep(5)) if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
}

/**
 * A connection attempt that hangs (a failover's old primary, unreachable), made real: a TCP proxy
 * in front of PostgreSQL accepts the pool's next connection and never answers it. The pool keeps
 * no idle connection, so every batch opens one. The commands queued meanwhile must leave on the
 * other slot, and take the stalled batch's command with them.
 */
describe.runIf(adminUrl)('a connection attempt that hangs (PostgreSQL)', () => {
  let store: SqlWalletStore;
  let pool: pg.Pool;
  let proxy: TcpProxy;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const db = await freshDatabase('hung_connect');
    drop = db.drop;
    const target = new URL(db.url);
    proxy = await tcpProxy(target.hostname, Number(target.port || 5432));
    const viaProxy = new URL(db.url);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    // A connect timeout far beyond the test: what completes does so without waiting for the hung attempt.
    pool = new pg.Pool({ connectionString: viaProxy.toString(), max: 6, idleTimeoutMillis: 1, connectionTimeoutMillis: 120_000 });
    pool.on('error', () => undefined);
    store = await createNodePostgresStore({ pool });
  });
  afterAll(async () => {
    proxy.up();
    await store.close();
    await pool.end();
    await proxy.close();
    await drop();
  });

  it('answers the commands queued behind a batch whose connection hangs, on the other slot, the stalled one included', { timeout: 30_000 }, async () => {
    const service = new WalletService({ store });
    const wallets = await Promise.all(Array.from({ length: 9 }, (_, i) => service.createWallet({ userId: `hung-${i}` })));
    await until('the idle connections to close', () => pool.idleCount === 0);
    proxy.holdNext();
    const stalled = service.deposit({ walletId: (wallets[0] as { id: string }).id, amount: '5' }, { idempotencyKey: 'hung-0' });
    await until('the first batch to connect', () => proxy.held === 1);
    const queued = wallets.slice(1).map((w, i) => service.deposit({ walletId: w.id, amount: '7' }, { idempotencyKey: `hung-${i + 1}` }));
    const answers = await Promise.all([stalled, ...queued]);
    expect(answers.map((r) => r.transaction.amount)).toEqual(['5', ...Array.from({ length: 8 }, () => '7')]);
    // Nothing waited for the attempt that hangs: it still hangs.
    expect(proxy.held).toBe(1);
    const balances = await Promise.all(wallets.map((w) => service.getWallet({ walletId: w.id }).then((x) => x.balance)));
    expect(balances).toEqual(['5', ...Array.from({ length: 8 }, () => '7')]);
    // The hung attempt, cut at last, answers no one and leaves nothing behind; the keys replay.
    proxy.up();
    await until('the hung attempt to end', () => proxy.held === 0);
    const again = await service.deposit({ walletId: (wallets[0] as { id: string }).id, amount: '5' }, { idempotencyKey: 'hung-0' });
    expect(again.transaction.id).toBe(answers[0]?.transaction.id);
    expect((await service.getWallet({ walletId: (wallets[0] as { id: string }).id })).balance).toBe('5');
  });
});
