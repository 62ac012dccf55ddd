import { beforeAll, describe, expect, it } from 'vitest';
import { harness, uniqueSub, type Harness } from './support/harness.js';

describe('wallet routes', () => {
  let h: Harness;
  let service: string;
  let admin: string;
  beforeAll(async () => {
    h = await harness();
    service = await h.token('pos-backend', 'service');
    admin = await h.token('root', 'admin');
  });

  it("creates the caller's wallet in the default currency (201) and refuses a second one (409)", async () => {
    const sub = uniqueSub();
    const token = await h.token(sub);
    const res = await h.call('POST', '/api/v1/wallets', { token });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ userId: sub, currency: 'VND', balance: '0', status: 'active', version: 1, closedAt: null });
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const again = await h.call('POST', '/api/v1/wallets', { token, body: { currency: 'VND' } });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('WALLET_ALREADY_EXISTS');
    const usd = await h.call('POST', '/api/v1/wallets', { token, body: { currency: 'USD' } });
    expect(usd.body).toMatchObject({ currency: 'USD', balance: '0.00' });
  });

  it('lets only a service or admin create or list wallets for another user', async () => {
    const user = await h.token(uniqueSub());
    const other = uniqueSub();
    expect((await h.call('POST', '/api/v1/wallets', { token: user, body: { userId: other } })).status).toBe(403);
    expect((await h.call('GET', `/api/v1/wallets?userId=${other}`, { token: user })).body.code).toBe('FORBIDDEN');
    const made = await h.call('POST', '/api/v1/wallets', { token: service, body: { userId: other, currency: 'JPY' } });
    expect(made.status).toBe(201);
    expect(made.body.userId).toBe(other);
    const listed = await h.call('GET', `/api/v1/wallets?userId=${other}`, { token: admin });
    expect(listed.body.items.map((w: { id: string }) => w.id)).toEqual([made.body.id]);
  });

  it("lists the caller's wallets and summarises wallets and points", async () => {
    const u = await h.userWithWallet('12000');
    expect((await h.call('GET', '/api/v1/wallets', { token: u.token })).body.items).toHaveLength(1);
    const empty = await h.call('GET', '/api/v1/wallets/summary', { token: u.token });
    expect(empty.body).toMatchObject({ userId: u.sub, wallets: [{ id: u.walletId, balance: '12000' }], points: null });
    await h.call('POST', '/api/v1/wallets/points/earn', { token: service, body: { userId: u.sub, points: 9, source: 'order:1' } });
    const full = await h.call('GET', `/api/v1/wallets/summary?userId=${u.sub}`, { token: service });
    expect(full.body.points).toMatchObject({ availablePoints: 9, totalPoints: 9, pendingPoints: 0 });
  });

  it('shows a wallet to its owner and to services; to anyone else it does not exist', async () => {
    const u = await h.userWithWallet('5');
    expect((await h.call('GET', `/api/v1/wallets/${u.walletId}`, { token: u.token })).body.balance).toBe('5');
    expect((await h.call('GET', `/api/v1/wallets/${u.walletId}`, { token: service })).status).toBe(200);
    const stranger = await h.token(uniqueSub());
    const hidden = await h.call('GET', `/api/v1/wallets/${u.walletId}`, { token: stranger });
    const missing = await h.call('GET', '/api/v1/wallets/00000000-0000-4000-8000-0000000000aa', { token: stranger });
    expect([hidden.status, hidden.body.code]).toEqual([404, 'WALLET_NOT_FOUND']);
    expect([missing.status, missing.body.code]).toEqual([404, 'WALLET_NOT_FOUND']);
    expect((await h.call('GET', `/api/v1/wallets/${u.walletId}/transactions`, { token: stranger })).status).toBe(404);
  });

  it('deposits for services only: 403 for the owner, 404 for a stranger', async () => {
    const u = await h.userWithWallet();
    const body = { walletId: u.walletId, amount: '250000', description: 'cash top-up', reference: 'slip-1' };
    const own = await h.call('POST', '/api/v1/wallets/deposit', { token: u.token, body });
    expect([own.status, own.body.code]).toEqual([403, 'FORBIDDEN']);
    const stranger = await h.call('POST', '/api/v1/wallets/deposit', { token: await h.token(uniqueSub()), body });
    expect([stranger.status, stranger.body.code]).toEqual([404, 'WALLET_NOT_FOUND']);
    const ok = await h.call('POST', '/api/v1/wallets/deposit', { token: service, body });
    expect(ok.status).toBe(200);
    expect(ok.body.wallet).toMatchObject({ id: u.walletId, balance: '250000', version: 2 });
    expect(ok.body.transaction).toMatchObject({ type: 'deposit', amount: '250000', balanceAfter: '250000', description: 'cash top-up', reference: 'slip-1' });
  });

  it('lets the owner pay from its wallet, never below zero, and nobody else', async () => {
    const u = await h.userWithWallet('100000');
    const paid = await h.call('POST', '/api/v1/wallets/withdraw', { token: u.token, body: { walletId: u.walletId, amount: '125000' } });
    expect([paid.status, paid.body.code]).toEqual([422, 'INSUFFICIENT_FUNDS']);
    const ok = await h.call('POST', '/api/v1/wallets/withdraw', { token: u.token, body: { walletId: u.walletId, amount: '99999', reference: 'ord-7' } });
    expect(ok.body.wallet.balance).toBe('1');
    expect(ok.body.transaction).toMatchObject({ type: 'withdrawal', amount: '99999', balanceAfter: '1', reference: 'ord-7' });
    const theft = await h.call('POST', '/api/v1/wallets/withdraw', { token: await h.token(uniqueSub()), body: { walletId: u.walletId, amount: '1' } });
    expect([theft.status, theft.body.code]).toEqual([404, 'WALLET_NOT_FOUND']);
    const bySvc = await h.call('POST', '/api/v1/wallets/withdraw', { token: service, body: { walletId: u.walletId, amount: '1' } });
    expect(bySvc.body.wallet.balance).toBe('0');
  });

  it("transfers from the caller's wallet and answers with the source side only", async () => {
    const a = await h.userWithWallet('300000');
    const b = await h.userWithWallet('7');
    const res = await h.call('POST', '/api/v1/wallets/transfer', {
      token: a.token,
      body: { fromWalletId: a.walletId, toWalletId: b.walletId, amount: '120000', description: 'rent' },
    });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['transaction', 'transferId', 'wallet']);
    expect(res.body.wallet).toMatchObject({ id: a.walletId, balance: '180000' });
    expect(res.body.transaction).toMatchObject({ type: 'transfer_out', amount: '120000', transferId: res.body.transferId });
    expect(JSON.stringify(res.body)).not.toContain('120007');
    expect((await h.call('GET', `/api/v1/wallets/${b.walletId}`, { token: b.token })).body.balance).toBe('120007');
    const reverse = await h.call('POST', '/api/v1/wallets/transfer', {
      token: a.token,
      body: { fromWalletId: b.walletId, toWalletId: a.walletId, amount: '1' },
    });
    expect([reverse.status, reverse.body.code]).toEqual([404, 'WALLET_NOT_FOUND']);
    const same = await h.call('POST', '/api/v1/wallets/transfer', { token: a.token, body: { fromWalletId: a.walletId, toWalletId: a.walletId, amount: '1' } });
    expect([same.status, same.body.code]).toEqual([422, 'SAME_WALLET']);
    const usd = await h.userWithWallet('0', 'USD');
    const mismatch = await h.call('POST', '/api/v1/wallets/transfer', {
      token: a.token,
      body: { fromWalletId: a.walletId, toWalletId: usd.walletId, amount: '1' },
    });
    expect([mismatch.status, mismatch.body.code]).toEqual([422, 'CURRENCY_MISMATCH']);
  });

  it('freezes, unfreezes and closes for admins only; a frozen wallet moves no money; a closed one stays readable', async () => {
    const u = await h.userWithWallet('10');
    const path = `/api/v1/wallets/${u.walletId}`;
    expect((await h.call('POST', `${path}/freeze`, { token: u.token })).status).toBe(403);
    expect((await h.call('POST', `${path}/freeze`, { token: service })).status).toBe(403);
    expect((await h.call('POST', `${path}/freeze`, { token: await h.token(uniqueSub()) })).status).toBe(404);
    const frozen = await h.call('POST', `${path}/freeze`, { token: admin, body: { reason: 'chargeback review' } });
    expect(frozen.body.status).toBe('frozen');
    const blocked = await h.call('POST', '/api/v1/wallets/withdraw', { token: u.token, body: { walletId: u.walletId, amount: '1' } });
    expect([blocked.status, blocked.body.code]).toEqual([409, 'WALLET_FROZEN']);
    expect((await h.call('POST', `${path}/unfreeze`, { token: admin })).body.status).toBe('active');
    const notEmpty = await h.call('POST', `${path}/close`, { token: admin });
    expect([notEmpty.status, notEmpty.body.code]).toEqual([409, 'WALLET_NOT_EMPTY']);
    await h.call('POST', '/api/v1/wallets/withdraw', { token: u.token, body: { walletId: u.walletId, amount: '10' } });
    const closed = await h.call('POST', `${path}/close`, { token: admin, body: { reason: 'customer left' } });
    expect(closed.body).toMatchObject({ status: 'closed', balance: '0' });
    const dep = await h.call('POST', '/api/v1/wallets/deposit', { token: service, body: { walletId: u.walletId, amount: '1' } });
    expect([dep.status, dep.body.code]).toEqual([409, 'WALLET_CLOSED']);
    expect((await h.call('GET', path, { token: u.token })).body.status).toBe('closed');
  });

  it('pages history newest first with a keyset cursor, filters by type, and validates the query', async () => {
    const u = await h.userWithWallet();
    for (let i = 1; i <= 5; i++) await h.call('POST', '/api/v1/wallets/deposit', { token: service, body: { walletId: u.walletId, amount: String(i * 100) } });
    await h.call('POST', '/api/v1/wallets/withdraw', { token: u.token, body: { walletId: u.walletId, amount: '50' } });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: { status: number; body: any } = await h.call('GET', `/api/v1/wallets/${u.walletId}/transactions?limit=4${cursor ? `&cursor=${cursor}` : ''}`, {
        token: u.token,
      });
      expect(res.status).toBe(200);
      seen.push(...res.body.items.map((t: { amount: string }) => t.amount));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(2);
    expect(seen).toEqual(['50', '500', '400', '300', '200', '100']);
    const deposits = await h.call('GET', `/api/v1/wallets/${u.walletId}/transactions?type=withdrawal`, { token: u.token });
    expect(deposits.body.items.map((t: { type: string }) => t.type)).toEqual(['withdrawal']);
    for (const bad of ['limit=0', 'limit=201', 'limit=abc', 'limit=1.5', 'type=refund', 'cursor=%25%25']) {
      const res = await h.call('GET', `/api/v1/wallets/${u.walletId}/transactions?${bad}`, { token: u.token });
      expect([bad, res.status, res.body.code]).toEqual([bad, 400, 'VALIDATION_ERROR']);
    }
  });

  it('answers an unknown route with a problem document', async () => {
    const res = await h.call('DELETE', '/api/v1/wallets/00000000-0000-4000-8000-000000000001', { token: admin });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
  });
});
