import { WalletService } from '@goodgo/wallet-core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodePostgresStore } from '../src/node-postgres/index.js';
import type { SqlWalletStore } from '../src/sql-store.js';
import { tcpProxyFor, type ProxiedDatabase } from '../src/testing.js';
import { adminUrl, freshDatabase } from './support/postgres.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; !ok(); await sleep(5)) if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
}

/**
 * A batch's rerun (here the units it set aside because another transaction held their row) takes
 * its connection the way a sent batch does: if that connect hangs (a failover), a command arriving
 * meanwhile leaves on the free slot and, connecting first, takes the set-aside units along. Before,
 * the rerun connected on its own: the new command waited out the pool's connect timeout (15 s here)
 * and the set-aside deposit failed with SERVICE_UNAVAILABLE although the database was fine.
 */
describe.runIf(adminUrl)('a rerun of a batch whose connection hangs (PostgreSQL)', () => {
  let direct: SqlWalletStore;
  let store: SqlWalletStore;
  let pool: pg.Pool;
  let proxy: ProxiedDatabase;
  let drop: () => Promise<void>;
  let url: string;
  let armed = false;
  const grabbed: Promise<pg.PoolClient>[] = [];
  beforeAll(async () => {
    const db = await freshDatabase('hung_rerun');
    drop = db.drop;
    url = db.url;
    direct = await createNodePostgresStore({ connectionString: db.url, max: 2 });
    proxy = await tcpProxyFor(db.url);
    pool = new pg.Pool({ connectionString: proxy.url, max: 6, idleTimeoutMillis: 1, connectionTimeoutMillis: 15_000 });
    pool.on('error', () => undefined);
    store = await createNodePostgresStore({
      pool,
      migrate: false,
      onStatement: (name) => {
        if (name === 'set_aside' && armed) {
          armed = false;
          // Take the idle connections first, so that the units set aside open a new one: the one that hangs.
          for (let i = pool.idleCount; i > 0; i--) grabbed.push(pool.connect());
          proxy.holdNext();
        }
      },
    });
  });
  afterAll(async () => {
    proxy.up();
    await store.close();
    await pool.end();
    await direct.close();
    await proxy.close();
    await drop();
  });

  it('answers a command arriving while units set aside wait for a hung connect at once, and takes them along, run once', { timeout: 60_000 }, async () => {
    const opened = new WalletService({ store: direct });
    const wallets = await Promise.all(Array.from({ length: 21 }, (_, i) => opened.createWallet({ userId: `aside-${i}` })));
    const ids = wallets.map((w) => w.id);
    const service = new WalletService({ store });
    await until('the idle connections to close', () => pool.idleCount === 0);
    const blocker = new pg.Client({ connectionString: url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT 1 FROM wallet.wallets WHERE id = $1 FOR UPDATE', [ids[0]]);
    armed = true;
    // ids[1] leaves alone; the rest queue behind it and leave split, ids[0]'s deposit in the first half.
    const order = [ids[1], ids[0], ...ids.slice(2, 20)] as string[];
    let answered = 0;
    const deposits = order.map((id) =>
      service.deposit({ walletId: id, amount: '1' }).then(
        (r) => {
          answered += 1;
          return r.transaction.amount;
        },
        (e: { code?: string }) => {
          answered += 1;
          return `error ${e.code}`;
        },
      ),
    );
    await until('the unit to be set aside and its connect to hang', () => proxy.held === 1);
    for (const c of await Promise.all(grabbed)) c.release();
    await blocker.query('COMMIT');
    await blocker.end();
    await until('every other deposit to be answered', () => answered === 19);
    const t0 = Date.now();
    const late = await service.deposit({ walletId: ids[20] as string, amount: '3' });
    const waited = Date.now() - t0;
    expect(late.transaction.amount).toBe('3');
    const results = await Promise.all(deposits);
    expect({ waited, setAside: results[1] }).toEqual({ waited: expect.toSatisfy((ms: number) => ms < 3000), setAside: '1' });
    expect(results).toEqual(Array.from({ length: 20 }, () => '1'));
    // Nothing waited for the attempt that hangs: it still hangs.
    expect(proxy.held).toBe(1);
    // Cut at last, it runs nothing: the set-aside deposit, taken over, ran once.
    proxy.up();
    await until('the hung attempt to end', () => proxy.held === 0);
    await sleep(100);
    const balances = await Promise.all(ids.map((id) => opened.getWallet({ walletId: id as string }).then((w) => w.balance)));
    expect(balances).toEqual([...Array.from({ length: 20 }, () => '1'), '3']);
    const history = await opened.listTransactions({ walletId: ids[0] as string });
    expect(history.items.map((t) => t.amount)).toEqual(['1']);
  });
});
