import { MemoryWalletStore, WalletService } from '@goodgo/wallet-core';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { createAuthenticator } from '../src/auth.js';
import { mintToken } from '../src/token.js';
import { capturedLog } from './support/captured-log.js';

const SECRET = 'auth-log-secret-0123456789-abcdefghijklmno';

describe('a refused token: the log says which check failed, never the token', () => {
  const { logger, lines } = capturedLog({ level: 'info' });
  const store = new MemoryWalletStore();
  const app = createApp({
    service: new WalletService({ store }),
    store,
    auth: createAuthenticator({ kind: 'secret', secret: SECRET, issuer: 'https://iam.example', audience: 'wallet' }),
    logger,
  });
  const attempt = async (token: string) => {
    lines.length = 0;
    const res = await app.request('/api/v1/wallets', { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(401);
    const refused = lines.find((l) => l.authFailure !== undefined);
    expect(JSON.stringify(lines)).not.toContain(token);
    return refused?.authFailure;
  };

  it.each([
    ['the issuer', { issuer: 'https://other.example', audience: 'wallet' }, /iss/],
    ['the audience', { issuer: 'https://iam.example', audience: 'someone-else' }, /aud/],
  ])('%s', async (_what, claims, expected) => {
    expect(await attempt(await mintToken({ sub: 'alice', secret: SECRET, ...claims }))).toMatch(expected);
  });

  it('the expiry', async () => {
    const expired = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('alice')
      .setIssuer('https://iam.example')
      .setAudience('wallet')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
      .sign(new TextEncoder().encode(SECRET));
    expect(await attempt(expired)).toMatch(/expired/i);
  });

  it('the signature (the keys)', async () => {
    const forged = await mintToken({ sub: 'alice', secret: 'another-secret-0123456789-abcdefghijklmno', issuer: 'https://iam.example', audience: 'wallet' });
    expect(await attempt(forged)).toMatch(/signature/i);
  });

  it('a missing header', async () => {
    lines.length = 0;
    expect((await app.request('/api/v1/wallets')).status).toBe(401);
    expect(lines.find((l) => l.authFailure !== undefined)?.authFailure).toMatch(/missing/);
  });
});
