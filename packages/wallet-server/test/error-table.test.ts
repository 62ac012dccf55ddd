import { ERROR_CODES } from '@goodgo/wallet-core';
import { createPgliteStore } from '@goodgo/wallet-pg/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { TRANSPORT_CODES } from '../src/errors.js';
import { Metrics } from '../src/metrics.js';
import { createRateLimiter, parseRateLimits } from '../src/rate-limit.js';
import type { ProblemCode } from '../src/errors.js';
import { harness, uniqueSub, type Harness, type Reply } from './support/harness.js';

/** Every row of the contract's error table, produced through HTTP on a real PGlite store. */
describe('the error table, row by row', () => {
  let h: Harness;
  let service: string;
  let admin: string;
  const seen = new Set<ProblemCode>();
  beforeAll(async () => {
    h = await harness({ store: await createPgliteStore() });
    service = await h.token('svc', 'service');
    admin = await h.token('adm', 'admin');
  });
  afterAll(async () => {
    await h.store.close();
    // The table is complete: no code of the contract went unexercised.
    // HEADERS_TOO_LARGE comes from Node's HTTP parser, not the app: http-transport.test.ts has it.
    expect([...seen].sort()).toEqual([...ERROR_CODES, ...TRANSPORT_CODES].filter((c) => c !== 'HEADERS_TOO_LARGE').sort());
  });

  // `status` is the contract's (API.md), written here independently of the server's table.
  // `figures`: the fields the contract lists for this code, next to `detail`.
  function expectProblem(res: Reply, code: ProblemCode, status: number, figures: Record<string, string | number> = {}): void {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.body).toMatchObject({ code, status, type: expect.any(String), title: expect.any(String), detail: expect.any(String), ...figures });
    seen.add(code);
  }

  it('VALIDATION_ERROR 400, UNAUTHORIZED 401, FORBIDDEN 403', async () => {
    const u = await h.userWithWallet('10');
    expectProblem(await h.call('POST', '/api/v1/wallets/withdraw', { token: u.token, body: { walletId: u.walletId, amount: 10 } }), 'VALIDATION_ERROR', 400);
    expectProblem(await h.call('GET', '/api/v1/wallets'), 'UNAUTHORIZED', 401);
    expectProblem(await h.call('POST', '/api/v1/wallets/deposit', { token: u.token, body: { walletId: u.walletId, amount: '1' } }), 'FORBIDDEN', 403);
  });

  it('NOT_FOUND, WALLET_NOT_FOUND, POINT_ACCOUNT_NOT_FOUND, TRANSACTION_NOT_FOUND 404', async () => {
    const t = await h.token(uniqueSub());
    expectProblem(await h.call('GET', '/api/v1/wallets/00000000-0000-4000-8000-000000000009/nothing', { token: t }), 'NOT_FOUND', 404);
    expectProblem(await h.call('GET', '/api/v1/wallets/00000000-0000-4000-8000-000000000009', { token: t }), 'WALLET_NOT_FOUND', 404);
    expectProblem(await h.call('GET', '/api/v1/wallets/points', { token: t }), 'POINT_ACCOUNT_NOT_FOUND', 404);
    expectProblem(
      await h.call('POST', '/api/v1/wallets/points/pending/00000000-0000-4000-8000-000000000009/confirm', { token: service }),
      'TRANSACTION_NOT_FOUND',
      404,
    );
  });

  it('WALLET_ALREADY_EXISTS, WALLET_FROZEN, WALLET_CLOSED, WALLET_NOT_EMPTY, IDEMPOTENCY_CONFLICT 409', async () => {
    const u = await h.userWithWallet('10');
    expectProblem(await h.call('POST', '/api/v1/wallets', { token: u.token }), 'WALLET_ALREADY_EXISTS', 409);
    expectProblem(await h.call('POST', `/api/v1/wallets/${u.walletId}/close`, { token: admin }), 'WALLET_NOT_EMPTY', 409);
    await h.call('POST', `/api/v1/wallets/${u.walletId}/freeze`, { token: admin });
    expectProblem(await h.call('POST', '/api/v1/wallets/withdraw', { token: u.token, body: { walletId: u.walletId, amount: '1' } }), 'WALLET_FROZEN', 409);
    const v = await h.userWithWallet('0');
    await h.call('POST', `/api/v1/wallets/${v.walletId}/close`, { token: admin });
    expectProblem(await h.call('POST', '/api/v1/wallets/deposit', { token: service, body: { walletId: v.walletId, amount: '1' } }), 'WALLET_CLOSED', 409);
    const headers = { 'Idempotency-Key': 'table-key' };
    await h.call('POST', '/api/v1/wallets/points/earn', { token: service, headers, body: { userId: u.sub, points: 1, source: 'a' } });
    expectProblem(
      await h.call('POST', '/api/v1/wallets/points/earn', { token: service, headers, body: { userId: u.sub, points: 2, source: 'a' } }),
      'IDEMPOTENCY_CONFLICT',
      409,
    );
  });

  it('INSUFFICIENT_FUNDS, INSUFFICIENT_POINTS, CURRENCY_MISMATCH, SAME_WALLET 422', async () => {
    const u = await h.userWithWallet('10');
    const usd = await h.userWithWallet('0', 'USD');
    expectProblem(
      await h.call('POST', '/api/v1/wallets/withdraw', { token: u.token, body: { walletId: u.walletId, amount: '11' } }),
      'INSUFFICIENT_FUNDS',
      422,
      { available: '10', requested: '11' },
    );
    await h.call('POST', '/api/v1/wallets/points/earn', { token: service, body: { userId: u.sub, points: 1, source: 'a' } });
    expectProblem(await h.call('POST', '/api/v1/wallets/points/spend', { token: u.token, body: { points: 2, source: 'b' } }), 'INSUFFICIENT_POINTS', 422, {
      available: 1,
      requested: 2,
    });
    expectProblem(
      await h.call('POST', '/api/v1/wallets/transfer', { token: u.token, body: { fromWalletId: u.walletId, toWalletId: usd.walletId, amount: '1' } }),
      'CURRENCY_MISMATCH',
      422,
    );
    expectProblem(
      await h.call('POST', '/api/v1/wallets/transfer', { token: u.token, body: { fromWalletId: u.walletId, toWalletId: u.walletId, amount: '1' } }),
      'SAME_WALLET',
      422,
    );
  });

  it('LIMIT_EXCEEDED 422 past a wallet limit an admin set', async () => {
    const u = await h.userWithWallet('100');
    const set = await h.call('PUT', `/api/v1/wallets/${u.walletId}/limits`, { token: admin, body: { daily: { deposit: '150' } } });
    expect(set.status).toBe(200);
    expectProblem(await h.call('POST', '/api/v1/wallets/deposit', { token: service, body: { walletId: u.walletId, amount: '51' } }), 'LIMIT_EXCEEDED', 422, {
      limit: '150',
      period: 'daily',
      kind: 'deposit',
      used: '100',
      requested: '51',
    });
  });

  it('HOLD_NOT_FOUND 404, HOLD_NOT_ACTIVE and WALLET_HAS_HOLDS 409, CAPTURE_EXCEEDS_HOLD, NOT_REFUNDABLE, REFUND_EXCEEDS_ORIGINAL 422', async () => {
    const u = await h.userWithWallet('100');
    expectProblem(await h.call('GET', '/api/v1/wallets/holds/00000000-0000-4000-8000-000000000009', { token: u.token }), 'HOLD_NOT_FOUND', 404);
    const hold = await h.call('POST', '/api/v1/wallets/holds', { token: u.token, body: { walletId: u.walletId, amount: '60' } });
    expect(hold.status).toBe(201);
    expectProblem(
      await h.call('POST', `/api/v1/wallets/holds/${hold.body.id}/capture`, { token: service, body: { amount: '61' } }),
      'CAPTURE_EXCEEDS_HOLD',
      422,
      { held: '60', requested: '61' },
    );
    expectProblem(await h.call('POST', `/api/v1/wallets/${u.walletId}/close`, { token: admin }), 'WALLET_HAS_HOLDS', 409);
    const captured = await h.call('POST', `/api/v1/wallets/holds/${hold.body.id}/capture`, { token: service, body: { amount: '50' } });
    expect(captured.status).toBe(200);
    const voided = await h.call('POST', `/api/v1/wallets/holds/${hold.body.id}/void`, { token: u.token });
    expectProblem(voided, 'HOLD_NOT_ACTIVE', 409, { holdStatus: 'captured' });
    expect(voided.body.detail).toBe(`Hold ${hold.body.id} was captured; only an active hold can change`);
    const refundOf = (transactionId: string, amount?: string) =>
      h.call('POST', '/api/v1/wallets/refund', { token: service, body: { transactionId, ...(amount ? { amount } : {}) } });
    expectProblem(await refundOf(captured.body.transaction.id, '51'), 'REFUND_EXCEEDS_ORIGINAL', 422, { remaining: '50', requested: '51' });
    const [deposit] = (await h.call('GET', `/api/v1/wallets/${u.walletId}/transactions?type=deposit`, { token: u.token })).body.items;
    expectProblem(await refundOf(deposit.id), 'NOT_REFUNDABLE', 422);
  });

  it('ALLOWANCE_NOT_FOUND 404, ALLOWANCE_EXISTS, ALLOWANCE_SEQ_GAP, ALLOWANCE_SEQ_CONFLICT, ALLOWANCE_NOT_ACTIVE 409, ALLOWANCE_EXCEEDED 422', async () => {
    const u = await h.userWithWallet('100');
    expectProblem(await h.call('GET', '/api/v1/wallets/allowances/00000000-0000-4000-8000-00000000000a', { token: u.token }), 'ALLOWANCE_NOT_FOUND', 404);
    const open = () => h.call('POST', '/api/v1/wallets/allowances', { token: u.token, body: { walletId: u.walletId, tillId: 'till-9', amount: '60' } });
    const allowance = await open();
    expect(allowance.status).toBe(201);
    expectProblem(await open(), 'ALLOWANCE_EXISTS', 409);
    const sync = (seq: number, amount: string) =>
      h.call('POST', `/api/v1/wallets/allowances/${allowance.body.id}/sync`, {
        token: service,
        body: { spends: [{ seq, amount, occurredAt: '2026-12-07T08:00:00+07:00' }] },
      });
    expectProblem(await sync(2, '1'), 'ALLOWANCE_SEQ_GAP', 409);
    expectProblem(await sync(1, '61'), 'ALLOWANCE_EXCEEDED', 422);
    expect((await sync(1, '10')).status).toBe(200);
    expectProblem(await sync(1, '11'), 'ALLOWANCE_SEQ_CONFLICT', 409);
    expect((await h.call('POST', `/api/v1/wallets/allowances/${allowance.body.id}/settle`, { token: service, body: { lastSeq: 1 } })).status).toBe(200);
    expectProblem(await sync(2, '1'), 'ALLOWANCE_NOT_ACTIVE', 409);
  });

  it('PAYLOAD_TOO_LARGE 413, UNSUPPORTED_MEDIA_TYPE 415', async () => {
    const raw = JSON.stringify({ userId: 'x', points: 1, source: 'a', description: 'y'.repeat(1024 * 1024 + 1) });
    expectProblem(
      await h.call('POST', '/api/v1/wallets/points/earn', { token: service, raw, headers: { 'content-type': 'application/json' } }),
      'PAYLOAD_TOO_LARGE',
      413,
    );
    expectProblem(
      await h.call('POST', '/api/v1/wallets/points/earn', { token: service, raw: 'points=1', headers: { 'content-type': 'text/plain' } }),
      'UNSUPPORTED_MEDIA_TYPE',
      415,
    );
  });

  it('INTERNAL_ERROR 500 without SQL or stack in the body', async () => {
    const driver = (h.store as unknown as { driver: { query(t: string): Promise<unknown> } }).driver;
    await driver.query('ALTER TABLE point_accounts RENAME TO point_accounts_moved');
    try {
      const res = await h.call('GET', '/api/v1/wallets/points', { token: service });
      expectProblem(res, 'INTERNAL_ERROR', 500);
      const text = JSON.stringify(res.body);
      expect(text).not.toMatch(/point_accounts|relation|SELECT|at .*\.js|\n/);
      expect(res.body.detail).toContain(res.headers.get('x-request-id'));
    } finally {
      await driver.query('ALTER TABLE point_accounts_moved RENAME TO point_accounts');
    }
  });

  it("RATE_LIMITED 429 past the caller's limit", async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const rateLimiter = createRateLimiter({ limits: parseRateLimits('1/1m'), logger: pino({ level: 'silent' }), metrics });
    const limited = await harness({ store: h.store, rateLimiter, metrics });
    const token = await limited.token('limited-caller');
    expect((await limited.call('GET', '/api/v1/wallets', { token })).status).toBe(200);
    expectProblem(await limited.call('GET', '/api/v1/wallets', { token }), 'RATE_LIMITED', 429);
  });

  it('SERVICE_UNAVAILABLE 503 once the database is gone, and readiness says so', async () => {
    const u = await h.userWithWallet('10');
    await h.store.close();
    expectProblem(
      await h.call('POST', '/api/v1/wallets/withdraw', { token: u.token, body: { walletId: u.walletId, amount: '1' } }),
      'SERVICE_UNAVAILABLE',
      503,
    );
    expect((await h.call('GET', '/health/ready')).status).toBe(503);
    expect((await h.call('GET', '/health/live')).status).toBe(200);
  });
});
