import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { SCALAR } from '../src/assets.js';
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

  it('loads its script from this service, the pinned build, and nothing from another origin', async () => {
    const page = await (await h.app.request('/api/v1/wallets/docs')).text();
    const scripts = [...page.matchAll(/<script[^>]*\bsrc="([^"]+)"/g)].map((m) => m[1]);
    expect(scripts).toEqual([`/api/v1/wallets/assets/scalar-api-reference-${SCALAR.version}.js`]);
    expect(page).not.toMatch(/https?:\/\//);
    const script = await h.app.request(scripts[0] as string);
    expect([script.status, script.headers.get('content-type'), script.headers.get('cache-control')]).toEqual([
      200,
      'text/javascript; charset=utf-8',
      'public, max-age=31536000, immutable',
    ]);
    const body = Buffer.from(await script.arrayBuffer());
    expect(createHash('sha256').update(body).digest('hex')).toBe(SCALAR.sha256);
    const again = await h.app.request(scripts[0] as string, { headers: { 'if-none-match': script.headers.get('etag') as string } });
    expect(again.status).toBe(304);
  });

  it('answers 404 problem+json for a file that is not one of its assets', async () => {
    for (const name of ['nope.js', '..%2Fpackage.json', 'constructor']) {
      const res = await h.app.request(`/api/v1/wallets/assets/${name}`);
      expect([res.status, ((await res.json()) as { code: string }).code]).toEqual([404, 'NOT_FOUND']);
    }
  });
});
