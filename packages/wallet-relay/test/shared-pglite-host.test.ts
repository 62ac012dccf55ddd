import { PGlite } from '@electric-sql/pglite';
import { WalletService } from '@goodgo/wallet-core';
import type { SqlWalletStore } from '@goodgo/wallet-pg';
import { createPgliteStore } from '@goodgo/wallet-pg/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxRelay, webhookSink } from '../src/index.js';
import { WebhookReceiver, eventually, newSecret } from './support/receiver.js';

/**
 * A POS monolith on one PGlite file shares the instance with the wallet. Its tables are in
 * `public`, and two of them have the names of ours: were the session's search path ever ours
 * while the host runs a query, its query would read or write the wallet's tables.
 */
describe('a host sharing its PGlite instance keeps its own session while the wallet works', () => {
  let db: PGlite;
  let store: SqlWalletStore;
  let service: WalletService;
  let receiver: WebhookReceiver;
  let relay: OutboxRelay;

  beforeAll(async () => {
    db = await PGlite.create();
    await db.exec(`
      CREATE TABLE public.holds (id serial PRIMARY KEY, table_no integer NOT NULL);
      CREATE TABLE public.wallets (id serial PRIMARY KEY, owner text NOT NULL);
      INSERT INTO public.holds (table_no) VALUES (7);
      INSERT INTO public.wallets (owner) VALUES ('host');
    `);
    store = await createPgliteStore({ db });
    service = new WalletService({ store });
    receiver = new WebhookReceiver(newSecret());
    const url = await receiver.listen();
    relay = new OutboxRelay({
      driver: store.driver,
      sinks: [webhookSink({ url, secret: receiver.secret, retry: { baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 4 } })],
      pollIntervalMs: 5,
      leaderRetryMs: 20,
    }).start();
  });
  afterAll(async () => {
    await relay.stop();
    await receiver.close();
    await store.close();
    await db.close();
  });

  it('with the relay, the feed, reconciliation and every read running, the host sees its search path and its tables', async () => {
    const hostPath = (await db.query<{ path: string }>(`SELECT current_setting('search_path') AS path`)).rows[0]?.path;
    expect(hostPath).not.toContain('wallet');
    const seen: string[] = [];
    let working = true;
    // The host's own queries, as often as the instance lets them in, for as long as the wallet works.
    const host = (async () => {
      while (working) {
        const [path] = (await db.query<{ path: string }>(`SELECT current_setting('search_path') AS path`)).rows;
        seen.push(path?.path ?? '');
        const [hold] = (await db.query<{ table_no: number }>('SELECT table_no FROM holds')).rows;
        expect(hold?.table_no).toBe(7);
        await db.query(`UPDATE wallets SET owner = 'host' WHERE id = 1`);
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();

    const wallet = await service.createWallet({ userId: 'shared-host' });
    const other = await service.createWallet({ userId: 'shared-host-2' });
    for (let i = 1; i <= 10; i++) {
      await service.deposit({ walletId: wallet.id, amount: '1000', reference: `order-${i}` });
      const hold = await service.placeHold({ walletId: wallet.id, amount: '100' });
      await service.captureHold({ holdId: hold.id });
      await service.transfer({ fromWalletId: wallet.id, toWalletId: other.id, amount: '50' });
      await service.listEvents({ limit: 50 });
      await service.listTransactions({ walletId: wallet.id, limit: 5 });
      await service.getBalanceAt({ walletId: wallet.id, at: new Date() });
      await service.searchWallets({});
      await service.listHolds({ walletId: wallet.id });
      expect((await service.reconcile()).ok).toBe(true);
    }
    const newest = (await store.listEvents('0', 100_000)).at(-1)?.position;
    await eventually(() => relay.status().active && relay.status().sinks[0]?.position === newest, 'the relay to deliver everything');
    working = false;
    await host;

    expect(seen.length).toBeGreaterThan(10);
    expect(new Set(seen)).toEqual(new Set([hostPath]));
    // The host's rows are its own; the wallet's are in the wallet's schema.
    expect((await db.query('SELECT owner FROM public.wallets')).rows).toEqual([{ owner: 'host' }]);
    expect((await db.query(`SELECT count(*)::int AS n FROM wallet.wallets`)).rows).toEqual([{ n: 2 }]);
    expect((await service.getWallet({ walletId: wallet.id })).balance).toBe('8500');
  });
});
