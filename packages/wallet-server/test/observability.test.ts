import { compileErrors, validate } from '@readme/openapi-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { harness, type Harness } from './support/harness.js';

describe('health, metrics, OpenAPI and request ids', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });

  it('answers the health endpoints without a token', async () => {
    expect(await h.call('GET', '/health/live')).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await h.call('GET', '/health/ready')).toMatchObject({ status: 200, body: { status: 'ok' } });
    const full = await h.call('GET', '/health');
    expect(full.body).toMatchObject({ status: 'ok', checks: { database: { status: 'up' } } });
  });

  it('counts requests by route and status, money movements by type and currency, errors by code', async () => {
    const u = await h.userWithWallet('500');
    await h.call('POST', '/api/v1/wallets/withdraw', { token: u.token, body: { walletId: u.walletId, amount: '600' } });
    await h.call('POST', '/api/v1/wallets/withdraw', { token: u.token, body: { walletId: u.walletId, amount: '100' } });
    const again = { token: u.token, headers: { 'Idempotency-Key': 'metrics-1' } };
    await h.call('POST', '/api/v1/wallets', { ...again, body: { currency: 'USD' } });
    await h.call('POST', '/api/v1/wallets', { ...again, body: { currency: 'USD' } });
    const res = await h.call('GET', '/metrics');
    expect(res.status).toBe(200);
    const text = String(res.body);
    expect(text).toMatch(/wallet_http_request_duration_seconds_count\{method="POST",route="\/api\/v1\/wallets\/withdraw",status="200"\} 1/);
    expect(text).toMatch(/wallet_http_request_duration_seconds_count\{method="POST",route="\/api\/v1\/wallets\/withdraw",status="422"\} 1/);
    expect(text).toMatch(/wallet_money_movements_total\{type="withdrawal",currency="VND"\} 1/);
    expect(text).toMatch(/wallet_money_movements_total\{type="deposit",currency="VND"\} 1/);
    expect(text).toMatch(/wallet_http_errors_total\{code="INSUFFICIENT_FUNDS",status="422"\} 1/);
    expect(text).toMatch(/wallet_idempotent_replays_total 1/);
  });

  it("echoes a caller's request id and makes one up otherwise", async () => {
    const given = await h.call('GET', '/health/live', { headers: { 'x-request-id': 'till-7-req-42' } });
    expect(given.headers.get('x-request-id')).toBe('till-7-req-42');
    const made = await h.call('GET', '/health/live');
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves a valid OpenAPI 3.1 document, generated from the request schemas', async () => {
    const res = await h.call('GET', '/api/v1/wallets/openapi.json');
    expect(res.status).toBe(200);
    const doc = res.body;
    expect(doc.openapi).toBe('3.1.0');
    const deposit = doc.paths['/api/v1/wallets/deposit'].post.requestBody.content['application/json'].schema;
    expect(deposit.properties.amount).toMatchObject({ type: 'string', pattern: expect.stringContaining('[0-9]') });
    expect(deposit.additionalProperties).toBe(false);
    expect(doc.components.schemas.Wallet.properties.balance.type).toBe('string');
    expect(doc.paths['/api/v1/wallets/withdraw'].post.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ in: 'header', name: 'Idempotency-Key' })]),
    );
    // A validator of its own, so that a client generator will accept it.
    const result = await validate(structuredClone(doc));
    expect(result.valid ? 'valid' : compileErrors(result)).toBe('valid');
  });

  it('describes exactly what the service answers: a movement result matches its documented schema', async () => {
    const u = await h.userWithWallet('100');
    const res = await h.call('POST', '/api/v1/wallets/withdraw', { token: u.token, body: { walletId: u.walletId, amount: '1' } });
    const doc = (await h.call('GET', '/api/v1/wallets/openapi.json')).body;
    const schema = doc.components.schemas.Wallet;
    expect(Object.keys(res.body.wallet).sort()).toEqual(Object.keys(schema.properties).sort());
    expect([...schema.required].sort()).toEqual(Object.keys(res.body.wallet).sort());
  });
});
