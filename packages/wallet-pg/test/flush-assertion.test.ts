import { Money, Wallet, WalletService, randomIds } from '@goodgo/wallet-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgliteStore } from '../src/pglite/index.js';
import type { SqlWalletStore } from '../src/sql-store.js';

describe('the write-everything statement guards itself', () => {
  let store: SqlWalletStore;
  let service: WalletService;
  beforeAll(async () => {
    store = await createPgliteStore();
    service = new WalletService({ store });
  });
  afterAll(() => store.close());

  it('fails the whole unit, ledger row and event included, when a row is not at the version it was loaded at', async () => {
    const created = await service.createWallet({ userId: 'stale' });
    await service.deposit({ walletId: created.id, amount: '100' });
    const eventsBefore = (await store.listEvents()).length;
    const failure = store.transaction(
      async (uow) => {
        const locked = (await uow.lockWallets([created.id])).get(created.id) as Wallet;
        // An aggregate that claims an older version than the row has: what a broken lock would produce.
        const stale = Wallet.restore({ ...locked.snapshot, version: locked.version - 1 });
        stale.withdraw({ now: new Date(), newId: randomIds }, Money.parse('100', 'VND'));
        uow.save(stale.pullChanges());
      },
      { wallets: [created.id], pointAccounts: [], idempotency: null },
    );
    await expect(failure).rejects.toMatchObject({ code: 'INTERNAL_ERROR' });
    expect((await service.getWallet({ walletId: created.id })).balance).toBe('100');
    expect((await service.listTransactions({ walletId: created.id })).items).toHaveLength(1);
    expect((await store.listEvents()).length).toBe(eventsBefore);
  });
});
