import { describe, expect, it } from 'vitest';
import { MemoryWalletStore, WalletService, schemas } from '../src/index.js';

/** What the facade returns is exactly what the documented resource schemas describe: no field more or less. */
describe('facade results match the resource schemas the OpenAPI document is made from', () => {
  it('for wallets, movements, transfers, pages, summaries and points', async () => {
    const s = new WalletService({ store: new MemoryWalletStore() });
    const a = await s.createWallet({ userId: 'a' });
    const b = await s.createWallet({ userId: 'b' });
    const strict = <T>(schema: { parse(v: unknown): T }, value: unknown) => expect(schema.parse(value)).toEqual(value);
    strict(schemas.walletResource.strict(), a);
    strict(schemas.movementResult.strict(), await s.deposit({ walletId: a.id, amount: '100' }));
    strict(schemas.transferResult.strict(), await s.transfer({ fromWalletId: a.id, toWalletId: b.id, amount: '40' }));
    strict(schemas.walletTransactionPage.strict(), await s.listTransactions({ walletId: a.id }));
    strict(schemas.walletList.strict(), { items: await s.listWallets({ userId: 'a' }) });
    const earned = await s.earnPoints({ userId: 'a', points: 5, source: 'o', expiresAt: '2099-01-01T00:00:00Z' });
    strict(schemas.pointsResult.strict(), earned);
    strict(schemas.pointTransactionPage.strict(), await s.listPointTransactions({ userId: 'a' }));
    strict(schemas.balanceSummary.strict(), await s.getBalanceSummary({ userId: 'a' }));
    strict(schemas.expireResult.strict(), await s.expirePoints());
  });
});
