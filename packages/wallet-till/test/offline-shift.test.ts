import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, startWalletService, type WalletServiceUnderTest } from './support/wallet-service.js';
import { TcpProxy, TillUnderTest, codeOf } from './support/till-harness.js';

const allowanceRows = (rows: Awaited<ReturnType<WalletServiceUnderTest['ledger']>>, allowanceId: string) =>
  rows.filter((r) => r.allowanceId === allowanceId).map((r) => ({ type: r.type, seq: r.allowanceSeq, amount: r.amount }));

describe.each(BACKENDS)('a till offline against the service on %s', (backend) => {
  let service: WalletServiceUnderTest;
  let proxy: TcpProxy;
  let n = 0;
  const user = (name: string) => `${name}-${backend}-${++n}`;
  beforeAll(async () => {
    service = await startWalletService(backend);
    proxy = await TcpProxy.start({ port: service.port });
  });
  afterAll(async () => {
    await proxy?.close();
    await service?.close();
  });

  it('sells to the last dong through a restart, keeps the reserve from the online customer, books every sale once in order, and settles the rest', async () => {
    proxy.restore();
    const customer = await service.customer(user('lan'), '1000000');
    const t = await TillUnderTest.open(service, proxy);
    const walletId = customer.walletId;
    const allowance = await t.till.provision({ walletId, amount: '700000' });
    expect(allowance).toMatchObject({ walletId, tillId: 'till-1', amount: '700000', spentAmount: '0', lastSeq: 0, status: 'active' });
    expect(await service.wallet(walletId)).toMatchObject({ balance: '1000000', heldAmount: '700000', availableBalance: '300000' });

    proxy.cut();
    expect(await t.till.spend({ walletId, amount: '250000', reference: 'o-1' })).toMatchObject({ seq: 1, remaining: '450000', forwarded: false });
    await t.till.spend({ walletId, amount: '150000', reference: 'o-2' });
    const restarted = await t.restart();
    expect(restarted.status({ walletId })).toMatchObject({ remaining: '300000', unsentSpends: 2 });
    expect(await restarted.spend({ walletId, amount: '200000', reference: 'o-3' })).toMatchObject({ seq: 3, remaining: '100000' });
    expect(await codeOf(restarted.spend({ walletId, amount: '100001' }))).toBe('ALLOWANCE_EXCEEDED');

    // Meanwhile the customer pays online: the reserve is not theirs to spend.
    expect((await service.call('POST', '/api/v1/wallets/withdraw', customer.token, { walletId, amount: '300000' })).status).toBe(200);
    const over = await service.call('POST', '/api/v1/wallets/withdraw', customer.token, { walletId, amount: '1' });
    expect([over.status, over.body.code]).toEqual([422, 'INSUFFICIENT_FUNDS']);
    expect(await service.wallet(walletId)).toMatchObject({ balance: '700000', heldAmount: '700000', availableBalance: '0' });

    proxy.restore();
    const [a, b] = await Promise.all([restarted.sync(), restarted.sync()]);
    expect(a.booked + b.booked).toBe(3);
    expect(a.replayed + b.replayed).toBe(0);
    expect(await restarted.sync()).toMatchObject({ booked: 0, replayed: 0, pending: 0, online: true, problems: [] });
    expect(allowanceRows(await service.ledger(walletId), allowance.id)).toEqual([
      { type: 'withdrawal', seq: 1, amount: '250000' },
      { type: 'withdrawal', seq: 2, amount: '150000' },
      { type: 'withdrawal', seq: 3, amount: '200000' },
    ]);
    expect(await service.wallet(walletId)).toMatchObject({ balance: '100000', heldAmount: '100000', availableBalance: '0' });

    const settled = await restarted.settle({ walletId });
    expect(settled).toMatchObject({ status: 'settled', spentAmount: '600000', lastSeq: 3 });
    expect(await service.wallet(walletId)).toMatchObject({ balance: '100000', heldAmount: '0', availableBalance: '100000' });
    expect(restarted.status({ walletId }).allowance).toBeNull();
    await t.close();
  });

  it('books each sale once when the connection is cut before the request or after the service committed', async () => {
    proxy.restore();
    const customer = await service.customer(user('minh'), '500000');
    const walletId = customer.walletId;
    const t = await TillUnderTest.open(service, proxy);
    const allowance = await t.till.provision({ walletId, amount: '100000' });
    proxy.cut();
    for (const amount of ['10000', '20000', '30000']) await t.till.spend({ walletId, amount });

    expect(await t.till.sync()).toMatchObject({ booked: 0, pending: 3, online: false });
    expect(allowanceRows(await service.ledger(walletId), allowance.id)).toEqual([]);

    proxy.dropAnswers();
    expect(await t.till.sync()).toMatchObject({ booked: 0, pending: 3, online: false });
    expect(allowanceRows(await service.ledger(walletId), allowance.id)).toHaveLength(3); // committed, unanswered
    expect(t.till.status({ walletId }).unsentSpends).toBe(3);

    await t.restart(); // and a crash before the till heard anything: all still unsent
    proxy.restore();
    expect(await t.till.sync()).toMatchObject({ booked: 0, replayed: 3, pending: 0, online: true });
    expect(allowanceRows(await service.ledger(walletId), allowance.id).map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(await service.wallet(walletId)).toMatchObject({ balance: '440000', heldAmount: '40000' });
    await t.close();
  });

  it("forwards each sale's metadata (or leaves the allowance's), the same on a replay after a lost answer, and an earn's", async () => {
    proxy.restore();
    const userId = user('thu');
    const customer = await service.customer(userId, '500000');
    const walletId = customer.walletId;
    const t = await TillUnderTest.open(service, proxy);
    const allowance = await t.till.provision({ walletId, amount: '100000', metadata: { store: 'S12', till: '1' } });
    expect(allowance).toMatchObject({ metadata: { store: 'S12', till: '1' } });
    proxy.cut();
    await t.till.spend({ walletId, amount: '10000', metadata: { order: 'A-1', cashier: 'c-7' } });
    await t.till.spend({ walletId, amount: '20000' });
    await t.till.earnPoints({ userId: userId, points: 30, source: 'order:A-1', metadata: { order: 'A-1' } });
    expect(await codeOf(t.till.spend({ walletId, amount: '1', metadata: { 'bad key': 'x' } }))).toBe('VALIDATION_ERROR');
    const restarted = await t.restart();
    proxy.dropAnswers();
    await restarted.sync(); // committed at the service, the answer lost
    proxy.restore();
    expect(await restarted.sync()).toMatchObject({ pending: 0, online: true, problems: [] });
    const rows = (await service.ledger(walletId)).filter((r) => r.allowanceId === allowance.id);
    expect(rows.map((r) => [r.allowanceSeq, r.metadata])).toEqual([
      [1, { cashier: 'c-7', order: 'A-1' }],
      [2, { store: 'S12', till: '1' }],
    ]);
    const points = await service.call('GET', `/api/v1/wallets/points/transactions?userId=${userId}`, service.adminToken);
    expect(points.body.items.map((r: { points: number; metadata: unknown }) => [r.points, r.metadata])).toEqual([[30, { order: 'A-1' }]]);
    await restarted.settle({ walletId });
    await t.close();
  });

  it('does not stall a sale on a network that swallows packets, and forwards it once the network is back', async () => {
    proxy.restore();
    const customer = await service.customer(user('hoa'), '500000');
    const walletId = customer.walletId;
    const t = await TillUnderTest.open(service, proxy, { forwardTimeoutMs: 400 });
    await t.till.provision({ walletId, amount: '100000' });
    expect((await t.till.spend({ walletId, amount: '1000' })).forwarded).toBe(true);

    proxy.blackhole();
    const started = performance.now();
    expect((await t.till.spend({ walletId, amount: '2000' })).forwarded).toBe(false);
    expect(performance.now() - started).toBeLessThan(1_500);
    const next = performance.now();
    await t.till.spend({ walletId, amount: '3000' }); // known offline now: no wait at all
    expect(performance.now() - next).toBeLessThan(300);

    proxy.restore();
    expect(await t.till.sync()).toMatchObject({ pending: 0, online: true });
    expect(await service.wallet(walletId)).toMatchObject({ balance: '494000', heldAmount: '94000' });
    await t.close();
  });

  it('forwards points earned offline once, with a key derived from the till and the earn', async () => {
    proxy.restore();
    const userId = user('quan');
    const t = await TillUnderTest.open(service, proxy);
    proxy.cut();
    const earned = await t.till.earnPoints({ userId, points: 12, source: 'order:o-9' });
    expect(earned.forwarded).toBe(false);
    proxy.dropAnswers();
    expect(await t.till.sync()).toMatchObject({ earned: 0, pending: 1, online: false });
    proxy.restore();
    expect(await t.till.sync()).toMatchObject({ earned: 1, pending: 0 });
    const points = await service.call('GET', `/api/v1/wallets/points?userId=${userId}`, service.serviceToken);
    expect(points.body).toMatchObject({ availablePoints: 12, totalPoints: 12 });
    await t.close();
  });

  it('books each sale once when two tills race to forward the same sales (a copy of its database)', async () => {
    proxy.restore();
    const customer = await service.customer(user('tuan'), '500000');
    const walletId = customer.walletId;
    const t = await TillUnderTest.open(service, proxy);
    const allowance = await t.till.provision({ walletId, amount: '200000' });
    proxy.cut();
    for (let i = 1; i <= 5; i++) await t.till.spend({ walletId, amount: String(i * 1000), reference: `r-${i}` });
    const twin = await t.copy();
    proxy.restore();
    const [a, b] = await Promise.all([t.till.sync(), twin.till.sync()]);
    expect(a.booked + b.booked).toBe(5);
    expect(a.replayed + b.replayed).toBe(5);
    expect(allowanceRows(await service.ledger(walletId), allowance.id).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(await service.wallet(walletId)).toMatchObject({ balance: '485000', heldAmount: '185000' });
    await twin.close();
    await t.close();
  });

  it('reports ALLOWANCE_SEQ_CONFLICT for a till restored from an old copy of its database, and books nothing wrong', async () => {
    proxy.restore();
    const customer = await service.customer(user('vy'), '500000');
    const walletId = customer.walletId;
    const t = await TillUnderTest.open(service, proxy);
    const allowance = await t.till.provision({ walletId, amount: '100000' });
    proxy.cut();
    await t.till.spend({ walletId, amount: '10000', reference: 'first' });
    const old = await t.snapshot();
    await t.till.spend({ walletId, amount: '20000', reference: 'second' });
    await t.till.spend({ walletId, amount: '30000', reference: 'third' });
    proxy.restore();
    expect(await t.till.sync()).toMatchObject({ booked: 3, pending: 0 });

    proxy.cut();
    const restored = await t.restoreSnapshot(old);
    expect(restored.status({ walletId })).toMatchObject({ unsentSpends: 1, remaining: '90000' });
    expect(await restored.spend({ walletId, amount: '5000', reference: 'after-restore' })).toMatchObject({ seq: 2 });
    proxy.restore();
    const synced = await restored.sync();
    expect(synced).toMatchObject({ booked: 0, replayed: 0, pending: 2 });
    expect(synced.problems).toEqual([
      expect.objectContaining({ code: 'ALLOWANCE_SEQ_CONFLICT', walletId, allowanceId: allowance.id, seqs: { first: 1, last: 2 } }),
    ]);
    expect(restored.status({ walletId }).problem).toMatchObject({ code: 'ALLOWANCE_SEQ_CONFLICT' });
    expect(await codeOf(restored.spend({ walletId, amount: '1000' }))).toBe('ALLOWANCE_SEQ_CONFLICT');
    expect(await codeOf(restored.settle({ walletId }))).toBe('ALLOWANCE_SEQ_CONFLICT');
    // A later sync sends nothing more for it: stopped, not renumbered.
    expect((await restored.sync()).problems).toEqual([]);

    expect(allowanceRows(await service.ledger(walletId), allowance.id)).toEqual([
      { type: 'withdrawal', seq: 1, amount: '10000' },
      { type: 'withdrawal', seq: 2, amount: '20000' },
      { type: 'withdrawal', seq: 3, amount: '30000' },
    ]);
    expect(await service.wallet(walletId)).toMatchObject({ balance: '440000', heldAmount: '40000' });
    await t.close();
  });

  it('sells nothing more once a settle is on its way, and settles once when its answer was lost', async () => {
    proxy.restore();
    const customer = await service.customer(user('phuc'), '100000');
    const walletId = customer.walletId;
    const t = await TillUnderTest.open(service, proxy);
    await t.till.provision({ walletId, amount: '60000' });
    await t.till.spend({ walletId, amount: '15000' });
    expect(await t.till.sync()).toMatchObject({ pending: 0 });
    proxy.dropAnswers();
    expect(await codeOf(t.till.settle({ walletId }))).toBe('SERVICE_UNAVAILABLE');
    expect(await service.wallet(walletId)).toMatchObject({ balance: '85000', heldAmount: '0' }); // settled, unanswered
    expect(await codeOf(t.till.spend({ walletId, amount: '1000' }))).toBe('NO_ALLOWANCE');
    await t.restart();
    expect(await codeOf(t.till.spend({ walletId, amount: '1000' }))).toBe('NO_ALLOWANCE');
    proxy.restore();
    expect(await t.till.settle({ walletId })).toMatchObject({ status: 'settled', spentAmount: '15000', lastSeq: 1 });
    expect(t.till.status({ walletId }).allowance).toBeNull();
    expect(await t.till.provision({ walletId, amount: '10000' })).toMatchObject({ status: 'active', lastSeq: 0 });
    await t.close();
  });

  it('sends again, as they were, sales the service answers it is missing (ALLOWANCE_SEQ_GAP)', async () => {
    proxy.restore();
    const customer = await service.customer(user('khoa'), '100000');
    const walletId = customer.walletId;
    const t = await TillUnderTest.open(service, proxy);
    const allowance = await t.till.provision({ walletId, amount: '50000' });
    proxy.cut();
    await t.till.spend({ walletId, amount: '1000' });
    await t.till.spend({ walletId, amount: '2000' });
    await t.till.spend({ walletId, amount: '3000' });
    // The service lost seqs 1 and 2 (its database went back in time) after the till had marked them sent.
    await t.till.close();
    const { PGlite } = await import('@electric-sql/pglite');
    const db = await PGlite.create(t.dir);
    await db.query(`UPDATE spends SET status = 'booked', transaction_id = gen_random_uuid() WHERE seq <= 2`);
    await db.close();
    await t.restart();
    proxy.restore();
    expect(await t.till.sync()).toMatchObject({ booked: 3, pending: 0, problems: [] });
    expect(allowanceRows(await service.ledger(walletId), allowance.id).map((r) => [r.seq, r.amount])).toEqual([
      [1, '1000'],
      [2, '2000'],
      [3, '3000'],
    ]);
    await t.close();
  });

  it('still books the syncs of a wallet frozen after the allowance was opened, and keeps it from closing while active', async () => {
    proxy.restore();
    const customer = await service.customer(user('son'), '50000');
    const walletId = customer.walletId;
    const t = await TillUnderTest.open(service, proxy);
    await t.till.provision({ walletId, amount: '50000' });
    proxy.cut();
    await t.till.spend({ walletId, amount: '50000' });
    const admin = service.adminToken;
    expect((await service.call('POST', `/api/v1/wallets/${walletId}/freeze`, admin, { reason: 'review' })).status).toBe(200);
    proxy.restore();
    expect(await t.till.sync()).toMatchObject({ booked: 1, pending: 0, problems: [] });
    expect(await service.wallet(walletId)).toMatchObject({ balance: '0', heldAmount: '0', status: 'frozen' });
    const close = await service.call('POST', `/api/v1/wallets/${walletId}/close`, admin, {});
    expect([close.status, close.body.code]).toEqual([409, 'WALLET_HAS_HOLDS']);
    const other = await TillUnderTest.open(service, proxy, { tillId: 'till-2' });
    expect(await codeOf(other.till.provision({ walletId, amount: '1' }))).toBe('WALLET_FROZEN');
    await other.close();
    await t.till.settle({ walletId });
    expect((await service.call('POST', `/api/v1/wallets/${walletId}/close`, admin, {})).status).toBe(200);
    await t.close();
  });
});
