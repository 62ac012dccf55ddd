import { beforeAll, describe, expect, it } from 'vitest';
import { harness, type Harness } from './support/harness.js';

/** Metadata over HTTP: sent on commands, answered, filtered in history by `metadata.<key>`, and hostile labels refused. */
describe('metadata over HTTP', () => {
  let h: Harness;
  let service: string;
  beforeAll(async () => {
    h = await harness();
    service = await h.token('pos-backend', 'service');
  });

  it('answers the metadata a command was sent with, and filters history by metadata.<key> (all keys must match)', async () => {
    const u = await h.userWithWallet('0');
    const deposit = (amount: string, metadata?: Record<string, string>) =>
      h.call('POST', '/api/v1/wallets/deposit', { token: service, body: { walletId: u.walletId, amount, ...(metadata ? { metadata } : {}) } });
    const first = await deposit('100', { store: 'S12', till: '1' });
    expect([first.status, first.body.transaction.metadata]).toEqual([200, { store: 'S12', till: '1' }]);
    await deposit('200', { store: 'S12', till: '2' });
    await deposit('300', { store: 'S13', till: '1' });
    await deposit('400');
    const amounts = async (query: string) => {
      const res = await h.call('GET', `/api/v1/wallets/${u.walletId}/transactions?${query}`, { token: u.token });
      expect(res.status).toBe(200);
      return res.body.items.map((t: { amount: string }) => t.amount);
    };
    expect(await amounts('metadata.store=S12')).toEqual(['200', '100']);
    expect(await amounts('metadata.store=S12&metadata.till=1')).toEqual(['100']);
    expect(await amounts('metadata.till=1&type=deposit')).toEqual(['300', '100']);
    expect(await amounts('metadata[store]=S13')).toEqual(['300']);
    expect(await amounts('metadata.store=S14')).toEqual([]);
    expect(await amounts('limit=1&metadata.store=S12')).toEqual(['200']);
    // Percent-encoded names and values are decoded first.
    expect(await amounts('metadata.st%6Fre=S%312')).toEqual(['200', '100']);
  });

  it('filters points history by metadata too', async () => {
    const u = await h.userWithWallet('0');
    for (const [points, store] of [
      [10, 'S1'],
      [20, 'S2'],
    ] as const) {
      await h.call('POST', '/api/v1/wallets/points/earn', { token: service, body: { userId: u.sub, points, source: 'order', metadata: { store } } });
    }
    const res = await h.call('GET', '/api/v1/wallets/points/transactions?metadata.store=S2', { token: u.token });
    expect([res.status, res.body.items.map((t: { points: number; metadata: unknown }) => [t.points, t.metadata])]).toEqual([200, [[20, { store: 'S2' }]]]);
  });

  it('refuses a hostile filter with 400 VALIDATION_ERROR', async () => {
    const u = await h.userWithWallet('10');
    const bad = [
      'metadata.bad%20key=x',
      'metadata.=x',
      `metadata.${'k'.repeat(41)}=x`,
      `metadata.store=${'x'.repeat(201)}`,
      'metadata.store=S1%00',
      'metadata.store=%1B',
      'metadata=S12',
      'metadata=S12&metadata.store=S12',
      'metadata.__proto__=x',
      Array.from({ length: 21 }, (_, i) => `metadata.k${i}=v`).join('&'),
    ];
    for (const query of bad) {
      const res = await h.call('GET', `/api/v1/wallets/${u.walletId}/transactions?${query}`, { token: u.token });
      expect([query, res.status, res.body.code]).toEqual([query, 400, 'VALIDATION_ERROR']);
    }
  });

  it('shows metadata in the OpenAPI document: on bodies, on answers, and the filter as a deepObject query parameter', async () => {
    const res = await h.call('GET', '/api/v1/wallets/openapi.json');
    const doc = res.body;
    const history = doc.paths['/api/v1/wallets/{id}/transactions'].get;
    const param = history.parameters.find((p: { name: string }) => p.name === 'metadata');
    expect(param).toMatchObject({ in: 'query', style: 'deepObject', explode: true });
    expect(param.description).toContain('metadata.<key>=<value>');
    const deposit = doc.paths['/api/v1/wallets/deposit'].post.requestBody.content['application/json'].schema;
    const depositBody = deposit.$ref ? doc.components.schemas[deposit.$ref.split('/').pop()] : deposit;
    expect(Object.keys(depositBody.properties)).toContain('metadata');
    expect(Object.keys(doc.components.schemas.WalletTransaction.properties)).toContain('metadata');
    expect(Object.keys(doc.components.schemas.Hold.properties)).toContain('metadata');
    expect(Object.keys(doc.components.schemas.Allowance.properties)).toContain('metadata');
    expect(Object.keys(doc.components.schemas.PointTransaction.properties)).toContain('metadata');
  });
});
