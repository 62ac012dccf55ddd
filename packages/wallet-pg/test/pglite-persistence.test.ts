import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WalletService } from '@goodgo/wallet-core';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate } from '../src/migrate.js';
import { createPgliteStore } from '../src/pglite/index.js';

describe('PGlite persisted to a directory', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('keeps balances, history and idempotency keys across a restart, and migrates once', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'wallet-pglite-'));
    dirs.push(dataDir);
    const first = await createPgliteStore({ dataDir });
    const a = new WalletService({ store: first });
    const wallet = await a.createWallet({ userId: 'persist' });
    await a.deposit({ walletId: wallet.id, amount: '70000' }, { idempotencyKey: 'slip-9' });
    await a.earnPoints({ userId: 'persist', points: 7, source: 'order:1' });
    await first.close();

    const second = await createPgliteStore({ dataDir });
    const b = new WalletService({ store: second });
    expect((await b.getWallet({ walletId: wallet.id })).balance).toBe('70000');
    expect((await b.getPointAccount({ userId: 'persist' })).availablePoints).toBe(7);
    await b.deposit({ walletId: wallet.id, amount: '70000' }, { idempotencyKey: 'slip-9' });
    expect((await b.listTransactions({ walletId: wallet.id })).items).toHaveLength(1);
    expect((await migrate(second.driver)).applied).toEqual([]);
    await second.close();
  });
});
