import { beforeAll, describe, expect, it } from 'vitest';
import { harness, type Harness } from './support/harness.js';

describe('Idempotency-Key', () => {
  let h: Harness;
  let service: string;
  beforeAll(async () => {
    h = await harness();
    service = await h.token('pos-1', 'service');
  });

  it('replays the first response, status and body, with Idempotent-Replayed, and changes nothing', async () => {
    const u = await h.userWithWallet('1000');
    const req = { token: u.token, body: { walletId: u.walletId, amount: '300' }, headers: { 'Idempotency-Key': 'pay-order-1' } };
    const first = await h.call('POST', '/api/v1/wallets/withdraw', req);
    const again = await h.call('POST', '/api/v1/wallets/withdraw', req);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect([again.status, JSON.stringify(again.body)]).toEqual([first.status, JSON.stringify(first.body)]);
    expect((await h.call('GET', `/api/v1/wallets/${u.walletId}`, { token: u.token })).body.balance).toBe('700');
  });

  it('replays a 201 as a 201', async () => {
    const token = await h.token('replay-201');
    const req = { token, body: { currency: 'EUR' }, headers: { 'Idempotency-Key': 'open-eur' } };
    const first = await h.call('POST', '/api/v1/wallets', req);
    const again = await h.call('POST', '/api/v1/wallets', req);
    expect([first.status, again.status]).toEqual([201, 201]);
    expect(again.body).toEqual(first.body);
  });

  it('answers 409 IDEMPOTENCY_CONFLICT for the same key with a different body', async () => {
    const u = await h.userWithWallet('1000');
    const headers = { 'Idempotency-Key': 'k-conflict' };
    await h.call('POST', '/api/v1/wallets/withdraw', { token: u.token, body: { walletId: u.walletId, amount: '1' }, headers });
    const res = await h.call('POST', '/api/v1/wallets/withdraw', { token: u.token, body: { walletId: u.walletId, amount: '2' }, headers });
    expect([res.status, res.body.code]).toEqual([409, 'IDEMPOTENCY_CONFLICT']);
    expect((await h.call('GET', `/api/v1/wallets/${u.walletId}`, { token: u.token })).body.balance).toBe('999');
  });

  it("scopes keys to the caller: another caller's identical key is its own", async () => {
    const a = await h.userWithWallet('10');
    const b = await h.userWithWallet('10');
    const headers = { 'Idempotency-Key': 'same-key' };
    await h.call('POST', '/api/v1/wallets/withdraw', { token: a.token, body: { walletId: a.walletId, amount: '1' }, headers });
    const res = await h.call('POST', '/api/v1/wallets/withdraw', { token: b.token, body: { walletId: b.walletId, amount: '1' }, headers });
    expect(res.headers.get('idempotent-replayed')).toBeNull();
    expect(res.body.wallet.balance).toBe('9');
  });

  it('executes concurrent duplicates once', async () => {
    const u = await h.userWithWallet('0');
    const req = { token: service, body: { walletId: u.walletId, amount: '50' }, headers: { 'Idempotency-Key': 'dup-deposit' } };
    const replies = await Promise.all(Array.from({ length: 10 }, () => h.call('POST', '/api/v1/wallets/deposit', req)));
    expect(replies.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(replies.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(9);
    expect((await h.call('GET', `/api/v1/wallets/${u.walletId}`, { token: u.token })).body.balance).toBe('50');
  });

  it('rejects keys that are empty, too long or not visible ASCII', async () => {
    const u = await h.userWithWallet('10');
    for (const key of ['x'.repeat(256), 'has space', 'cl\u00e9']) {
      const res = await h.call('POST', '/api/v1/wallets/withdraw', {
        token: u.token,
        body: { walletId: u.walletId, amount: '1' },
        headers: { 'Idempotency-Key': key },
      });
      expect([res.status, res.body.code]).toEqual([400, 'VALIDATION_ERROR']);
    }
    expect((await h.call('GET', `/api/v1/wallets/${u.walletId}`, { token: u.token })).body.balance).toBe('10');
  });
});
