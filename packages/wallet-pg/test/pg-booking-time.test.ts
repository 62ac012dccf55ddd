import { readFileSync } from 'node:fs';
import { WalletService } from '@goodgo/wallet-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodePostgresStore } from '../src/node-postgres/index.js';
import type { SqlWalletStore } from '../src/sql-store.js';
import { OUTBOX_ORDER_LOCK } from '../src/sql/batch.js';
import { adminUrl, freshDatabase } from './support/postgres.js';

/**
 * A change is dated when it is applied, under its locks: a command that waited for a row another
 * transaction held is not dated at the moment it asked, or a balance read at an instant already
 * past would change after it was read, and a statement already issued would stop adding up.
 */
it('takes the very outbox lock that migration 0005 has writers and the horizon take', () => {
  const migration = readFileSync(new URL('../drizzle/0005_outbox_relay.sql', import.meta.url), 'utf8');
  expect(migration.match(/pg_advisory_xact_lock(?:_shared)?\((\d+)\)/g)).toEqual([
    `pg_advisory_xact_lock_shared(${OUTBOX_ORDER_LOCK})`,
    `pg_advisory_xact_lock(${OUTBOX_ORDER_LOCK})`,
  ]);
});

describe.runIf(adminUrl)('booking time under a lock held elsewhere (PostgreSQL)', () => {
  let store: SqlWalletStore;
  let service: WalletService;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const db = await freshDatabase('booking_time');
    drop = db.drop;
    store = await createNodePostgresStore({ connectionString: db.url, max: 4, lockTimeoutMs: 30_000 });
    service = new WalletService({ store });
  });
  afterAll(async () => {
    await store.close();
    await drop();
  });

  /** Holds the wallet's row from a second connection until `release` is called. */
  async function holdRow(walletId: string) {
    let release: () => void = () => undefined;
    let locked: () => void = () => undefined;
    const isLocked = new Promise<void>((r) => (locked = r));
    const released = new Promise<void>((r) => (release = r));
    const holder = store.driver.transaction(async (s) => {
      await s.query('SELECT id FROM wallets WHERE id = $1 FOR UPDATE', [walletId]);
      locked();
      await released;
    });
    await isLocked;
    return { release, holder };
  }

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('dates a deposit that waited for the wallet row no earlier than the moment the row was released', async () => {
    const wallet = await service.createWallet({ userId: 'waiting-deposit' });
    await service.deposit({ walletId: wallet.id, amount: '1000' });
    const { release, holder } = await holdRow(wallet.id);
    const deposit = service.deposit({ walletId: wallet.id, amount: '1' });
    await sleep(1500);
    // What a reader sees for an instant just past: the balance before the waiting deposit.
    const readAt = new Date();
    await sleep(5);
    const before = await service.getBalanceAt({ walletId: wallet.id, at: readAt });
    const releasedAt = Date.now();
    release();
    await holder;
    const { transaction } = await deposit;
    expect(new Date(transaction.createdAt).getTime()).toBeGreaterThanOrEqual(releasedAt);
    const [row] = await store.driver.query('SELECT created_at FROM wallet_transactions WHERE id = $1', [transaction.id]);
    expect((row?.created_at as Date).getTime()).toBeGreaterThanOrEqual(releasedAt);
    // The instant read before the release still has the balance it had: the past did not change.
    expect(before.balance).toBe('1000');
    expect((await service.getBalanceAt({ walletId: wallet.id, at: readAt })).balance).toBe('1000');
    expect((await service.getWallet({ walletId: wallet.id })).balance).toBe('1001');
  });

  it('dates a capture whose hold it resolved before the wait at the moment it was applied', async () => {
    const wallet = await service.createWallet({ userId: 'waiting-capture' });
    await service.deposit({ walletId: wallet.id, amount: '500' });
    const hold = await service.placeHold({ walletId: wallet.id, amount: '200' });
    const { release, holder } = await holdRow(wallet.id);
    const capture = service.captureHold({ holdId: hold.id, amount: '150' });
    await sleep(1200);
    const releasedAt = Date.now();
    release();
    await holder;
    const { transaction, hold: captured } = await capture;
    expect(new Date(transaction.createdAt).getTime()).toBeGreaterThanOrEqual(releasedAt);
    expect(new Date(captured.updatedAt).getTime()).toBeGreaterThanOrEqual(releasedAt);
  });

  /** A writer in flight holds the outbox lock shared (its COMMIT is slow); a feed reader queues for it exclusively. */
  async function slowCommitAndReader() {
    let release: () => void = () => undefined;
    let locked: () => void = () => undefined;
    const isLocked = new Promise<void>((r) => (locked = r));
    const released = new Promise<void>((r) => (release = r));
    const writer = store.driver.transaction(async (s) => {
      await s.query('SELECT pg_advisory_xact_lock_shared($1)', [OUTBOX_ORDER_LOCK]);
      locked();
      await released;
    });
    await isLocked;
    const reader = store.listEvents('0', 1);
    await sleep(100);
    return {
      release: async () => {
        release();
        await writer;
        await reader;
      },
    };
  }

  it('dates changes that waited behind a feed reader and a slow commit after the wait, and a balance read meanwhile stays true', async () => {
    const wallet = await service.createWallet({ userId: 'waiting-outbox' });
    await service.deposit({ walletId: wallet.id, amount: '1000' });
    await service.earnPoints({ userId: 'waiting-outbox', points: 10, source: 'first' });
    const slow = await slowCommitAndReader();
    const deposit = service.deposit({ walletId: wallet.id, amount: '1' });
    const earn = service.earnPoints({ userId: 'waiting-outbox', points: 5, source: 'second' });
    const opened = service.createWallet({ userId: 'waiting-outbox', currency: 'USD' });
    await sleep(1500);
    const readAt = new Date();
    await sleep(5);
    const before = await service.getBalanceAt({ walletId: wallet.id, at: readAt });
    const releasedAt = Date.now();
    await slow.release();
    const { transaction } = await deposit;
    expect(new Date(transaction.createdAt).getTime()).toBeGreaterThanOrEqual(releasedAt);
    expect(new Date((await earn).transaction.createdAt).getTime()).toBeGreaterThanOrEqual(releasedAt);
    expect(new Date((await opened).createdAt).getTime()).toBeGreaterThanOrEqual(releasedAt);
    // Read before the release, read again after: the past did not change (1000, not 1001).
    expect(before.balance).toBe('1000');
    expect((await service.getBalanceAt({ walletId: wallet.id, at: readAt })).balance).toBe('1000');
    expect((await service.getWallet({ walletId: wallet.id })).balance).toBe('1001');
  });

  it('never holds the outbox lock while it waits for a row: a feed read is not held up by a command queued on a busy wallet', async () => {
    const wallet = await service.createWallet({ userId: 'busy-row' });
    await service.deposit({ walletId: wallet.id, amount: '10' });
    const { release, holder } = await holdRow(wallet.id);
    const deposit = service.deposit({ walletId: wallet.id, amount: '1' });
    await sleep(300);
    // The deposit's batch is waiting for the row: a reader of the feed gets its page at once.
    const read = await Promise.race([store.listEvents('0', 1).then(() => 'read'), sleep(3000).then(() => 'held up')]);
    expect(read).toBe('read');
    release();
    await holder;
    expect((await deposit).wallet.balance).toBe('11');
  });
});
