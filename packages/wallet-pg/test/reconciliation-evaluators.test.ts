import { LedgerKeyring, MemoryWalletStore, WalletService, type LedgerCheckpoint, type WalletStore } from '@goodgo/wallet-core';
import { describe, expect, it } from 'vitest';
import { createPgliteStore } from '../src/pglite/index.js';

const KEYS = LedgerKeyring.parse('eval:the-evaluators-test-ledger-key');

/** The same commands, with the same clock and ids, on any store. */
async function books(store: WalletStore) {
  let clock = Date.parse('2026-11-25T06:00:00.000Z');
  let id = 0;
  const service = new WalletService({
    store,
    clock: () => new Date((clock += 1000)),
    ids: () => `0199b5a0-0000-4000-8000-${(++id).toString(16).padStart(12, '0')}`,
  });
  const a = await service.createWallet({ userId: 'eval-a', currency: 'USD' });
  const b = await service.createWallet({ userId: 'eval-b', currency: 'USD' });
  await service.deposit({ walletId: a.id, amount: '100.50', description: 'Tiếng Việt "quoted"' }, { actor: { sub: 'pos', role: 'service' } });
  const paid = await service.transfer({ fromWalletId: a.id, toWalletId: b.id, amount: '20.25' });
  await service.refund({ transactionId: paid.transaction.id, amount: '5.00' });
  const hold = await service.placeHold({ walletId: a.id, amount: '10.00' });
  await service.captureHold({ holdId: hold.id, amount: '4.10', toWalletId: b.id });
  await service.earnPoints({ userId: 'eval-a', points: 50, source: 'order:1' });
  await service.spendPoints({ userId: 'eval-a', points: 20, source: 'order:2' });
  const report = await service.reconcile({ checkpoint: true });
  const events = (await service.listEvents({ limit: 200 })).items.filter((e) => e.event.type === 'LedgerCheckpointed');
  return { report, checkpoint: events.map((e) => e.event.payload as LedgerCheckpoint) };
}

describe('the two evaluators of the core list of checks (memory and SQL)', () => {
  it('report the same books alike and checkpoint the same heads with the same hashes', async () => {
    const memory = await books(new MemoryWalletStore({ ledgerKeys: KEYS }));
    const pglite = await createPgliteStore({ ledgerKeys: KEYS });
    try {
      const sql = await books(pglite);
      expect(sql.report).toEqual(memory.report);
      expect(memory.report).toMatchObject({ ok: true, wallets: 2, pointAccounts: 1, ledgerRows: 9 });
      // The writers chained the same rows to the same hashes: the key and the canonical bytes are one.
      const heads = (c: { checkpoint: LedgerCheckpoint[] }) => c.checkpoint.flatMap((p) => p.heads).sort((x, y) => (x.walletId < y.walletId ? -1 : 1));
      expect(heads(sql)).toEqual(heads(memory));
      expect(heads(memory)).toHaveLength(2);
    } finally {
      await pglite.close();
    }
  });
});
