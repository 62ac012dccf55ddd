import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { createAuthenticator } from '../src/auth.js';
import { DEVELOPMENT_JWT_SECRET } from '../src/config.js';

const bin = join(import.meta.dirname, '..', 'dist', 'token.js');

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, out, err })));
}

describe('the token CLI (goodgo-wallet-token)', () => {
  it('prints its usage for --help and exits 0', async () => {
    const { code, out } = await run(['--help']);
    expect(code).toBe(0);
    expect(out).toMatch(/^Usage: goodgo-wallet-token --sub <user>/);
    expect(out).toContain('JWT_ROLES_CLAIM');
  });

  it('refuses an unknown role, a missing --sub and an unknown option, exiting 2 and printing nothing on stdout', async () => {
    for (const args of [
      ['--sub', 'a', '--role', 'superuser'],
      ['--role', 'admin'],
      ['--sub', 'a', '--rol', 'admin'],
      ['--sub', 'a', '--expires', 'forever'],
    ]) {
      const { code, out, err } = await run(args);
      expect([code, out]).toEqual([2, '']);
      expect(err).toMatch(/unknown role "superuser"|--sub is required|Unknown option|--expires/);
    }
  });

  it('mints a token the development server accepts, with its roles where JWT_ROLES_CLAIM says', async () => {
    const plain = (await run(['--sub', 'cust-42', '--role', 'service', '--role', 'admin'])).out.trim();
    const auth = createAuthenticator({ kind: 'secret', secret: DEVELOPMENT_JWT_SECRET });
    expect(await auth.verify(plain)).toEqual({ sub: 'cust-42', roles: new Set(['service', 'admin']) });

    const nested = (await run(['--sub', 'cust-42', '--role', 'service'], { JWT_ROLES_CLAIM: 'realm_access.roles' })).out.trim();
    expect(decodeJwt(nested).realm_access).toEqual({ roles: ['service'] });
    const keycloak = createAuthenticator({ kind: 'secret', secret: DEVELOPMENT_JWT_SECRET, rolesClaim: 'realm_access.roles' });
    expect((await keycloak.verify(nested)).roles).toEqual(new Set(['service']));
  });
});
