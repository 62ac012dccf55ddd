import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryWalletStore, WalletService } from '@goodgo/wallet-core';
import { SignJWT, exportJWK, generateKeyPair, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { createAuthenticator } from '../src/auth.js';
import { loadConfig } from '../src/config.js';
import { mintToken } from '../src/token.js';
import { SECRET, harness, type Harness } from './support/harness.js';

const b64url = (v: object | string) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

async function status(h: { app: { request: Harness['app']['request'] } }, authorization?: string): Promise<[number, string]> {
  const res = await h.app.request('/api/v1/wallets', { headers: authorization === undefined ? {} : { authorization } });
  const body = (await res.json()) as { code: string };
  return [res.status, body.code];
}

describe('JWT with a shared secret (HS256)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });

  it('accepts a valid token and reads roles from `roles` or `role`', async () => {
    const token = await mintToken({ sub: 'alice', secret: SECRET });
    expect((await h.app.request('/api/v1/wallets', { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    const single = await new SignJWT({ role: 'service' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('svc')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(SECRET));
    const res = await h.call('GET', '/api/v1/wallets?userId=someone', { token: single });
    expect(res.status).toBe(200);
  });

  it.each([
    ['missing', undefined],
    ['not bearer', 'Basic YWxpY2U6cHc='],
    ['malformed', 'Bearer not.a.jwt'],
    ['empty', 'Bearer '],
  ])('answers 401 UNAUTHORIZED for a %s header', async (_name, header) => {
    expect(await status(h, header)).toEqual([401, 'UNAUTHORIZED']);
  });

  it('answers 401 for a subject with a NUL, a control character or a lone surrogate, or surrounding spaces (issue 8 reproductions)', async () => {
    for (const sub of ['a\u0000b', '\u0000', 'a\nb', '\ud800', 'a\udc00', ' alice']) {
      const token = await mintToken({ sub, roles: ['service'], secret: SECRET });
      const res = await h.call('POST', '/api/v1/wallets', { token, body: {}, headers: { 'idempotency-key': 'k-1' } });
      expect([res.status, res.body.code]).toEqual([401, 'UNAUTHORIZED']);
    }
    // U+FFFD itself is a character like any other: its owner is a user, distinct from '\ud800'.
    const replacement = await mintToken({ sub: '\ufffd', secret: SECRET });
    expect((await h.call('POST', '/api/v1/wallets', { token: replacement, body: {} })).status).toBe(201);
  });

  it('answers 401 for an expired, a not-yet-valid, a wrongly signed, an unsigned and an exp-less token', async () => {
    const key = new TextEncoder().encode(SECRET);
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('a')
      .setExpirationTime(now - 60)
      .sign(key);
    const early = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('a')
      .setNotBefore(now + 600)
      .setExpirationTime(now + 1200)
      .sign(key);
    const wrong = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('a')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(`${SECRET}-other`));
    const none = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ sub: 'a', roles: ['admin'], exp: now + 600 })}.`;
    const noExp = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('a').sign(key);
    const res = await h.app.request('/api/v1/wallets', { headers: { authorization: `Bearer ${expired}` } });
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    for (const token of [expired, early, wrong, none, noExp]) expect(await status(h, `Bearer ${token}`)).toEqual([401, 'UNAUTHORIZED']);
  });

  it('checks issuer and audience when configured', async () => {
    const store = new MemoryWalletStore();
    const app = createApp({
      service: new WalletService({ store }),
      store,
      auth: createAuthenticator({ kind: 'secret', secret: SECRET, issuer: 'https://iam.goodgo', audience: 'wallet' }),
    });
    const good = await mintToken({ sub: 'a', secret: SECRET, issuer: 'https://iam.goodgo', audience: 'wallet' });
    const wrongIss = await mintToken({ sub: 'a', secret: SECRET, issuer: 'https://evil', audience: 'wallet' });
    const wrongAud = await mintToken({ sub: 'a', secret: SECRET, issuer: 'https://iam.goodgo', audience: 'orders' });
    expect(await status({ app }, `Bearer ${wrongIss}`)).toEqual([401, 'UNAUTHORIZED']);
    expect(await status({ app }, `Bearer ${wrongAud}`)).toEqual([401, 'UNAUTHORIZED']);
    expect((await app.request('/api/v1/wallets', { headers: { authorization: `Bearer ${good}` } })).status).toBe(200);
  });
});

/** A small IAM on loopback: OIDC discovery and a JWKS whose keys the test can rotate. */
class TestIam {
  server!: Server;
  keys: JWK[] = [];
  discovery = true;
  jwksRequests = 0;
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/.well-known/openid-configuration' && this.discovery) {
        res.end(JSON.stringify({ issuer: this.url, jwks_uri: `${this.url}/keys` }));
      } else if ((req.url === '/keys' && this.discovery) || (req.url === '/.well-known/jwks.json' && !this.discovery)) {
        this.jwksRequests++;
        res.end(JSON.stringify({ keys: this.keys }));
      } else {
        res.statusCode = 404;
        res.end('{}');
      }
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }
  async stop(): Promise<void> {
    await new Promise((resolve) => this.server.close(resolve));
  }
}

async function rsaKey(kid: string) {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  const sign = (claims: Record<string, unknown> = {}, sub = 'alice') =>
    new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid }).setSubject(sub).setIssuer('https://iam').setExpirationTime('5m').sign(privateKey);
  return { jwk, sign };
}

describe("JWT from the IAM service's JWKS (JWT_AUTHORITY)", () => {
  const iam = new TestIam();
  beforeAll(() => iam.start());
  afterAll(() => iam.stop());

  function appFor(authority: string) {
    const store = new MemoryWalletStore();
    return createApp({
      service: new WalletService({ store }),
      store,
      auth: createAuthenticator({ kind: 'authority', authority, issuer: 'https://iam', jwksCooldownMs: 0 }),
    });
  }

  it('finds the keys by OIDC discovery, verifies RS256, and refetches on an unknown kid', async () => {
    const first = await rsaKey('k1');
    iam.keys = [first.jwk];
    const app = appFor(iam.url);
    const ok = await app.request('/api/v1/wallets', { headers: { authorization: `Bearer ${await first.sign()}` } });
    expect(ok.status).toBe(200);
    const rotated = await rsaKey('k2');
    iam.keys = [first.jwk, rotated.jwk];
    const before = iam.jwksRequests;
    const res = await app.request('/api/v1/wallets', { headers: { authorization: `Bearer ${await rotated.sign({ roles: ['admin'] })}` } });
    expect(res.status).toBe(200);
    expect(iam.jwksRequests).toBe(before + 1);
  });

  it('falls back to /.well-known/jwks.json without a discovery document', async () => {
    const key = await rsaKey('k3');
    iam.keys = [key.jwk];
    iam.discovery = false;
    try {
      const app = appFor(iam.url);
      expect((await app.request('/api/v1/wallets', { headers: { authorization: `Bearer ${await key.sign()}` } })).status).toBe(200);
    } finally {
      iam.discovery = true;
    }
  });

  it('refuses HS256 signed with the RSA public key, alg none, and a key it does not know', async () => {
    const key = await rsaKey('k4');
    iam.keys = [key.jwk];
    const app = appFor(iam.url);
    // The classic confusion: the public key's bytes used as an HMAC secret.
    const publicBytes = new TextEncoder().encode(JSON.stringify(key.jwk));
    const confused = await new SignJWT({ roles: ['admin'] })
      .setProtectedHeader({ alg: 'HS256', kid: 'k4' })
      .setSubject('mallory')
      .setIssuer('https://iam')
      .setExpirationTime('5m')
      .sign(publicBytes);
    const none = `${b64url({ alg: 'none', kid: 'k4' })}.${b64url({ sub: 'mallory', iss: 'https://iam', exp: Math.floor(Date.now() / 1000) + 300 })}.`;
    const stranger = await rsaKey('k4');
    for (const token of [confused, none, await stranger.sign()]) expect(await status({ app }, `Bearer ${token}`)).toEqual([401, 'UNAUTHORIZED']);
  });
});

describe('claims read where the IAM puts them (JWT_ROLES_CLAIM, JWT_USER_CLAIM)', () => {
  const iam = new TestIam();
  beforeAll(() => iam.start());
  afterAll(() => iam.stop());

  /** The payload of an access token as Keycloak issues it for a client with realm roles. */
  function keycloakClaims(realmRoles: string[], extra: Record<string, unknown> = {}) {
    return {
      jti: 'b7d3c1a0-6f2e-4d6b-9a51-0c7e2f1d9a11',
      aud: 'account',
      typ: 'Bearer',
      azp: 'pos-backend',
      scope: 'openid profile email',
      preferred_username: 'pos-backend',
      realm_access: { roles: ['offline_access', 'uma_authorization', 'default-roles-goodgo', ...realmRoles] },
      resource_access: { account: { roles: ['manage-account', 'view-profile'] } },
      ...extra,
    };
  }

  function appFor(names: { rolesClaim?: string; userClaim?: string }) {
    const store = new MemoryWalletStore();
    const auth = createAuthenticator({ kind: 'authority', authority: iam.url, issuer: 'https://iam', jwksCooldownMs: 0, ...names });
    return createApp({ service: new WalletService({ store }), store, auth });
  }

  async function get(app: ReturnType<typeof appFor>, token: string, path: string) {
    const res = await app.request(path, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as { code?: string; items?: { userId: string }[]; userId?: string } };
  }

  it("reads a Keycloak token's realm roles at realm_access.roles, and nothing from a top-level roles claim", async () => {
    const key = await rsaKey('kc1');
    iam.keys = [key.jwk];
    const app = appFor({ rolesClaim: 'realm_access.roles' });
    const service = await key.sign(keycloakClaims(['service']), 'f3b1e2c4-0000-4000-8000-000000000001');
    expect((await get(app, service, '/api/v1/wallets?userId=someone')).status).toBe(200);
    // Only the configured path counts: a `roles` claim beside it grants nothing.
    const plain = await key.sign(keycloakClaims([], { roles: ['admin'] }), 'f3b1e2c4-0000-4000-8000-000000000002');
    expect(await get(app, plain, '/api/v1/wallets?userId=someone')).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
    // Without JWT_ROLES_CLAIM the same Keycloak service token is a plain user.
    expect((await get(appFor({}), service, '/api/v1/wallets?userId=someone')).status).toBe(403);
  });

  it('takes the user id from JWT_USER_CLAIM, and refuses a token without it', async () => {
    const key = await rsaKey('kc2');
    iam.keys = [key.jwk];
    const app = appFor({ rolesClaim: 'realm_access.roles', userClaim: 'preferred_username' });
    const token = await key.sign(keycloakClaims([]), 'f3b1e2c4-0000-4000-8000-000000000003');
    const created = await app.request('/api/v1/wallets', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(created.status).toBe(201);
    expect(((await created.json()) as { userId: string }).userId).toBe('pos-backend');
    const anonymous = await key.sign({ realm_access: { roles: ['admin'] } }, 'f3b1e2c4-0000-4000-8000-000000000004');
    expect(await get(app, anonymous, '/api/v1/wallets')).toMatchObject({ status: 401, body: { code: 'UNAUTHORIZED' } });
  });

  it('refuses a claim path that is not names joined by dots', () => {
    expect(() => createAuthenticator({ kind: 'secret', secret: SECRET, rolesClaim: 'realm_access..roles' })).toThrow(/invalid claim path/);
    expect(() => loadConfig({ JWT_SECRET: SECRET, JWT_ROLES_CLAIM: 'realm access' })).toThrow(/JWT_ROLES_CLAIM/);
    expect(loadConfig({ JWT_SECRET: SECRET, JWT_ROLES_CLAIM: 'resource_access.wallet.roles' }).JWT_ROLES_CLAIM).toBe('resource_access.wallet.roles');
  });
});
