import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { honoPath } from '../src/route.js';
import { harness, type Harness } from './support/harness.js';

/** The route table is the one source: the app serves what the document lists, and nothing else. */
describe('the route table', () => {
  let h: Harness;
  let doc: { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
  beforeAll(async () => {
    h = await harness();
    doc = (await h.call('GET', '/api/v1/wallets/openapi.json')).body;
  });

  const documented = () =>
    Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();

  it('documents every route the app serves, and serves every route it documents', () => {
    // A route with a `{param}` is registered twice: a UUID first, any value behind every route.
    const served = [
      ...new Set(h.app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path.replace(/:(\w+)(\{[^/]*\})?/g, '{$1}')}`)),
    ].sort();
    expect(served).toEqual(documented());
    expect(served).toContain('POST /api/v1/wallets/deposit');
  });

  it('has every route of /api/v1/wallets in the contract, docs/API.md', () => {
    const api = readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'API.md'), 'utf8');
    const lines = api.split('\n');
    const missing = documented().filter((route) => {
      const [method, path] = route.split(' ') as [string, string];
      const cut = path.lastIndexOf('/');
      // A row may name siblings after the first: POST `/api/v1/wallets/{id}/freeze`, `/unfreeze`.
      // Or in prose: `GET /api/v1/wallets/console`, and files under a directory as `/…/assets/…`.
      const listed = (line: string) =>
        line.includes(`${method} \`${path}\``) ||
        line.includes(`\`${method} ${path}\``) ||
        (line.includes(`${method} \`${path.slice(0, cut)}/`) && line.includes(`\`${path.slice(cut)}\``)) ||
        (/\/\{\w+\}$/.test(path) && line.includes(`\`${path.slice(0, cut)}/…\``));
      return path.startsWith('/api/v1/wallets') && !lines.some(listed);
    });
    expect(missing).toEqual([]);
  });

  it('answers every documented route from its own handler, with a status the document lists', async () => {
    const admin = await h.token('admin-route-table', 'admin');
    const u = await h.userWithWallet('0');
    const pending = await h.call('POST', '/api/v1/wallets/points/earn', {
      token: admin,
      body: { userId: u.sub, points: 5, source: 'route-table', pending: true },
    });
    const values: Record<string, string> = { id: u.walletId, transactionId: pending.body.transaction.id };
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const url = path.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? 'missing');
        const res = await h.call(method.toUpperCase(), url, { token: admin, ...(method === 'post' ? { body: {} } : {}) });
        expect([method, path, Object.keys(op.responses)]).toEqual([method, path, expect.arrayContaining([String(res.status)])]);
      }
    }
    // Each request was counted under its route's own pattern: none fell through to "not found".
    const metrics = String((await h.call('GET', '/metrics')).body);
    for (const line of documented()) {
      const [method, path] = line.split(' ') as [string, string];
      if (path === '/metrics') continue; // read above, counted after its own answer
      expect(metrics).toContain(`method="${method}",route="${honoPath(path)}"`);
    }
  });
});
