import { beforeAll, describe, expect, it } from 'vitest';
import { harness, type Harness } from './support/harness.js';

describe('the browsable API reference', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });

  it('is an HTML page at /api/v1/wallets/docs, without a token, reading the OpenAPI document of this service', async () => {
    const res = await h.app.request('/api/v1/wallets/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await res.text();
    expect(page).toContain('/api/v1/wallets/openapi.json');
    expect(page).toContain('<title>GoodGo wallet API</title>');
    expect((await h.app.request('/api/v1/wallets/openapi.json')).status).toBe(200);
  });
});
