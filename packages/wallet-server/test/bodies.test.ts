import { beforeAll, describe, expect, it } from 'vitest';
import { harness, type Harness } from './support/harness.js';

describe('hostile and malformed bodies', () => {
  let h: Harness;
  let service: string;
  let walletId: string;
  let usdWallet: string;
  beforeAll(async () => {
    h = await harness();
    service = await h.token('svc', 'service');
    walletId = (await h.userWithWallet('1000')).walletId;
    usdWallet = (await h.userWithWallet('0', 'USD')).walletId;
  });

  const deposit = (amount: unknown, id = walletId) => h.call('POST', '/api/v1/wallets/deposit', { token: service, body: { walletId: id, amount } });

  it.each([[125000], [12.5], [''], [' 100'], ['100 '], ['0x10'], ['1e3'], ['+5'], ['-5'], ['0'], ['5.'], ['1.5'], ['1000000001'], [null], [['1']]])(
    'rejects the amount %j with 400 VALIDATION_ERROR and changes nothing',
    async (amount) => {
      const res = await deposit(amount);
      expect([res.status, res.body.code]).toEqual([400, 'VALIDATION_ERROR']);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect((await h.service.getWallet({ walletId })).balance).toBe('1000');
    },
  );

  it("checks fraction digits against the wallet's currency", async () => {
    expect((await deposit('12.345', usdWallet)).status).toBe(400);
    const ok = await deposit('12.3', usdWallet);
    expect(ok.body.transaction.amount).toBe('12.30');
  });

  it('answers malformed JSON, a non-object and unknown fields with 400', async () => {
    const raw = await h.call('POST', '/api/v1/wallets/deposit', { token: service, raw: '{"walletId":', headers: { 'content-type': 'application/json' } });
    expect([raw.status, raw.body.code]).toEqual([400, 'VALIDATION_ERROR']);
    expect((await h.call('POST', '/api/v1/wallets/deposit', { token: service, body: [1, 2] })).status).toBe(400);
    const extra = await h.call('POST', '/api/v1/wallets/deposit', { token: service, body: { walletId, amount: '1', ammount: '1000' } });
    expect(extra.status).toBe(400);
  });

  it('answers a body that is not JSON with 415', async () => {
    const res = await h.call('POST', '/api/v1/wallets/deposit', {
      token: service,
      raw: `walletId=${walletId}&amount=1`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect([res.status, res.body.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
  });

  it('answers a 2 MB body with 413 before reading it all', async () => {
    const big = JSON.stringify({ walletId, amount: '1', description: 'x'.repeat(2 * 1024 * 1024) });
    const res = await h.call('POST', '/api/v1/wallets/deposit', { token: service, raw: big, headers: { 'content-type': 'application/json' } });
    expect([res.status, res.body.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    expect((await h.service.getWallet({ walletId })).balance).toBe('1000');
  });

  it('refuses points that are not safe integers', async () => {
    for (const points of [1.5, '10', 2 ** 53, -1, 0]) {
      const res = await h.call('POST', '/api/v1/wallets/points/earn', { token: service, body: { userId: 'p', points, source: 's' } });
      expect([points, res.status]).toEqual([points, 400]);
    }
  });
});
