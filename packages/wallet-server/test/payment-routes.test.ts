import { beforeAll, describe, expect, it } from 'vitest';
import { harness, uniqueSub, type Harness } from './support/harness.js';

/** POST /pay over HTTP: owner or service, both parts or neither, replayable, the two rows named each other. */
describe('split payment route', () => {
  let h: Harness;
  let service: string;
  beforeAll(async () => {
    h = await harness();
    service = await h.token('pos-backend', 'service');
  });

  it('lets the owner pay with money and points in one call; the rows share the reference and name each other', async () => {
    const u = await h.userWithWallet('100000');
    await h.call('POST', '/api/v1/wallets/points/earn', { token: service, body: { userId: u.sub, points: 300, source: 'order:1' } });
    const body = { walletId: u.walletId, amount: '45000', points: 120, reference: 'ord-501', description: 'table 2' };
    const headers = { 'Idempotency-Key': 'pay-ord-501' };
    const paid = await h.call('POST', '/api/v1/wallets/pay', { token: u.token, headers, body });
    expect(paid.status).toBe(200);
    expect(paid.body.wallet).toMatchObject({ balance: '55000', availableBalance: '55000' });
    expect(paid.body.account).toMatchObject({ userId: u.sub, availablePoints: 180 });
    expect(paid.body.transaction).toMatchObject({
      type: 'withdrawal',
      amount: '45000',
      reference: 'ord-501',
      pairedWith: paid.body.pointTransaction.id,
      actor: { sub: u.sub, role: 'user' },
    });
    expect(paid.body.pointTransaction).toMatchObject({ type: 'spend', points: -120, reference: 'ord-501', pairedWith: paid.body.transaction.id });
    const replay = await h.call('POST', '/api/v1/wallets/pay', { token: u.token, headers, body });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(paid.body);
    const history = await h.call('GET', `/api/v1/wallets/${u.walletId}/transactions?limit=1`, { token: u.token });
    expect(history.body.items).toEqual([paid.body.transaction]);
    const points = await h.call('GET', '/api/v1/wallets/points/transactions?limit=1', { token: u.token });
    expect(points.body.items).toEqual([paid.body.pointTransaction]);
  });

  it('answers a points shortfall with 422 INSUFFICIENT_POINTS and takes no money', async () => {
    const u = await h.userWithWallet('1000');
    await h.call('POST', '/api/v1/wallets/points/earn', { token: service, body: { userId: u.sub, points: 5, source: 'order:2' } });
    const short = await h.call('POST', '/api/v1/wallets/pay', {
      token: service,
      body: { walletId: u.walletId, amount: '500', points: 6, reference: 'ord-502' },
    });
    expect([short.status, short.body.code]).toEqual([422, 'INSUFFICIENT_POINTS']);
    expect((await h.call('GET', `/api/v1/wallets/${u.walletId}`, { token: u.token })).body).toMatchObject({ balance: '1000' });
    expect((await h.call('GET', '/api/v1/wallets/points', { token: u.token })).body).toMatchObject({ availablePoints: 5 });
  });

  it("hides someone else's wallet as 404 and refuses a body without a reference, or with a field it does not know", async () => {
    const u = await h.userWithWallet('1000');
    const stranger = await h.token(uniqueSub());
    const hidden = await h.call('POST', '/api/v1/wallets/pay', { token: stranger, body: { walletId: u.walletId, amount: '1', reference: 'x' } });
    expect([hidden.status, hidden.body.code]).toEqual([404, 'WALLET_NOT_FOUND']);
    for (const body of [
      { walletId: u.walletId, amount: '1' },
      { walletId: u.walletId, amount: 1, reference: 'x' },
      { walletId: u.walletId, amount: '1', reference: 'x', points: '2' },
      { walletId: u.walletId, amount: '1', reference: 'x', userId: 'someone' },
    ]) {
      const refused = await h.call('POST', '/api/v1/wallets/pay', { token: u.token, body });
      expect([refused.status, refused.body.code]).toEqual([400, 'VALIDATION_ERROR']);
    }
    expect((await h.call('GET', `/api/v1/wallets/${u.walletId}`, { token: u.token })).body).toMatchObject({ balance: '1000' });
  });
});
