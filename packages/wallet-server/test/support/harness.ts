import { MemoryWalletStore, WalletService, type Clock, type WalletServiceOptions, type WalletStore } from '@goodgo/wallet-core';
import type { Hono } from 'hono';
import { createApp } from '../../src/app.js';
import { createAuthenticator } from '../../src/auth.js';
import type { AppEnv } from '../../src/deps.js';
import { Metrics } from '../../src/metrics.js';
import { problemCodes, type AnyRoute } from '../../src/route.js';
import { ROUTES } from '../../src/routes/index.js';
import type { CallerRateLimiter } from '../../src/rate-limit.js';
import { mintToken } from '../../src/token.js';

export const SECRET = 'test-secret-test-secret-test-secret-0123456789';

export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface Harness {
  app: Hono<AppEnv>;
  service: WalletService;
  store: WalletStore;
  metrics: Metrics;
  token(sub: string, ...roles: string[]): Promise<string>;
  call<T = any>(method: string, path: string, o?: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> }): Promise<Reply<T>>;
  /** A fresh user with a funded VND wallet, created through the API. */
  userWithWallet(balance?: string, currency?: string): Promise<{ sub: string; token: string; walletId: string }>;
}

/** Each route with the pattern of its path (a `{param}` is one segment). */
const ROUTE_PATTERNS = ROUTES.filter((r) => r.role !== 'anyone').map((r): [RegExp, AnyRoute] => [new RegExp(`^${r.path.replace(/\{\w+\}/g, '[^/]+')}$`), r]);

/**
 * Every problem a route answers in any test must be one its OpenAPI document names for that
 * status: the document is what a generated client knows, so an answer it does not list is a bug
 * of the route's declaration (`codes`). A route with a static segment wins over a `{param}` one.
 */
function assertDocumented(method: string, path: string, status: number, body: unknown): void {
  const code = (body as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || code === 'NOT_FOUND') return;
  const matches = ROUTE_PATTERNS.filter(([pattern, r]) => r.method === method.toLowerCase() && pattern.test(path.split('?')[0] ?? ''));
  const r = matches.find(([, r]) => !r.path.includes('{'))?.[1] ?? matches[0]?.[1];
  if (r === undefined) return;
  const listed = [...problemCodes(r)].find(([s]) => s === status)?.[1] ?? [];
  if (!listed.some((c) => c === code)) {
    throw new Error(`${method} ${r.path} answered ${status} ${code}, which its OpenAPI document does not list (${listed.join(', ') || 'no codes'})`);
  }
}

let users = 0;
export const uniqueSub = (p = 'u') => `${p}-${++users}-${Math.random().toString(36).slice(2, 7)}`;

export async function harness(
  options: {
    store?: WalletStore;
    rateLimiter?: CallerRateLimiter;
    metrics?: Metrics;
    clock?: Clock | undefined;
    limits?: WalletServiceOptions['limits'];
  } = {},
): Promise<Harness> {
  const store = options.store ?? new MemoryWalletStore();
  const service = new WalletService({ store, defaultCurrency: 'VND', maxAmount: '1000000000', clock: options.clock, limits: options.limits });
  const metrics = options.metrics ?? new Metrics({ defaultMetrics: false });
  const auth = createAuthenticator({ kind: 'secret', secret: SECRET });
  const app = createApp({ service, store, auth, metrics, eventsPollMs: 20, rateLimiter: options.rateLimiter });
  const token = (sub: string, ...roles: string[]) => mintToken({ sub, roles, secret: SECRET });
  const adminToken = await token('admin-1', 'admin');

  const call: Harness['call'] = async (method, path, o = {}) => {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    let body: string | undefined = o.raw;
    if (o.body !== undefined) {
      body = JSON.stringify(o.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await app.request(path, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON (metrics text): keep the text
    }
    if (res.headers.get('content-type')?.startsWith('application/problem+json')) assertDocumented(method, path, res.status, parsed);
    return { status: res.status, body: parsed as never, headers: res.headers };
  };

  return {
    app,
    service,
    store,
    metrics,
    token,
    call,
    async userWithWallet(balance = '0', currency = 'VND') {
      const sub = uniqueSub();
      const t = await token(sub);
      const created = await call('POST', '/api/v1/wallets', { token: t, body: { currency } });
      if (created.status !== 201) throw new Error(`create failed: ${JSON.stringify(created.body)}`);
      if (balance !== '0') {
        const dep = await call('POST', '/api/v1/wallets/deposit', { token: adminToken, body: { walletId: created.body.id, amount: balance } });
        if (dep.status !== 200) throw new Error(`deposit failed: ${JSON.stringify(dep.body)}`);
      }
      return { sub, token: t, walletId: created.body.id as string };
    },
  };
}
