import { beforeAll, describe, expect, it } from 'vitest';
import { harness, uniqueSub, type Harness } from './support/harness.js';

describe('point routes', () => {
  let h: Harness;
  let service: string;
  let admin: string;
  beforeAll(async () => {
    h = await harness();
    service = await h.token('order-service', 'service');
    admin = await h.token('root', 'admin');
  });

  it('earns for services only and opens the account on the first earn', async () => {
    const sub = uniqueSub();
    const user = await h.token(sub);
    expect((await h.call('GET', '/api/v1/wallets/points', { token: user })).body.code).toBe('POINT_ACCOUNT_NOT_FOUND');
    const denied = await h.call('POST', '/api/v1/wallets/points/earn', { token: user, body: { userId: sub, points: 10, source: 'order:1' } });
    expect([denied.status, denied.body.code]).toEqual([403, 'FORBIDDEN']);
    const earned = await h.call('POST', '/api/v1/wallets/points/earn', {
      token: service,
      body: { userId: sub, points: 120, source: 'order:1', description: 'Order 1', expiresAt: '2099-12-31T00:00:00+07:00' },
    });
    expect(earned.status).toBe(200);
    expect(earned.body.account).toMatchObject({ userId: sub, totalPoints: 120, availablePoints: 120, pendingPoints: 0 });
    expect(earned.body.transaction).toMatchObject({ type: 'earn', points: 120, balanceAfter: 120, source: 'order:1', expiresAt: '2099-12-30T17:00:00.000Z' });
    expect((await h.call('GET', '/api/v1/wallets/points', { token: user })).body.availablePoints).toBe(120);
  });

  it("lets a user spend its own points, never more than it has, and not someone else's", async () => {
    const sub = uniqueSub();
    const user = await h.token(sub);
    await h.call('POST', '/api/v1/wallets/points/earn', { token: service, body: { userId: sub, points: 50, source: 'order:2' } });
    const spent = await h.call('POST', '/api/v1/wallets/points/spend', { token: user, body: { points: 20, source: 'order:3' } });
    expect(spent.body.transaction).toMatchObject({ type: 'spend', points: -20, balanceAfter: 30 });
    const tooMuch = await h.call('POST', '/api/v1/wallets/points/spend', { token: user, body: { points: 31, source: 'order:4' } });
    expect([tooMuch.status, tooMuch.body.code]).toEqual([422, 'INSUFFICIENT_POINTS']);
    const others = await h.call('POST', '/api/v1/wallets/points/spend', { token: await h.token(uniqueSub()), body: { userId: sub, points: 1, source: 'x' } });
    expect([others.status, others.body.code]).toEqual([403, 'FORBIDDEN']);
    const bySvc = await h.call('POST', '/api/v1/wallets/points/spend', { token: service, body: { userId: sub, points: 30, source: 'order:5' } });
    expect(bySvc.body.account.availablePoints).toBe(0);
    const none = await h.call('POST', '/api/v1/wallets/points/spend', { token: await h.token(uniqueSub()), body: { points: 1, source: 'x' } });
    expect([none.status, none.body.code]).toEqual([404, 'POINT_ACCOUNT_NOT_FOUND']);
  });

  it('adjusts for admins only, both ways', async () => {
    const sub = uniqueSub();
    const body = { userId: sub, points: 15, source: 'support', description: 'goodwill' };
    expect((await h.call('POST', '/api/v1/wallets/points/adjust', { token: service, body })).status).toBe(403);
    expect((await h.call('POST', '/api/v1/wallets/points/adjust', { token: admin, body })).body.account.availablePoints).toBe(15);
    const down = await h.call('POST', '/api/v1/wallets/points/adjust', { token: admin, body: { ...body, points: -5, description: 'fix' } });
    expect(down.body.transaction).toMatchObject({ type: 'adjust', points: -5, balanceAfter: 10 });
    const zero = await h.call('POST', '/api/v1/wallets/points/adjust', { token: admin, body: { ...body, points: 0 } });
    expect(zero.status).toBe(400);
  });

  it('confirms and cancels pending points for services, by the pending transaction id', async () => {
    const sub = uniqueSub();
    const pending = await h.call('POST', '/api/v1/wallets/points/earn', {
      token: service,
      body: { userId: sub, points: 40, source: 'order:9', pending: true },
    });
    expect(pending.body.account).toMatchObject({ availablePoints: 0, pendingPoints: 40 });
    const id = pending.body.transaction.id;
    expect((await h.call('POST', `/api/v1/wallets/points/pending/${id}/confirm`, { token: await h.token(sub) })).status).toBe(403);
    const confirmed = await h.call('POST', `/api/v1/wallets/points/pending/${id}/confirm`, { token: service });
    expect(confirmed.body.account).toMatchObject({ availablePoints: 40, pendingPoints: 0, totalPoints: 40 });
    const twice = await h.call('POST', `/api/v1/wallets/points/pending/${id}/cancel`, { token: service });
    expect([twice.status, twice.body.code]).toEqual([404, 'TRANSACTION_NOT_FOUND']);
    const other = await h.call('POST', '/api/v1/wallets/points/earn', { token: service, body: { userId: sub, points: 5, source: 'order:10', pending: true } });
    const cancelled = await h.call('POST', `/api/v1/wallets/points/pending/${other.body.transaction.id}/cancel`, { token: service });
    expect(cancelled.body.transaction).toMatchObject({ type: 'cancel', points: -5, balanceAfter: 40 });
  });

  it('expires for services only and refuses a future asOf', async () => {
    const user = await h.token(uniqueSub());
    expect((await h.call('POST', '/api/v1/wallets/points/expire', { token: user })).status).toBe(403);
    const run = await h.call('POST', '/api/v1/wallets/points/expire', { token: service });
    expect(run.status).toBe(200);
    expect(run.body).toEqual({ expiredPoints: 0, accounts: 0 });
    const future = await h.call('POST', '/api/v1/wallets/points/expire', { token: service, body: { asOf: '2999-01-01T00:00:00Z' } });
    expect(future.status).toBe(400);
  });

  it('pages point history with a cursor and a type filter', async () => {
    const sub = uniqueSub();
    for (let i = 1; i <= 3; i++) await h.call('POST', '/api/v1/wallets/points/earn', { token: service, body: { userId: sub, points: i, source: `o${i}` } });
    await h.call('POST', '/api/v1/wallets/points/spend', { token: service, body: { userId: sub, points: 2, source: 'o4' } });
    const user = await h.token(sub);
    const p1 = await h.call('GET', '/api/v1/wallets/points/transactions?limit=3', { token: user });
    expect(p1.body.items.map((t: { points: number }) => t.points)).toEqual([-2, 3, 2]);
    const p2 = await h.call('GET', `/api/v1/wallets/points/transactions?limit=3&cursor=${p1.body.nextCursor}`, { token: user });
    expect(p2.body).toMatchObject({ items: [{ points: 1 }], nextCursor: null });
    const spends = await h.call('GET', `/api/v1/wallets/points/transactions?type=spend&userId=${sub}`, { token: service });
    expect(spends.body.items).toHaveLength(1);
    expect((await h.call('GET', `/api/v1/wallets/points/transactions?userId=${sub}`, { token: await h.token(uniqueSub()) })).status).toBe(403);
  });
});
