import { WalletService, walletView } from '@goodgo/wallet-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodePostgresStore, NodePostgresDriver } from '../src/node-postgres/index.js';
import type { SqlWalletStore } from '../src/sql-store.js';
import { adminUrl, freshDatabase } from './support/postgres.js';

/**
 * Reads of a wallet, of a user's wallets, of a point account and of a summary that arrive together share one
 * statement (one statement out at a time here, so every read after the first queues): each
 * reader still gets its own answer, at its own instant, and sees every write acknowledged before
 * it asked.
 */
describe.runIf(adminUrl)('batched reads on PostgreSQL', () => {
  let store: SqlWalletStore;
  let service: WalletService;
  let drop: () => Promise<void>;
  const statements: string[] = [];

  beforeAll(async () => {
    const db = await freshDatabase('read_batches');
    drop = db.drop;
    store = await createNodePostgresStore({ connectionString: db.url, max: 4, readBatchesInFlight: 1, onStatement: (name) => void statements.push(name) });
    service = new WalletService({ store });
  });
  afterAll(async () => {
    await store.close();
    await drop();
  });

  const counting = async <T>(fn: () => Promise<T>): Promise<{ result: T; sent: string[] }> => {
    statements.length = 0;
    const result = await fn();
    return { result, sent: [...statements] };
  };

  it('answers 64 readers of 16 wallets, each its own wallet, in far fewer statements than reads', async () => {
    const wallets: string[] = [];
    for (let i = 0; i < 16; i++) {
      const w = await service.createWallet({ userId: `reader-${i}` });
      await service.deposit({ walletId: w.id, amount: String(100 + i) });
      wallets.push(w.id);
    }
    const { result, sent } = await counting(() =>
      Promise.all(Array.from({ length: 64 }, (_, i) => service.getWallet({ walletId: wallets[i % 16] as string }))),
    );
    expect(result.map((w) => [w.id, w.balance])).toEqual(Array.from({ length: 64 }, (_, i) => [wallets[i % 16], String(100 + (i % 16))]));
    expect(sent.every((name) => name === 'wallet_get_wallets')).toBe(true);
    // The first read leaves alone; the 63 that queued behind it leave together.
    expect(sent).toHaveLength(2);
  });

  it('a read asked for after a write was acknowledged sees it, batched or not', async () => {
    const w = await service.createWallet({ userId: 'writer' });
    for (let i = 1; i <= 5; i++) {
      await service.deposit({ walletId: w.id, amount: '10' });
      const reads = await Promise.all([service.getWallet({ walletId: w.id }), service.getWallet({ walletId: w.id }), service.getWallet({ walletId: w.id })]);
      expect(reads.map((r) => r.balance)).toEqual(Array(3).fill(String(10 * i)));
    }
  });

  it('reads each wallet at its reader’s own instant: a hold past one reader’s instant counts only for the earlier one', async () => {
    const w = await service.createWallet({ userId: 'holder' });
    await service.deposit({ walletId: w.id, amount: '100' });
    const expiresAt = new Date(Date.now() + 60_000);
    await service.placeHold({ walletId: w.id, amount: '30', expiresAt: expiresAt.toISOString() });
    const before = new Date(expiresAt.getTime() - 1);
    const after = new Date(expiresAt.getTime() + 1);
    const { result, sent } = await counting(() => Promise.all([store.getWallet(w.id, before), store.getWallet(w.id, before), store.getWallet(w.id, after)]));
    expect(sent).toHaveLength(2);
    const [, early, late] = result;
    expect(walletView(early!, before)).toMatchObject({ heldAmount: '30', availableBalance: '70' });
    expect(walletView(late!, after)).toMatchObject({ heldAmount: '0', availableBalance: '100' });
  });

  it('reads each summary at its reader’s own instant, in one batch', async () => {
    const w = await service.createWallet({ userId: 'summary-holder' });
    await service.deposit({ walletId: w.id, amount: '100' });
    const expiresAt = new Date(Date.now() + 60_000);
    await service.placeHold({ walletId: w.id, amount: '30', expiresAt: expiresAt.toISOString() });
    const before = new Date(expiresAt.getTime() - 1);
    const after = new Date(expiresAt.getTime() + 1);
    const read = (at: Date) => store.getUserBalances('summary-holder', at);
    const { result, sent } = await counting(() => Promise.all([read(before), read(before), read(after)]));
    expect(sent).toEqual(['wallet_user_balances', 'wallet_user_balances']);
    const [, early, late] = result;
    expect(walletView(early!.wallets[0]!, before)).toMatchObject({ heldAmount: '30', availableBalance: '70' });
    expect(walletView(late!.wallets[0]!, after)).toMatchObject({ heldAmount: '0', availableBalance: '100' });
  });

  it('a missing wallet and an id that is no UUID answer null without failing the reads beside them', async () => {
    const w = await service.createWallet({ userId: 'neighbour' });
    const [first, missing, notUuid, found] = await Promise.all([
      store.getWallet(w.id),
      store.getWallet('00000000-0000-4000-8000-000000000000'),
      store.getWallet('not-a-uuid'),
      store.getWallet(w.id),
    ]);
    expect([first?.id, missing, notUuid, found?.id]).toEqual([w.id, null, null, w.id]);
  });

  it("answers each user's summary with that user's wallets, oldest first, and points, from one batched statement", async () => {
    const users = ['sum-a', 'sum-b', 'sum-c', 'sum-none'];
    const made: Record<string, string[]> = {};
    for (const userId of users.slice(0, 3)) {
      made[userId] = [(await service.createWallet({ userId })).id, (await service.createWallet({ userId, currency: 'USD' })).id];
    }
    await service.earnPoints({ userId: 'sum-b', points: 7, source: 'welcome' });
    const { result, sent } = await counting(() => Promise.all([...users, ...users].map((userId) => service.getBalanceSummary({ userId }))));
    for (const [i, summary] of result.entries()) {
      const userId = users[i % users.length] as string;
      expect(summary.userId).toBe(userId);
      expect(summary.wallets.map((w) => w.id)).toEqual(made[userId] ?? []);
      expect(summary.points?.availablePoints ?? null).toBe(userId === 'sum-b' ? 7 : null);
    }
    // The wallets and the account in one statement: the first summary leaves alone, the seven that queued behind it together.
    expect(sent).toEqual(['wallet_user_balances', 'wallet_user_balances']);
  });
});

