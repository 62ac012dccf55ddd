import { WalletService, type WalletView } from '@goodgo/wallet-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodePostgresStore } from '../src/node-postgres/index.js';
import type { SqlWalletStore } from '../src/sql-store.js';
import { holdWalletRow } from './support/held-row.js';
import { adminUrl, freshDatabase } from './support/postgres.js';

const refusal = (e: unknown) => {
  const { code, figures } = e as { code?: string; figures?: unknown };
  return code === undefined ? String(e) : { code, figures };
};
const settle = <T>(p: Promise<T>) =>
  p.then(
    (v) => ({ ok: v }),
    (e: unknown) => ({ error: refusal(e) }),
  );

/**
 * A unit set aside behind a row held elsewhere runs again later: that run reads its clock anew,
 * after its own locks. The batch that set it aside read the unit's clock too (a locked wallet had
 * holds); had the rerun kept that instant, it would capture a hold expired meanwhile and stamp its
 * ledger row with a time before it was written.
 */
describe.runIf(adminUrl)('a rerun reads the clock again (PostgreSQL)', () => {
  let store: SqlWalletStore;
  let holderStore: SqlWalletStore;
  let a: WalletService;
  let drop: () => Promise<void>;
  /** The service's clock: real time moved on by `skew`, so the test moves it past an expiry at once. */
  let skew = 0;
  const clock = () => new Date(Date.now() + skew);
  const marks = new Map<string, number>();
  beforeAll(async () => {
    const db = await freshDatabase('rerun_clock');
    drop = db.drop;
    // One batch in flight: the commands behind the first queue as one batch, which sets the held ones aside.
    store = await createNodePostgresStore({
      connectionString: db.url,
      max: 4,
      lockTimeoutMs: 120_000,
      statementTimeoutMs: 120_000,
      maxBatchesInFlight: 1,
      onStatement: (name) => {
        marks.set(name, (marks.get(name) ?? 0) + 1);
      },
    });
    holderStore = await createNodePostgresStore({ connectionString: db.url, max: 2, migrate: false });
    a = new WalletService({ store, clock });
  });
  afterAll(async () => {
    await store.close();
    await holderStore.close();
    await drop();
  });

  const holdRow = (walletId: string) => holdWalletRow(holderStore.driver, walletId);

  async function walletWith(userId: string, balance: string): Promise<WalletView> {
    const w = await a.createWallet({ userId });
    await a.deposit({ walletId: w.id, amount: balance });
    return w;
  }

  it('refuses a capture whose hold expired while it was set aside, and stamps a set-aside deposit with the time it ran', async () => {
    const held = await walletWith('rc-held', '1000');
    const free = await walletWith('rc-free', '1000');
    // The free wallet has a hold too: the batch reads every unit's clock to leave out expired holds.
    await a.placeHold({ walletId: free.id, amount: '10' });
    const hold = await a.placeHold({ walletId: held.id, amount: '500', expiresAt: new Date(clock().getTime() + 30_000) });
    const release = await holdRow(held.id);
    marks.clear();
    // The first leaves alone; the rest queue behind it as one batch, which sets the held wallet's two aside.
    const first = a.deposit({ walletId: free.id, amount: '1' });
    const capture = settle(a.captureHold({ holdId: hold.id }));
    const deposit = settle(a.deposit({ walletId: held.id, amount: '7' }));
    const others = [a.deposit({ walletId: free.id, amount: '1' }), a.deposit({ walletId: free.id, amount: '1' })];
    await first;
    await Promise.all(others);
    expect(marks.get('set_aside')).toBe(1);
    // The hold expires while its capture waits for the row.
    skew += 60_000;
    const movedOn = clock();
    await release();
    expect(await capture).toEqual({ error: { code: 'HOLD_NOT_ACTIVE', figures: { holdStatus: 'expired' } } });
    const deposited = await deposit;
    if (!('ok' in deposited)) throw new Error(`deposit failed: ${JSON.stringify(deposited.error)}`);
    // Stamped in its own run, not with the instant of the batch that set it aside.
    expect(Date.parse(deposited.ok.transaction.createdAt)).toBeGreaterThanOrEqual(movedOn.getTime());
    const wallet = await a.getWallet({ walletId: held.id });
    expect(wallet.balance).toBe('1007');
    const rows = (await a.listTransactions({ walletId: held.id, limit: 100 })).items;
    expect(rows.map((r) => r.type).sort()).toEqual(['deposit', 'deposit']);
    expect((await a.reconcile()).problems).toEqual([]);
  });
});
