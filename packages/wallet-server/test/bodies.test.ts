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

  describe('text that is not well-formed UTF-8 is refused, never replaced', () => {
    const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

    it.each([
      ['an invalid byte', [0xff]],
      ['a truncated sequence', [0xe1, 0x80]],
      ['an overlong encoding', [0xc0, 0xaf]],
      ['an encoded surrogate', [0xed, 0xa0, 0x80]],
    ])('a body with %s in userId: 400 VALIDATION_ERROR, no wallet', async (_what, bad) => {
      const userId = `bytes-${Math.random().toString(36).slice(2, 8)}`;
      const res = await h.app.request('/api/v1/wallets', {
        method: 'POST',
        headers: { authorization: `Bearer ${service}`, 'content-type': 'application/json' },
        body: bytes(`{"userId":"${userId}`, bad, '"}'),
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { code: string }).code).toBe('VALIDATION_ERROR');
      for (const candidate of [userId, `${userId}\uFFFD`, `${userId}\uFFFD\uFFFD`]) {
        expect(await h.service.listWallets({ userId: candidate })).toEqual([]);
      }
    });

    it.each([['%ED%A0%80'], ['%FF'], ['abc%E1%80'], ['%C0%AF']])('a query userId=%s: 400 VALIDATION_ERROR', async (encoded) => {
      for (const path of ['/api/v1/wallets', '/api/v1/wallets/summary']) {
        const res = await h.call('GET', `${path}?userId=${encoded}`, { token: service });
        expect([path, res.status, res.body.code]).toEqual([path, 400, 'VALIDATION_ERROR']);
      }
    });

    it('well-formed text in any script still passes, in the body and the query', async () => {
      const userId = `khách-${Math.random().toString(36).slice(2, 8)}-😀`;
      const created = await h.call('POST', '/api/v1/wallets', { token: service, body: { userId } });
      expect(created.status).toBe(201);
      const listed = await h.call('GET', `/api/v1/wallets?userId=${encodeURIComponent(userId)}`, { token: service });
      expect([listed.status, listed.body.items.map((w: { id: string }) => w.id)]).toEqual([200, [created.body.id]]);
    });
  });
});
