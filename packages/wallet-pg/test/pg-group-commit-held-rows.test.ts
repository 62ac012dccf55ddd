import { WalletService, wasReplayed, type WalletView } from '@goodgo/wallet-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodePostgresStore } from '../src/node-postgres/index.js';
import type { SqlWalletStore } from '../src/sql-store.js';
import { holdWalletRow } from './support/held-row.js';
import { adminUrl, freshDatabase } from './support/postgres.js';

const codeOf = (e: unknown) => (e as { code?: string }).code;
const settle = <T>(p: Promise<T>) =>
  p.then(
    () => 'ok',
    (e: unknown) => codeOf(e) ?? String(e),
  );

/**
 * A wallet row held by another connection (a long admin transaction) holds up only the commands of
 * a batch that want it, and those queued behind them on their other rows: the rest of the batch
 * commits without waiting for it.
 */
describe.runIf(adminUrl)('group commit beside a row held elsewhere (PostgreSQL)', () => {
  let patient: SqlWalletStore;
  let hasty: SqlWalletStore;
  let holderStore: SqlWalletStore;
  let a: WalletService;
  let h: WalletService;
  let drop: () => Promise<void>;
  let users = 0;
  const marks = new Map<string, number>();
  const count = (name: string): void => {
    marks.set(name, (marks.get(name) ?? 0) + 1);
  };
  beforeAll(async () => {
    const db = await freshDatabase('gc_held_rows');
    drop = db.drop;
    // A lock timeout far longer than the test: a batch that waited for the held row would not be answered before the release.
    patient = await createNodePostgresStore({ connectionString: db.url, max: 4, lockTimeoutMs: 120_000, statementTimeoutMs: 120_000, onStatement: count });
    hasty = await createNodePostgresStore({ connectionString: db.url, max: 4, lockTimeoutMs: 300, migrate: false, onStatement: count });
    holderStore = await createNodePostgresStore({ connectionString: db.url, max: 2, migrate: false });
    a = new WalletService({ store: patient });
    h = new WalletService({ store: hasty });
  });
  afterAll(async () => {
    await patient.close();
    await hasty.close();
    await holderStore.close();
    await drop();
  });

  async function walletWith(balance: string): Promise<WalletView> {
    const w = await a.createWallet({ userId: `gch-${++users}` });
    if (balance !== '0') await a.deposit({ walletId: w.id, amount: balance });
    return w;
  }

  const hold = (walletId: string) => holdWalletRow(holderStore.driver, walletId);

  /** A held wallet with 50, a free one with 100, two empty ones, and the executor's marks cleared. */
  async function scene() {
    const stuck = await walletWith('50');
    const x = await walletWith('100');
    const y = await walletWith('0');
    const other = await walletWith('0');
    marks.clear();
    return { stuck, x, y, other, release: await hold(stuck.id) };
  }

  const balanceOf = async (w: WalletView) => (await a.getWallet({ walletId: w.id })).balance;
  const rowsOf = async (w: WalletView) => (await a.listTransactions({ walletId: w.id, limit: 100 })).items.length;

  it('answers the free commands of a batch while the row is still held; the held ones wait and succeed after release, in arrival order', async () => {
    const { stuck, x, y, other, release } = await scene();
    // The first leaves alone; the five after it queue as one batch behind it.
    const first = settle(a.deposit({ walletId: other.id, amount: '1' }));
    const heldSettled: string[] = [];
    const track = (name: string, p: Promise<string>) => p.then((r) => (heldSettled.push(name), r));
    const stuckWithdraw = track('withdraw', settle(a.withdraw({ walletId: stuck.id, amount: '10' }, { idempotencyKey: 'gch-stuck' })));
    const free1 = settle(a.transfer({ fromWalletId: x.id, toWalletId: y.id, amount: '30' }));
    const free2 = settle(a.deposit({ walletId: y.id, amount: '8' }, { idempotencyKey: 'gch-y' }));
    // Wants the held row: set aside, and so is the deposit to x after it (x's commands keep their order).
    const intoStuck = track('transfer', settle(a.transfer({ fromWalletId: x.id, toWalletId: stuck.id, amount: '5' })));
    const afterOnX = track('deposit', settle(a.deposit({ walletId: x.id, amount: '1' })));
    expect(await first).toBe('ok');
    expect([await free1, await free2]).toEqual(['ok', 'ok']);
    // Answered while the row is still held: none of the held ones is, and nothing of theirs is written.
    expect(heldSettled).toEqual([]);
    expect(await balanceOf(y)).toBe('38');
    expect(await balanceOf(x)).toBe('70');
    expect(await balanceOf(stuck)).toBe('50');
    expect(await rowsOf(stuck)).toBe(1);
    expect(marks.get('set_aside')).toBe(1);
    await release();
    expect(await Promise.all([stuckWithdraw, intoStuck, afterOnX])).toEqual(['ok', 'ok', 'ok']);
    expect(marks.get('batch_fallback')).toBeUndefined();
    expect(await balanceOf(stuck)).toBe('45');
    expect(await balanceOf(x)).toBe('66');
    expect(await rowsOf(stuck)).toBe(3);
    // The set-aside command's key was claimed once, by the run that committed: a retry replays it.
    const retried = await a.withdraw({ walletId: stuck.id, amount: '10' }, { idempotencyKey: 'gch-stuck' });
    expect(wasReplayed(retried)).toBe(true);
    expect((await a.reconcile()).problems).toEqual([]);
  });

  it('fails the held ones with SERVICE_UNAVAILABLE and nothing changed when the row stays held past the lock timeout; the others commit', async () => {
    const { stuck, x, y, other, release } = await scene();
    const first = settle(h.deposit({ walletId: other.id, amount: '1' }));
    const burst = [
      settle(h.withdraw({ walletId: stuck.id, amount: '10' }, { idempotencyKey: 'gch-late' })),
      settle(h.transfer({ fromWalletId: x.id, toWalletId: y.id, amount: '30' })),
      settle(h.transfer({ fromWalletId: x.id, toWalletId: stuck.id, amount: '5' })),
      settle(h.deposit({ walletId: y.id, amount: '8' })),
    ];
    expect(await first).toBe('ok');
    const outcomes = await Promise.all(burst);
    await release();
    expect(outcomes).toEqual(['SERVICE_UNAVAILABLE', 'ok', 'SERVICE_UNAVAILABLE', 'ok']);
    expect(marks.get('set_aside')).toBe(1);
    expect(await balanceOf(stuck)).toBe('50');
    expect(await rowsOf(stuck)).toBe(1);
    expect(await balanceOf(x)).toBe('70');
    expect(await rowsOf(x)).toBe(2);
    expect(await balanceOf(y)).toBe('38');
    // The failed command's key was not kept: its retry executes.
    const retried = await h.withdraw({ walletId: stuck.id, amount: '10' }, { idempotencyKey: 'gch-late' });
    expect(wasReplayed(retried)).toBe(false);
    expect(retried.wallet.balance).toBe('40');
    expect((await a.reconcile()).problems).toEqual([]);
  });
});