/**
 * The store's own pool, not behind a transaction pooler: its connections get the schema and the
 * timeouts once, for the session, and a read is then one named prepared statement. Behind a
 * pooler (prepared statements off) every statement carries them with SET LOCAL, and the server
 * session keeps its own settings.
 */
describe.runIf(adminUrl)('session settings of the store’s own connections (PostgreSQL)', () => {
  let url: string;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const db = await freshDatabase('session_settings');
    ({ url, drop } = db);
    await (await createNodePostgresStore({ connectionString: url, max: 1 })).close();
  });
  afterAll(() => drop());

  const sessionOf = async (preparedStatements: boolean) => {
    const store = await createNodePostgresStore({ connectionString: url, max: 1, migrate: false, preparedStatements });
    try {
      const service = new WalletService({ store });
      const wallet = await service.createWallet({ userId: `session-${preparedStatements}` });
      expect((await service.getWallet({ walletId: wallet.id })).id).toBe(wallet.id);
      // The pool's one connection, asked outside the driver: what its session holds.
      const pool = (store.driver as NodePostgresDriver).pool;
      const { rows } = await pool.query<{ timeout: string; lock: string; path: string; prepared: string[] }>(
        `SELECT current_setting('statement_timeout') AS timeout, current_setting('lock_timeout') AS lock, current_setting('search_path') AS path,
                ARRAY(SELECT name FROM pg_prepared_statements ORDER BY name) AS prepared`,
      );
      return rows[0];
    } finally {
      await store.close();
    }
  };

  it('sets them once per connection when prepared statements are on, and reads with a prepared statement', async () => {
    const session = await sessionOf(true);
    expect(session).toMatchObject({ timeout: '15s', lock: '5s', path: 'wallet' });
    expect(session?.prepared).toContain('wallet_get_wallets');
  });

  it('leaves the session as it was when prepared statements are off (a transaction pooler)', async () => {
    const session = await sessionOf(false);
    expect(session).toMatchObject({ timeout: '0', lock: '0' });
    expect(session?.path).not.toBe('wallet');
    expect(session?.prepared).toEqual([]);
  });
});
