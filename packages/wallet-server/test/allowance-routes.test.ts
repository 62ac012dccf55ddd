import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { harness, uniqueSub, type Harness } from './support/harness.js';

/** Offline allowances over HTTP: who may open, read, sync and settle, and the figures a till acts on. */
describe('allowance routes', () => {
  let h: Harness;
  let service: string;
  beforeAll(async () => {
    h = await harness();
    service = await h.token('pos-backend', 'service');
  });

  const sale = (seq: number, amount: string, extra: Record<string, string> = {}) => ({
    seq,
    amount,
    occurredAt: `2026-12-07T0${seq % 10}:15:00+07:00`,
    ...extra,
  });

  it('lets the owner open and read, only a service sync and settle, and hides allowances of others', async () => {
    const u = await h.userWithWallet('100000');
    const merchant = await h.userWithWallet('0');
    const stranger = await h.token(uniqueSub());
    const open = (token: string, body: Record<string, unknown>) => h.call('POST', '/api/v1/wallets/allowances', { token, body });
    expect((await open(stranger, { walletId: u.walletId, tillId: 'till-1', amount: '1' })).body.code).toBe('WALLET_NOT_FOUND');
    const opened = await open(u.token, { walletId: u.walletId, tillId: 'till-1', amount: '60000', maxSpendAmount: '30000' });
    expect(opened.status).toBe(201);
    expect(opened.body).toMatchObject({ walletId: u.walletId, tillId: 'till-1', amount: '60000', spentAmount: '0', lastSeq: 0, status: 'active' });
    const again = await open(service, { walletId: u.walletId, tillId: 'till-1', amount: '1' });
    expect([again.status, again.body.code]).toEqual([409, 'ALLOWANCE_EXISTS']);
    expect((await open(u.token, { walletId: u.walletId, tillId: 'till-2', amount: '1', extra: 1 })).status).toBe(400);
    expect((await open(u.token, { walletId: u.walletId, tillId: ' till-2', amount: '1' })).status).toBe(400);
    expect((await h.call('GET', `/api/v1/wallets/${u.walletId}`, { token: u.token })).body).toMatchObject({
      heldAmount: '60000',
      availableBalance: '40000',
    });
    const path = `/api/v1/wallets/allowances/${opened.body.id}`;
    expect((await h.call('GET', path, { token: u.token })).body).toEqual(opened.body);
    expect((await h.call('GET', path, { token: stranger })).body.code).toBe('ALLOWANCE_NOT_FOUND');
    expect((await h.call('GET', `/api/v1/wallets/${u.walletId}/allowances?status=active`, { token: u.token })).body.items).toEqual([opened.body]);
    expect((await h.call('GET', `/api/v1/wallets/${u.walletId}/allowances`, { token: stranger })).status).toBe(404);

    const byOwner = await h.call('POST', `${path}/sync`, { token: u.token, body: { spends: [sale(1, '1000')] } });
    expect([byOwner.status, byOwner.body.code]).toEqual([403, 'FORBIDDEN']);
    const spends = [sale(1, '12000', { reference: 'r-1' }), sale(2, '20000', { toWalletId: merchant.walletId })];
    const synced = await h.call('POST', `${path}/sync`, { token: service, body: { spends }, headers: { 'X-Request-Id': 'req-sync-1' } });
    expect(synced.status).toBe(200);
    expect(synced.body.allowance).toMatchObject({ spentAmount: '32000', spendCount: 2, lastSeq: 2 });
    expect(synced.body.results.map((r: { status: string }) => r.status)).toEqual(['booked', 'booked']);
    const history = await h.call('GET', `/api/v1/wallets/${u.walletId}/transactions`, { token: u.token });
    expect(history.body.items[0]).toMatchObject({
      type: 'transfer_out',
      allowanceId: opened.body.id,
      allowanceSeq: 2,
      holdId: opened.body.id,
      occurredAt: '2026-12-06T19:15:00.000Z',
      actor: { sub: 'pos-backend', role: 'service' },
    });
    expect(history.body.items[0].occurredAt).not.toBe(history.body.items[0].createdAt);
    // The connection dropped after the commit: the till sends the same spends again.
    const retried = await h.call('POST', `${path}/sync`, { token: service, body: { spends } });
    expect(retried.body.results).toEqual(synced.body.results.map((r: object) => ({ ...r, status: 'replayed' })));

    const gap = await h.call('POST', `${path}/sync`, { token: service, body: { spends: [sale(4, '1')] } });
    expect(gap.status).toBe(409);
    expect(gap.headers.get('content-type')).toBe('application/problem+json');
    expect(gap.body).toMatchObject({ code: 'ALLOWANCE_SEQ_GAP', expectedSeq: 3, status: 409 });
    const conflict = await h.call('POST', `${path}/sync`, { token: service, body: { spends: [sale(2, '20000')] } });
    expect(conflict.body).toMatchObject({ status: 409, code: 'ALLOWANCE_SEQ_CONFLICT', seq: 2, lastSeq: 2 });
    const over = await h.call('POST', `${path}/sync`, { token: service, body: { spends: [sale(3, '30001')] } });
    expect(over.body).toMatchObject({ status: 422, code: 'ALLOWANCE_EXCEEDED', cap: 'maxSpendAmount', limit: '30000', requested: '30001' });
    const tooMany = await h.call('POST', `${path}/sync`, { token: service, body: { spends: Array.from({ length: 501 }, (_, i) => sale(i + 1, '1')) } });
    expect(tooMany.status).toBe(400);
    expect((await h.call('POST', `${path}/sync`, { token: service, body: { spends: [{ ...sale(3, '1'), amount: 1 }] } })).status).toBe(400);

    expect((await h.call('POST', `${path}/settle`, { token: u.token, body: { lastSeq: 2 } })).status).toBe(403);
    const early = await h.call('POST', `${path}/settle`, { token: service, body: { lastSeq: 3 } });
    expect(early.body).toMatchObject({ code: 'ALLOWANCE_SEQ_GAP', expectedSeq: 3 });
    const settled = await h.call('POST', `${path}/settle`, { token: service, body: { lastSeq: 2 } });
    expect(settled.body).toMatchObject({ status: 'settled', spentAmount: '32000' });
    expect((await h.call('GET', `/api/v1/wallets/${u.walletId}`, { token: u.token })).body).toMatchObject({
      balance: '68000',
      heldAmount: '0',
      availableBalance: '68000',
    });
    const late = await h.call('POST', `${path}/sync`, { token: service, body: { spends: [sale(3, '1')] } });
    expect(late.body).toMatchObject({ status: 409, code: 'ALLOWANCE_NOT_ACTIVE', allowanceStatus: 'settled' });
    expect((await h.call('GET', `/api/v1/wallets/allowances/00000000-0000-4000-8000-000000000001`, { token: service })).body.code).toBe('ALLOWANCE_NOT_FOUND');
  });

  it('documents every allowance route and its problem figures in the OpenAPI document', async () => {
    const doc = (await h.call('GET', '/api/v1/wallets/openapi.json')).body;
    for (const [path, method] of [
      ['/api/v1/wallets/allowances', 'post'],
      ['/api/v1/wallets/allowances/{id}', 'get'],
      ['/api/v1/wallets/{id}/allowances', 'get'],
      ['/api/v1/wallets/allowances/{id}/sync', 'post'],
      ['/api/v1/wallets/allowances/{id}/settle', 'post'],
    ] as const) {
      expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    }
    expect(doc.paths['/api/v1/wallets/allowances/{id}/sync'].post.responses['409']).toBeDefined();
    expect(Object.keys(doc.components.schemas.Problem.properties)).toEqual(expect.arrayContaining(['expectedSeq', 'allowanceStatus', 'cap']));
    expect(doc.components.schemas.WalletTransaction.required).toEqual(expect.arrayContaining(['occurredAt', 'allowanceId', 'allowanceSeq']));
  });
});

describe('allowance settings', () => {
  it('reads WALLET_ALLOWANCE_TTL (default 24 h, at most 7 days) and WALLET_ALLOWANCE_SYNC_GRACE (default 72 h, at most 30 days)', () => {
    expect(loadConfig({})).toMatchObject({ WALLET_ALLOWANCE_TTL: 86_400_000, WALLET_ALLOWANCE_SYNC_GRACE: 259_200_000 });
    expect(loadConfig({ WALLET_ALLOWANCE_TTL: '8h', WALLET_ALLOWANCE_SYNC_GRACE: '5d' })).toMatchObject({
      WALLET_ALLOWANCE_TTL: 28_800_000,
      WALLET_ALLOWANCE_SYNC_GRACE: 432_000_000,
    });
    expect(() => loadConfig({ WALLET_ALLOWANCE_TTL: '8d' })).toThrow(ConfigError);
    expect(() => loadConfig({ WALLET_ALLOWANCE_SYNC_GRACE: '0h' })).toThrow(ConfigError);
  });
});
