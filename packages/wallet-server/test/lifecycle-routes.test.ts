import { beforeAll, describe, expect, it } from 'vitest';
import { harness, uniqueSub, type Harness } from './support/harness.js';

/** Holds, captures, refunds and points give-backs over HTTP: roles as the contract says, audit trail on every row. */
describe('money lifecycle routes', () => {
  let h: Harness;
  let service: string;
  beforeAll(async () => {
    h = await harness();
    service = await h.token('pos-backend', 'service');
  });

  it('lets the owner hold and void, only a service capture, and hides holds of others', async () => {
    const u = await h.userWithWallet('125000');
    const stranger = await h.token(uniqueSub());
    expect((await h.call('POST', '/api/v1/wallets/holds', { token: stranger, body: { walletId: u.walletId, amount: '1' } })).body.code).toBe(
      'WALLET_NOT_FOUND',
    );
    const placed = await h.call('POST', '/api/v1/wallets/holds', { token: u.token, body: { walletId: u.walletId, amount: '125000', reference: 'ord-1001' } });
    expect(placed.status).toBe(201);
    expect(placed.body).toMatchObject({ amount: '125000', status: 'active', capturedAmount: '0', reference: 'ord-1001' });
    const wallet = await h.call('GET', `/api/v1/wallets/${u.walletId}`, { token: u.token });
    expect(wallet.body).toMatchObject({ balance: '125000', heldAmount: '125000', availableBalance: '0' });
    expect((await h.call('GET', `/api/v1/wallets/holds/${placed.body.id}`, { token: stranger })).status).toBe(404);
    expect((await h.call('GET', `/api/v1/wallets/holds/${placed.body.id}`, { token: u.token })).body).toEqual(placed.body);
    expect((await h.call('GET', `/api/v1/wallets/${u.walletId}/holds?status=active`, { token: u.token })).body.items).toEqual([placed.body]);
    expect((await h.call('GET', `/api/v1/wallets/${u.walletId}/holds?status=bogus`, { token: u.token })).status).toBe(400);
    const byUser = await h.call('POST', `/api/v1/wallets/holds/${placed.body.id}/capture`, { token: u.token, body: {} });
    expect([byUser.status, byUser.body.code]).toEqual([403, 'FORBIDDEN']);
    expect((await h.call('POST', `/api/v1/wallets/holds/${placed.body.id}/void`, { token: stranger })).status).toBe(404);

    const headers = { 'Idempotency-Key': 'cap-ord-1001', 'X-Request-Id': 'req-capture-1' };
    const captured = await h.call('POST', `/api/v1/wallets/holds/${placed.body.id}/capture`, { token: service, headers, body: { amount: '98000' } });
    expect(captured.status).toBe(200);
    expect(captured.body.wallet).toMatchObject({ balance: '27000', heldAmount: '0', availableBalance: '27000' });
    expect(captured.body.transaction).toMatchObject({
      type: 'withdrawal',
      amount: '98000',
      holdId: placed.body.id,
      actor: { sub: 'pos-backend', role: 'service' },
    });
    const replay = await h.call('POST', `/api/v1/wallets/holds/${placed.body.id}/capture`, { token: service, headers, body: { amount: '98000' } });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(captured.body);
    const event = (await h.store.listEvents())
      .map((e) => e.row)
      .find((e) => e.type === 'HoldCaptured' && (e.payload as { holdId: string }).holdId === placed.body.id);
    expect(event).toMatchObject({ actor: { sub: 'pos-backend', role: 'service' }, requestId: 'req-capture-1' });

    const second = await h.call('POST', '/api/v1/wallets/holds', { token: u.token, body: { walletId: u.walletId, amount: '7000' } });
    const voided = await h.call('POST', `/api/v1/wallets/holds/${second.body.id}/void`, { token: u.token, body: { reason: 'changed my mind' } });
    expect(voided.body).toMatchObject({ hold: { status: 'voided' }, wallet: { heldAmount: '0', availableBalance: '27000' } });
  });

  it('refunds only for a service, linked to the payment, and gives points back or claws them from their lots', async () => {
    const u = await h.userWithWallet('200000');
    const paid = await h.call('POST', '/api/v1/wallets/withdraw', { token: u.token, body: { walletId: u.walletId, amount: '125000', reference: 'ord-1002' } });
    const asUser = await h.call('POST', '/api/v1/wallets/refund', { token: u.token, body: { transactionId: paid.body.transaction.id } });
    expect([asUser.status, asUser.body.code]).toEqual([403, 'FORBIDDEN']);
    const refunded = await h.call('POST', '/api/v1/wallets/refund', {
      token: service,
      body: { transactionId: paid.body.transaction.id, amount: '25000', reason: 'one item' },
    });
    expect(refunded.status).toBe(200);
    expect(refunded.body).toMatchObject({
      wallet: { balance: '100000' },
      transaction: { type: 'refund_in', amount: '25000', refundOf: paid.body.transaction.id },
    });

    const earned = await h.call('POST', '/api/v1/wallets/points/earn', { token: service, body: { userId: u.sub, points: 100, source: 'ord-1' } });
    const spent = await h.call('POST', '/api/v1/wallets/points/spend', { token: u.token, body: { points: 30, source: 'ord-1002' } });
    expect((await h.call('POST', '/api/v1/wallets/points/refund', { token: u.token, body: { transactionId: spent.body.transaction.id } })).status).toBe(403);
    const back = await h.call('POST', '/api/v1/wallets/points/refund', { token: service, body: { transactionId: spent.body.transaction.id, points: 10 } });
    expect(back.body).toMatchObject({ expiredPoints: 0, transaction: { type: 'refund', points: 10 }, account: { availablePoints: 80 } });
    const reversed = await h.call('POST', '/api/v1/wallets/points/reverse', { token: service, body: { transactionId: earned.body.transaction.id } });
    expect(reversed.body).toMatchObject({ shortfall: 20, transaction: { type: 'reversal', points: -80 }, account: { availablePoints: 0 } });
  });

  it('lets the owner or a service grow an active hold, hides holds of others, and answers the figures of a refusal', async () => {
    const u = await h.userWithWallet('100000');
    const stranger = await h.token(uniqueSub());
    const placed = await h.call('POST', '/api/v1/wallets/holds', { token: u.token, body: { walletId: u.walletId, amount: '30000', reference: 'table-4' } });
    const path = `/api/v1/wallets/holds/${placed.body.id}/increment`;
    expect((await h.call('POST', path, { token: stranger, body: { amount: '1' } })).body).toMatchObject({ status: 404, code: 'HOLD_NOT_FOUND' });
    const grown = await h.call('POST', path, { token: u.token, body: { amount: '20000' } });
    expect(grown.status).toBe(200);
    expect(grown.body).toEqual({ ...placed.body, amount: '50000', updatedAt: grown.body.updatedAt });
    const again = await h.call('POST', path, { token: service, headers: { 'Idempotency-Key': 'round-2' }, body: { amount: '10000' } });
    expect(again.body).toMatchObject({ amount: '60000', expiresAt: placed.body.expiresAt });
    const replay = await h.call('POST', path, { token: service, headers: { 'Idempotency-Key': 'round-2' }, body: { amount: '10000' } });
    expect([replay.status, replay.headers.get('idempotent-replayed'), replay.body]).toEqual([200, 'true', again.body]);
    expect((await h.call('GET', `/api/v1/wallets/${u.walletId}`, { token: u.token })).body).toMatchObject({ heldAmount: '60000', availableBalance: '40000' });
    expect((await h.call('POST', path, { token: u.token, body: { amount: '40001' } })).body).toMatchObject({
      status: 422,
      code: 'INSUFFICIENT_FUNDS',
      available: '40000',
      requested: '40001',
    });
    expect((await h.call('POST', path, { token: u.token, body: { amount: 5 } })).status).toBe(400);
    expect((await h.call('POST', path, { token: u.token, body: { amount: '5', expiresAt: '2031-01-01T00:00:00Z' } })).status).toBe(400);
    await h.call('POST', `/api/v1/wallets/holds/${placed.body.id}/void`, { token: u.token });
    expect((await h.call('POST', path, { token: u.token, body: { amount: '1' } })).body).toMatchObject({
      status: 409,
      code: 'HOLD_NOT_ACTIVE',
      holdStatus: 'voided',
    });
  });

  it('lets an admin alone take back a mistaken deposit, at most what is left of it and what is available, with figures', async () => {
    const u = await h.userWithWallet('0');
    const admin = await h.token('back-office', 'admin');
    const topUp = await h.call('POST', '/api/v1/wallets/deposit', { token: service, body: { walletId: u.walletId, amount: '500000', reference: 'topup-77' } });
    const path = `/api/v1/wallets/deposits/${topUp.body.transaction.id}/reverse`;
    for (const token of [u.token, service]) {
      const refused = await h.call('POST', path, { token, body: { reason: 'typo' } });
      expect([refused.status, refused.body.code]).toEqual([403, 'FORBIDDEN']);
    }
    const headers = { 'Idempotency-Key': 'reverse-topup-77', 'X-Request-Id': 'req-reverse-1' };
    const reversed = await h.call('POST', path, { token: admin, headers, body: { amount: '450000', reason: 'keyed 500000 for 50000' } });
    expect(reversed.status).toBe(200);
    expect(reversed.body.wallet).toMatchObject({ id: u.walletId, balance: '50000', availableBalance: '50000' });
    expect(reversed.body.transaction).toMatchObject({
      type: 'deposit_reversal',
      amount: '450000',
      balanceAfter: '50000',
      refundOf: topUp.body.transaction.id,
      description: 'keyed 500000 for 50000',
      actor: { sub: 'back-office', role: 'admin' },
    });
    const replay = await h.call('POST', path, { token: admin, headers, body: { amount: '450000', reason: 'keyed 500000 for 50000' } });
    expect([replay.status, replay.headers.get('idempotent-replayed'), replay.body]).toEqual([200, 'true', reversed.body]);
    expect((await h.call('POST', path, { token: admin, body: { amount: '50001', reason: 'again' } })).body).toMatchObject({
      status: 422,
      code: 'REFUND_EXCEEDS_ORIGINAL',
      remaining: '50000',
      requested: '50001',
    });
    await h.call('POST', '/api/v1/wallets/withdraw', { token: u.token, body: { walletId: u.walletId, amount: '20000' } });
    expect((await h.call('POST', path, { token: admin, body: { reason: 'the rest' } })).body).toMatchObject({
      status: 422,
      code: 'INSUFFICIENT_FUNDS',
      available: '30000',
      requested: '50000',
    });
    const paid = (await h.call('GET', `/api/v1/wallets/${u.walletId}/transactions?type=withdrawal`, { token: u.token })).body.items[0];
    expect((await h.call('POST', `/api/v1/wallets/deposits/${paid.id}/reverse`, { token: admin, body: { reason: 'x' } })).body).toMatchObject({
      status: 422,
      code: 'NOT_REFUNDABLE',
    });
    const unknown = await h.call('POST', '/api/v1/wallets/deposits/00000000-0000-4000-8000-0000000000d2/reverse', { token: admin, body: { reason: 'x' } });
    expect([unknown.status, unknown.body.code]).toEqual([404, 'TRANSACTION_NOT_FOUND']);
    for (const body of [
      {},
      { reason: '' },
      { reason: 'x', amount: 5 },
      { reason: 'x', amount: '0' },
      { reason: 'x', reference: 'r' },
      { reason: 'x', transactionId: paid.id },
    ]) {
      expect((await h.call('POST', path, { token: admin, body })).status, JSON.stringify(body)).toBe(400);
    }
    await h.call('POST', `/api/v1/wallets/${u.walletId}/freeze`, { token: admin, body: { reason: 'review' } });
    expect((await h.call('POST', path, { token: admin, body: { amount: '1', reason: 'x' } })).body).toMatchObject({ status: 409, code: 'WALLET_FROZEN' });
    expect((await h.call('GET', `/api/v1/wallets/${u.walletId}`, { token: u.token })).body).toMatchObject({ balance: '30000' });
    const event = (await h.store.listEvents())
      .map((e) => e.row)
      .find((e) => e.type === 'BalanceChanged' && (e.payload as { transactionId: string }).transactionId === reversed.body.transaction.id);
    expect(event).toMatchObject({
      actor: { sub: 'back-office', role: 'admin' },
      requestId: 'req-reverse-1',
      payload: { transactionType: 'deposit_reversal', refundOf: topUp.body.transaction.id, amount: '450000' },
    });
  });

  it('documents the lifecycle routes in OpenAPI with their problem statuses', async () => {
    const doc = (await h.call('GET', '/api/v1/wallets/openapi.json')).body;
    for (const path of [
      '/api/v1/wallets/holds',
      '/api/v1/wallets/holds/{id}/capture',
      '/api/v1/wallets/holds/{id}/increment',
      '/api/v1/wallets/refund',
      '/api/v1/wallets/deposits/{transactionId}/reverse',
      '/api/v1/wallets/points/refund',
      '/api/v1/wallets/points/reverse',
    ]) {
      expect(doc.paths[path]).toBeDefined();
    }
    expect(Object.keys(doc.paths['/api/v1/wallets/holds/{id}/capture'].post.responses)).toEqual(expect.arrayContaining(['200', '403', '404', '409', '422']));
    expect(doc.components.schemas.Hold.properties.status.enum).toEqual(['active', 'captured', 'voided', 'expired']);
  });

  it('names in OpenAPI, per route and status, the problem codes it can answer and the figures they carry', async () => {
    const doc = (await h.call('GET', '/api/v1/wallets/openapi.json')).body;
    /** The `code` enumeration of a route's problem response of one status. */
    const codes = (path: string, method: string, status: string): string[] => {
      const schema = doc.paths[path][method].responses[status].content['application/problem+json'].schema;
      expect(schema.allOf[0]).toEqual({ $ref: '#/components/schemas/Problem' });
      return schema.allOf[1].properties.code.enum;
    };
    const capture = '/api/v1/wallets/holds/{id}/capture';
    expect(codes(capture, 'post', '409')).toEqual(['HOLD_NOT_ACTIVE', 'IDEMPOTENCY_CONFLICT', 'WALLET_CLOSED', 'WALLET_FROZEN']);
    expect(codes(capture, 'post', '422')).toEqual(['CAPTURE_EXCEEDS_HOLD', 'CURRENCY_MISMATCH', 'INSUFFICIENT_FUNDS', 'LIMIT_EXCEEDED', 'SAME_WALLET']);
    expect(codes(capture, 'post', '404')).toEqual(['HOLD_NOT_FOUND', 'WALLET_NOT_FOUND']);
    expect(codes('/api/v1/wallets/refund', 'post', '422')).toEqual(['INSUFFICIENT_FUNDS', 'LIMIT_EXCEEDED', 'NOT_REFUNDABLE', 'REFUND_EXCEEDS_ORIGINAL']);
    const reverse = '/api/v1/wallets/deposits/{transactionId}/reverse';
    expect(codes(reverse, 'post', '422')).toEqual(['INSUFFICIENT_FUNDS', 'NOT_REFUNDABLE', 'REFUND_EXCEEDS_ORIGINAL']);
    expect(codes(reverse, 'post', '409')).toEqual(['IDEMPOTENCY_CONFLICT', 'WALLET_CLOSED', 'WALLET_FROZEN']);
    expect(codes(reverse, 'post', '404')).toEqual(['TRANSACTION_NOT_FOUND']);
    // A reversal takes money out but is no spend, and lowers the balance: no limit can refuse it.
    expect(codes('/api/v1/wallets/holds/{id}/increment', 'post', '422')).toEqual(['INSUFFICIENT_FUNDS', 'LIMIT_EXCEEDED']);
    expect(codes('/api/v1/wallets/pay', 'post', '422')).toEqual([
      'CURRENCY_MISMATCH',
      'INSUFFICIENT_FUNDS',
      'INSUFFICIENT_POINTS',
      'LIMIT_EXCEEDED',
      'SAME_WALLET',
    ]);
    expect(codes('/api/v1/wallets/withdraw', 'post', '422')).toEqual(['INSUFFICIENT_FUNDS', 'LIMIT_EXCEEDED']);
    expect(codes('/api/v1/wallets/{id}/limits', 'put', '409')).toEqual(['IDEMPOTENCY_CONFLICT', 'WALLET_CLOSED']);
    expect(codes('/api/v1/wallets/points/spend', 'post', '422')).toEqual(['INSUFFICIENT_POINTS']);
    expect(codes('/api/v1/wallets/{id}', 'get', '404')).toEqual(['WALLET_NOT_FOUND']);
    // A route that cannot refuse for money lists no 422 at all.
    expect(doc.paths['/api/v1/wallets/{id}'].get.responses['422']).toBeUndefined();
    const problem = doc.components.schemas.Problem.properties;
    expect(problem.holdStatus.enum).toEqual(['captured', 'voided', 'expired']);
    for (const field of ['available', 'requested', 'remaining', 'held', 'limit', 'used']) expect(problem[field], field).toBeDefined();
    expect(problem.period.enum).toEqual(['balance', 'daily', 'monthly']);
    expect(problem.kind.enum).toEqual(['deposit', 'spend', 'balance']);
  });
});
