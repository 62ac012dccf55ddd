import { beforeAll, describe, expect, it } from 'vitest';
import { harness, uniqueSub, type Harness } from './support/harness.js';

/** GET and PUT /{id}/limits over HTTP, and LIMIT_EXCEEDED as a problem with its figures, on every route that can answer it. */
describe('wallet limits routes', () => {
  let h: Harness;
  let admin: string;
  let service: string;
  beforeAll(async () => {
    h = await harness({ limits: { VND: { maxBalance: '100000', daily: { deposit: '50000', spend: '30000' } } } });
    admin = await h.token('limits-admin', 'admin');
    service = await h.token('pos-backend', 'service');
  });

  it('lets the owner and an admin read the limits and what is used; only an admin sets them', async () => {
    const u = await h.userWithWallet('20000');
    const read = await h.call('GET', `/api/v1/wallets/${u.walletId}/limits`, { token: u.token });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({
      walletId: u.walletId,
      currency: 'VND',
      timeZone: 'Asia/Ho_Chi_Minh',
      own: null,
      maxBalance: { limit: '100000', used: '20000' },
      daily: { deposit: { limit: '50000', used: '20000' }, spend: { limit: '30000', used: '0' } },
      monthly: { deposit: { limit: null, used: '20000' }, spend: { limit: null, used: '0' } },
    });
    expect((await h.call('GET', `/api/v1/wallets/${u.walletId}/limits`, { token: admin })).body).toEqual(read.body);

    const refused = await h.call('PUT', `/api/v1/wallets/${u.walletId}/limits`, { token: u.token, body: { daily: { spend: '999999' } } });
    expect([refused.status, refused.body.code]).toEqual([403, 'FORBIDDEN']);
    const byService = await h.call('PUT', `/api/v1/wallets/${u.walletId}/limits`, { token: service, body: { daily: { spend: '999999' } } });
    expect([byService.status, byService.body.code]).toEqual([403, 'FORBIDDEN']);

    const set = await h.call('PUT', `/api/v1/wallets/${u.walletId}/limits`, {
      token: admin,
      body: { daily: { spend: '5000' }, monthly: { deposit: '60000' } },
    });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({
      own: { daily: { spend: '5000' }, monthly: { deposit: '60000' } },
      daily: { deposit: { limit: '50000', used: '20000' }, spend: { limit: '5000', used: '0' } },
      monthly: { deposit: { limit: '60000', used: '20000' } },
    });
    expect((await h.call('GET', `/api/v1/wallets/${u.walletId}/limits`, { token: u.token })).body).toEqual(set.body);

    const over = await h.call('POST', '/api/v1/wallets/withdraw', { token: u.token, body: { walletId: u.walletId, amount: '5001' } });
    expect(over.status).toBe(422);
    expect(over.body).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: '5000', period: 'daily', kind: 'spend', used: '0', requested: '5001' });
    expect((await h.call('GET', `/api/v1/wallets/${u.walletId}`, { token: u.token })).body).toMatchObject({ balance: '20000' });
  });

  it("hides someone else's limits as 404; refuses a body with a bad amount or an unknown field, changing nothing", async () => {
    const u = await h.userWithWallet('0');
    const stranger = await h.token(uniqueSub());
    const hidden = await h.call('GET', `/api/v1/wallets/${u.walletId}/limits`, { token: stranger });
    expect([hidden.status, hidden.body.code]).toEqual([404, 'WALLET_NOT_FOUND']);
    const strangerPut = await h.call('PUT', `/api/v1/wallets/${u.walletId}/limits`, { token: stranger, body: {} });
    expect([strangerPut.status, strangerPut.body.code]).toEqual([404, 'WALLET_NOT_FOUND']);
    for (const body of [{ maxBalance: 100 }, { maxBalance: '1.5' }, { maxBalance: '0' }, { daily: { withdraw: '1' } }, { weekly: { spend: '1' } }]) {
      const bad = await h.call('PUT', `/api/v1/wallets/${u.walletId}/limits`, { token: admin, body });
      expect([JSON.stringify(body), bad.status, bad.body.code]).toEqual([JSON.stringify(body), 400, 'VALIDATION_ERROR']);
    }
    expect((await h.call('GET', `/api/v1/wallets/${u.walletId}/limits`, { token: u.token })).body.own).toBeNull();
  });

  it('answers LIMIT_EXCEEDED with its figures on deposits, transfers, holds, captures, split payments and refunds', async () => {
    const payer = await h.userWithWallet('40000');
    const payee = await h.userWithWallet('0');
    await h.call('PUT', `/api/v1/wallets/${payee.walletId}/limits`, { token: admin, body: { daily: { deposit: '500000' } } });
    await h.call('POST', '/api/v1/wallets/deposit', { token: service, body: { walletId: payee.walletId, amount: '90000' } });
    const deposit = await h.call('POST', '/api/v1/wallets/deposit', { token: service, body: { walletId: payer.walletId, amount: '10001' } });
    expect(deposit.body).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: '50000', period: 'daily', kind: 'deposit', used: '40000', requested: '10001' });
    const intoFull = await h.call('POST', '/api/v1/wallets/transfer', {
      token: payer.token,
      body: { fromWalletId: payer.walletId, toWalletId: payee.walletId, amount: '10001' },
    });
    expect(intoFull.body).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: '100000', period: 'balance', kind: 'balance', used: '90000', requested: '10001' });
    const paid = await h.call('POST', '/api/v1/wallets/withdraw', { token: payer.token, body: { walletId: payer.walletId, amount: '25000' } });
    expect(paid.status).toBe(200);
    const hold = await h.call('POST', '/api/v1/wallets/holds', { token: payer.token, body: { walletId: payer.walletId, amount: '5001' } });
    expect(hold.body).toMatchObject({ code: 'LIMIT_EXCEEDED', kind: 'spend', used: '25000', requested: '5001' });
    const placed = await h.call('POST', '/api/v1/wallets/holds', { token: payer.token, body: { walletId: payer.walletId, amount: '5000' } });
    expect(placed.status).toBe(201);
    await h.call('POST', '/api/v1/wallets/withdraw', { token: payer.token, body: { walletId: payer.walletId, amount: '1' } });
    const capture = await h.call('POST', `/api/v1/wallets/holds/${placed.body.id}/capture`, { token: service, body: {} });
    expect(capture.body).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: '30000', used: '25001', requested: '5000' });
    const increment = await h.call('POST', `/api/v1/wallets/holds/${placed.body.id}/increment`, { token: payer.token, body: { amount: '1' } });
    expect(increment.body).toMatchObject({ code: 'LIMIT_EXCEEDED', requested: '5001' });
    const pay = await h.call('POST', '/api/v1/wallets/pay', { token: payer.token, body: { walletId: payer.walletId, amount: '5000', reference: 'ord-9' } });
    expect(pay.body).toMatchObject({ code: 'LIMIT_EXCEEDED', used: '25001', requested: '5000' });
    // A refund gives back the day's use; one that would lift the balance past maxBalance is refused.
    const refunded = await h.call('POST', '/api/v1/wallets/refund', { token: service, body: { transactionId: paid.body.transaction.id, amount: '20000' } });
    expect(refunded.status).toBe(200);
    expect((await h.call('GET', `/api/v1/wallets/${payer.walletId}/limits`, { token: payer.token })).body.daily.spend).toEqual({
      limit: '30000',
      used: '5001',
    });
    const payeePaid = await h.call('POST', '/api/v1/wallets/withdraw', { token: payee.token, body: { walletId: payee.walletId, amount: '20000' } });
    await h.call('POST', '/api/v1/wallets/deposit', { token: service, body: { walletId: payee.walletId, amount: '20000' } });
    const refundPastCap = await h.call('POST', '/api/v1/wallets/refund', { token: service, body: { transactionId: payeePaid.body.transaction.id } });
    expect(refundPastCap.body).toMatchObject({ code: 'LIMIT_EXCEEDED', period: 'balance', used: '90000', requested: '20000' });
    const allowance = await h.call('POST', '/api/v1/wallets/allowances', {
      token: payer.token,
      body: { walletId: payer.walletId, tillId: 'store-1/till-1', amount: '25000' },
    });
    expect(allowance.body).toMatchObject({ code: 'LIMIT_EXCEEDED', used: '5001', requested: '25000' });
  });
});
