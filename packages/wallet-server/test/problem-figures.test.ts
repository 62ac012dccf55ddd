import { beforeAll, describe, expect, it } from 'vitest';
import { harness, type Harness, type Reply } from './support/harness.js';

/**
 * The figures a till acts on (API.md, "Problem bodies carry the figures"), over HTTP, on every
 * route that can answer each code: the fields sit next to `detail`, amounts as decimal strings with
 * the currency's digits, points as integers, and the refusal changed nothing.
 */
describe('figures in problem bodies, route by route', () => {
  let h: Harness;
  let service: string;
  let admin: string;
  const clock = { now: new Date('2031-05-01T08:00:00Z') };
  beforeAll(async () => {
    h = await harness({ clock: () => clock.now });
    service = await h.token('till-backend', 'service');
    admin = await h.token('back-office', 'admin');
  });

  const post = (path: string, token: string, body: unknown) => h.call('POST', `/api/v1/wallets${path}`, { token, body });
  function expectFigures(res: Reply, status: number, code: string, figures: Record<string, string | number>): void {
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ code, detail: expect.any(String), ...figures });
    // Nothing but the problem's own fields and the figures.
    expect(Object.keys(res.body).sort()).toEqual(['code', 'detail', 'instance', 'requestId', 'status', 'title', 'type', ...Object.keys(figures)].sort());
  }

  it('INSUFFICIENT_FUNDS {available, requested} from every route that pays out or reserves', async () => {
    const u = await h.userWithWallet('10.00', 'USD');
    const other = await h.userWithWallet('0', 'USD');
    const hold = await post('/holds', u.token, { walletId: u.walletId, amount: '4.00' });
    const short = { available: '6.00', requested: '6.01' };
    expectFigures(await post('/withdraw', u.token, { walletId: u.walletId, amount: '6.01' }), 422, 'INSUFFICIENT_FUNDS', short);
    expectFigures(await post('/transfer', u.token, { fromWalletId: u.walletId, toWalletId: other.walletId, amount: '6.01' }), 422, 'INSUFFICIENT_FUNDS', short);
    expectFigures(await post('/holds', u.token, { walletId: u.walletId, amount: '6.01' }), 422, 'INSUFFICIENT_FUNDS', short);
    expectFigures(await post(`/holds/${hold.body.id}/increment`, u.token, { amount: '6.01' }), 422, 'INSUFFICIENT_FUNDS', short);
    expectFigures(await post('/pay', u.token, { walletId: u.walletId, amount: '6.01', reference: 'ord-1' }), 422, 'INSUFFICIENT_FUNDS', short);
    expectFigures(await post('/allowances', u.token, { walletId: u.walletId, tillId: 'till-1', amount: '6.01' }), 422, 'INSUFFICIENT_FUNDS', short);
    const [deposit] = (await h.call('GET', `/api/v1/wallets/${u.walletId}/transactions?type=deposit`, { token: u.token })).body.items;
    expectFigures(await post(`/deposits/${deposit.id}/reverse`, admin, { reason: 'keyed wrong' }), 422, 'INSUFFICIENT_FUNDS', {
      available: '6.00',
      requested: '10.00',
    });
    expect((await h.call('GET', `/api/v1/wallets/${u.walletId}`, { token: u.token })).body).toMatchObject({ balance: '10.00', heldAmount: '4.00' });
  });

  it('INSUFFICIENT_POINTS {available, requested} as integers, from a spend and from a split payment', async () => {
    const u = await h.userWithWallet('1000');
    await post('/points/earn', service, { userId: u.sub, points: 120, source: 'ord-1' });
    expectFigures(await post('/points/spend', u.token, { points: 121, source: 'ord-2' }), 422, 'INSUFFICIENT_POINTS', { available: 120, requested: 121 });
    expectFigures(await post('/pay', u.token, { walletId: u.walletId, amount: '500', points: 121, reference: 'ord-3' }), 422, 'INSUFFICIENT_POINTS', {
      available: 120,
      requested: 121,
    });
    expect((await h.call('GET', `/api/v1/wallets/${u.walletId}`, { token: u.token })).body).toMatchObject({ balance: '1000' });
  });

  it('REFUND_EXCEEDS_ORIGINAL {remaining, requested} from refunds, points give-backs and deposit reversals', async () => {
    const u = await h.userWithWallet('200000');
    const [deposit] = (await h.call('GET', `/api/v1/wallets/${u.walletId}/transactions?type=deposit`, { token: u.token })).body.items;
    expect((await post(`/deposits/${deposit.id}/reverse`, admin, { amount: '150000', reason: 'keyed wrong' })).status).toBe(200);
    expectFigures(await post(`/deposits/${deposit.id}/reverse`, admin, { amount: '50001', reason: 'again' }), 422, 'REFUND_EXCEEDS_ORIGINAL', {
      remaining: '50000',
      requested: '50001',
    });
    const paid = await post('/withdraw', u.token, { walletId: u.walletId, amount: '40000' });
    expect((await post('/refund', service, { transactionId: paid.body.transaction.id, amount: '10000' })).status).toBe(200);
    expectFigures(await post('/refund', service, { transactionId: paid.body.transaction.id, amount: '30001' }), 422, 'REFUND_EXCEEDS_ORIGINAL', {
      remaining: '30000',
      requested: '30001',
    });
    const earned = await post('/points/earn', service, { userId: u.sub, points: 100, source: 'ord-1' });
    const spent = await post('/points/spend', u.token, { points: 30, source: 'ord-2' });
    expect((await post('/points/refund', service, { transactionId: spent.body.transaction.id, points: 10 })).status).toBe(200);
    expectFigures(await post('/points/refund', service, { transactionId: spent.body.transaction.id, points: 21 }), 422, 'REFUND_EXCEEDS_ORIGINAL', {
      remaining: '20',
      requested: '21',
    });
    expect((await post('/points/reverse', service, { transactionId: earned.body.transaction.id, points: 40 })).status).toBe(200);
    expectFigures(await post('/points/reverse', service, { transactionId: earned.body.transaction.id, points: 61 }), 422, 'REFUND_EXCEEDS_ORIGINAL', {
      remaining: '60',
      requested: '61',
    });
  });

  it('CAPTURE_EXCEEDS_HOLD {held, requested}; HOLD_NOT_ACTIVE {holdStatus} captured, voided or expired, from capture, void and increment', async () => {
    const u = await h.userWithWallet('10000');
    const captured = await post('/holds', u.token, { walletId: u.walletId, amount: '3000' });
    expectFigures(await post(`/holds/${captured.body.id}/capture`, service, { amount: '3001' }), 422, 'CAPTURE_EXCEEDS_HOLD', {
      held: '3000',
      requested: '3001',
    });
    await post(`/holds/${captured.body.id}/capture`, service, { amount: '1000' });
    const voided = await post('/holds', u.token, { walletId: u.walletId, amount: '2000' });
    await post(`/holds/${voided.body.id}/void`, u.token, {});
    const expired = await post('/holds', u.token, { walletId: u.walletId, amount: '1000', expiresAt: '2031-05-01T09:00:00Z' });
    clock.now = new Date('2031-05-01T09:00:00Z');
    for (const [hold, holdStatus] of [
      [captured, 'captured'],
      [voided, 'voided'],
      [expired, 'expired'],
    ] as const) {
      const id = hold.body.id as string;
      expectFigures(await post(`/holds/${id}/capture`, service, {}), 409, 'HOLD_NOT_ACTIVE', { holdStatus });
      expectFigures(await post(`/holds/${id}/void`, u.token, {}), 409, 'HOLD_NOT_ACTIVE', { holdStatus });
      expectFigures(await post(`/holds/${id}/increment`, u.token, { amount: '1' }), 409, 'HOLD_NOT_ACTIVE', { holdStatus });
    }
    expect((await h.call('GET', `/api/v1/wallets/${u.walletId}`, { token: u.token })).body).toMatchObject({ balance: '9000', heldAmount: '0' });
  });
});
