import type { WalletStore } from '@goodgo/wallet-core';
import { MemoryWalletStore } from '@goodgo/wallet-core';
import { createPgliteStore } from '@goodgo/wallet-pg/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness, uniqueSub, type Harness } from './support/harness.js';

/** Reading the books over HTTP: balance at an instant, statements, filtered history, the admin search. */
describe.each([
  ['memory', async (): Promise<WalletStore> => new MemoryWalletStore()],
  ['PGlite', async (): Promise<WalletStore> => createPgliteStore()],
])('book routes on %s', (_name, makeStore) => {
  let h: Harness;
  let admin: string;
  let service: string;
  beforeAll(async () => {
    h = await harness({ store: await makeStore() });
    admin = await h.token('auditor-1', 'admin');
    service = await h.token('pos-backend', 'service');
  });
  afterAll(() => h.store.close());

  const enc = encodeURIComponent;

  it('answers the owner the balance at an instant and a statement, hides them from others, and refuses bad times with 400', async () => {
    const u = await h.userWithWallet('200000');
    const before = new Date(Date.now() - 60_000).toISOString();
    const paid = await h.call('POST', '/api/v1/wallets/withdraw', { token: u.token, body: { walletId: u.walletId, amount: '50000', reference: 'ord-7' } });
    expect(paid.status).toBe(200);
    // `to` is exclusive: on the memory store the withdrawal can be dated in the very millisecond the
    // answer arrives, and a `now` read then would leave it out of the statement.
    await new Promise((resolve) => setTimeout(resolve, 3));
    const now = new Date().toISOString();

    const balance = await h.call('GET', `/api/v1/wallets/${u.walletId}/balance?at=${enc(now)}`, { token: u.token });
    expect(balance).toMatchObject({ status: 200, body: { walletId: u.walletId, at: now, balance: '150000' } });
    expect((await h.call('GET', `/api/v1/wallets/${u.walletId}/balance?at=${enc(before)}`, { token: u.token })).body.balance).toBe('0');

    const statement = await h.call('GET', `/api/v1/wallets/${u.walletId}/statement?from=${enc(before)}&to=${enc(now)}`, { token: u.token });
    expect(statement.status).toBe(200);
    expect(statement.body).toMatchObject({
      walletId: u.walletId,
      currency: 'VND',
      openingBalance: '0',
      count: 2,
      totals: { deposit: '200000', withdrawal: '50000', transfer_in: '0' },
    });
    // `to` is exclusive: the rows of this very millisecond may fall after it, never half in.
    expect(['150000', '200000', '0']).toContain(statement.body.closingBalance);

    const stranger = await h.token(uniqueSub());
    for (const path of [`balance?at=${enc(now)}`, `statement?from=${enc(before)}&to=${enc(now)}`]) {
      const hidden = await h.call('GET', `/api/v1/wallets/${u.walletId}/${path}`, { token: stranger });
      expect([hidden.status, hidden.body.code]).toEqual([404, 'WALLET_NOT_FOUND']);
      expect((await h.call('GET', `/api/v1/wallets/${u.walletId}/${path}`, { token: service })).status).toBe(200);
      expect((await h.call('GET', `/api/v1/wallets/${u.walletId}/${path}`)).status).toBe(401);
    }

    const bad = [
      'balance',
      'balance?at=yesterday',
      `balance?at=${enc(new Date(Date.now() + 3_600_000).toISOString())}`,
      `statement?from=${enc(now)}`,
      `statement?from=${enc(now)}&to=${enc(now)}`,
      `statement?from=${enc(now)}&to=${enc(before)}`,
      `statement?from=2020-01-01T00:00:00Z&to=2021-01-02T00:00:00Z`,
    ];
    for (const path of bad) {
      const res = await h.call('GET', `/api/v1/wallets/${u.walletId}/${path}`, { token: u.token });
      expect([path, res.status, res.body.code]).toEqual([path, 400, 'VALIDATION_ERROR']);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    expect((await h.call('GET', `/api/v1/wallets/not-a-uuid/balance?at=${enc(now)}`, { token: u.token })).status).toBe(400);
  });

  it('filters history by reference and period, combined with type and the cursor', async () => {
    const u = await h.userWithWallet('100000');
    const from = new Date(Date.now() - 1).toISOString();
    for (const ref of ['ord-1', 'ord-2', 'ord-1']) {
      expect(
        (await h.call('POST', '/api/v1/wallets/withdraw', { token: u.token, body: { walletId: u.walletId, amount: '1000', reference: ref } })).status,
      ).toBe(200);
    }
    const byRef = await h.call('GET', `/api/v1/wallets/${u.walletId}/transactions?reference=ord-1&limit=1`, { token: u.token });
    expect(byRef.body.items).toHaveLength(1);
    expect(byRef.body.items[0]).toMatchObject({ reference: 'ord-1', type: 'withdrawal' });
    const next = await h.call('GET', `/api/v1/wallets/${u.walletId}/transactions?reference=ord-1&limit=1&cursor=${byRef.body.nextCursor}`, { token: u.token });
    expect(next.body.items.map((t: { reference: string }) => t.reference)).toEqual(['ord-1']);
    expect(next.body.items[0].id).not.toBe(byRef.body.items[0].id);

    const to = new Date(Date.now() + 1000).toISOString();
    const period = await h.call('GET', `/api/v1/wallets/${u.walletId}/transactions?type=withdrawal&from=${enc(from)}&to=${enc(to)}`, { token: u.token });
    expect(period.status).toBe(200);
    expect(period.body.items.map((t: { reference: string }) => t.reference)).toEqual(['ord-1', 'ord-2', 'ord-1']);
    expect(period.body.nextCursor).toBeNull();

    for (const query of [`from=${enc(to)}&to=${enc(from)}`, 'from=later', `reference=${'x'.repeat(256)}`]) {
      const res = await h.call('GET', `/api/v1/wallets/${u.walletId}/transactions?${query}`, { token: u.token });
      expect([query, res.status, res.body.code]).toEqual([query, 400, 'VALIDATION_ERROR']);
    }
  });

  it('lets only an admin search wallets, by keyset', async () => {
    const sub = uniqueSub('searched');
    const userToken = await h.token(sub);
    for (const currency of ['VND', 'USD', 'EUR']) {
      expect((await h.call('POST', '/api/v1/wallets', { token: userToken, body: { currency } })).status).toBe(201);
    }
    const first = await h.call('GET', `/api/v1/wallets/admin/wallets?userId=${sub}&limit=2`, { token: admin });
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(2);
    const rest = await h.call('GET', `/api/v1/wallets/admin/wallets?userId=${sub}&limit=2&cursor=${first.body.nextCursor}`, { token: admin });
    expect(rest.body.items).toHaveLength(1);
    expect(rest.body.nextCursor).toBeNull();
    expect(new Set([...first.body.items, ...rest.body.items].map((w: { currency: string }) => w.currency))).toEqual(new Set(['VND', 'USD', 'EUR']));
    const usd = await h.call('GET', `/api/v1/wallets/admin/wallets?userId=${sub}&currency=USD&status=active`, { token: admin });
    expect(usd.body.items.map((w: { currency: string }) => w.currency)).toEqual(['USD']);

    for (const token of [userToken, service]) {
      const res = await h.call('GET', '/api/v1/wallets/admin/wallets', { token });
      expect([res.status, res.body.code]).toEqual([403, 'FORBIDDEN']);
    }
    expect((await h.call('GET', '/api/v1/wallets/admin/wallets')).status).toBe(401);
    for (const query of ['status=gone', 'currency=usd', 'limit=0', 'limit=1e2', 'cursor=%21%21', `cursor=${Buffer.from('p:1').toString('base64url')}`]) {
      const res = await h.call('GET', `/api/v1/wallets/admin/wallets?${query}`, { token: admin });
      expect([query, res.status, res.body.code]).toEqual([query, 400, 'VALIDATION_ERROR']);
    }
  });
});
