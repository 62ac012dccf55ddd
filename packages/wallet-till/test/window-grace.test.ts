import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWalletService, type WalletServiceUnderTest } from './support/wallet-service.js';
import { TcpProxy, TillUnderTest, codeOf } from './support/till-harness.js';

const HOUR = 3_600_000;
// A grace long enough for the first case on a loaded machine, and one short enough to wait out.
const LONG_GRACE = '120s';
const GRACE_MS = 3_000;
const sleepUntil = (t: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, t - Date.now())));

/** The till's wall clock an hour behind the truth; its monotonic clock is the real one. */
const wallClockSetBack = { wallNow: () => Date.now() - HOUR, monotonicNow: () => performance.now() };

describe('the window and the grace period against the service', () => {
  let service: WalletServiceUnderTest;
  let proxy: TcpProxy;
  let shortGrace: WalletServiceUnderTest;
  let shortProxy: TcpProxy;
  beforeAll(async () => {
    service = await startWalletService('PGlite', { WALLET_ALLOWANCE_SYNC_GRACE: LONG_GRACE });
    proxy = await TcpProxy.start({ port: service.port });
    shortGrace = await startWalletService('PGlite', { WALLET_ALLOWANCE_SYNC_GRACE: `${GRACE_MS}ms` });
    shortProxy = await TcpProxy.start({ port: shortGrace.port });
  });
  afterAll(async () => {
    await proxy?.close();
    await service?.close();
    await shortProxy?.close();
    await shortGrace?.close();
  });

  it('refuses past spendUntil whatever the wall clock says, and books a sale made in the window and forwarded in the grace', async () => {
    proxy.restore();
    const { walletId } = await service.customer('win-1', '100000');
    const t = await TillUnderTest.open(service, proxy, { clocks: wallClockSetBack });
    const spendUntil = new Date(Date.now() + 5_000);
    const allowance = await t.till.provision({ walletId, amount: '50000', spendUntil });
    proxy.cut();
    await t.till.spend({ walletId, amount: '10000', reference: 'in-window' });
    await sleepUntil(spendUntil.getTime() + 200);
    expect(await codeOf(t.till.spend({ walletId, amount: '1000' }))).toBe('ALLOWANCE_EXPIRED');
    await t.restart();
    expect(await codeOf(t.till.spend({ walletId, amount: '1000' }))).toBe('ALLOWANCE_EXPIRED');
    expect(t.till.status({ walletId }).selling).toBe(false);

    proxy.restore(); // within the grace period
    expect(await t.till.sync()).toMatchObject({ booked: 1, pending: 0, problems: [] });
    const row = (await service.ledger(walletId)).find((r) => r.allowanceId === allowance.id);
    expect(row).toMatchObject({ allowanceSeq: 1, amount: '10000', reference: 'in-window' });
    // Business time is the till's clock, set back as it was.
    expect(Date.parse(row!.occurredAt)).toBeLessThan(Date.parse(allowance.createdAt) - HOUR + 60_000);
    expect(await t.till.settle({ walletId })).toMatchObject({ status: 'settled', spentAmount: '10000' });
    expect(await service.wallet(walletId)).toMatchObject({ balance: '90000', heldAmount: '0' });
    await t.close();
  });

  it('after settleBy the rest is released, a late sync is refused and reported, and nothing is booked', async () => {
    shortProxy.restore();
    const { walletId } = await shortGrace.customer('win-2', '100000');
    const t = await TillUnderTest.open(shortGrace, shortProxy);
    const spendUntil = new Date(Date.now() + 4_000);
    const allowance = await t.till.provision({ walletId, amount: '50000', spendUntil });
    expect(Date.parse(allowance.settleBy) - Date.parse(allowance.spendUntil)).toBe(GRACE_MS);
    shortProxy.cut();
    await t.till.spend({ walletId, amount: '10000' });
    await sleepUntil(Date.parse(allowance.settleBy) + 200);
    expect(await shortGrace.wallet(walletId)).toMatchObject({ balance: '100000', heldAmount: '0', availableBalance: '100000' });

    shortProxy.restore();
    const late = await t.till.sync();
    expect(late).toMatchObject({ booked: 0, pending: 1 });
    expect(late.problems).toEqual([expect.objectContaining({ code: 'ALLOWANCE_NOT_ACTIVE', allowanceId: allowance.id })]);
    expect(t.till.status({ walletId }).allowance).toBeNull();
    expect((await shortGrace.ledger(walletId)).filter((r) => r.allowanceId === allowance.id)).toEqual([]);
    expect(await shortGrace.wallet(walletId)).toMatchObject({ balance: '100000', heldAmount: '0' });
    await t.close();
  });
});
