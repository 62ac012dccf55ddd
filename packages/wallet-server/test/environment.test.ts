import { describe, expect, it } from 'vitest';
import { loadConfig, unknownWalletVariables } from '../src/config.js';
import { runToken, startServerProcess } from './support/process.js';

describe('the environment the server reads', () => {
  it('WALLET_HOLD_TTL: a duration, 7 days by default, more than 0 and at most 30 days', () => {
    expect(loadConfig({}).WALLET_HOLD_TTL).toBe(7 * 86_400_000);
    expect(loadConfig({ WALLET_HOLD_TTL: '1h' }).WALLET_HOLD_TTL).toBe(3_600_000);
    expect(() => loadConfig({ WALLET_HOLD_TTL: '31d' })).toThrow(/WALLET_HOLD_TTL: must be more than 0 and at most 30d/);
    expect(() => loadConfig({ WALLET_HOLD_TTL: '0' })).toThrow(/WALLET_HOLD_TTL/);
    expect(() => loadConfig({ WALLET_HOLD_TTL: 'an hour' })).toThrow(/WALLET_HOLD_TTL/);
  });

  it('WALLET_LIMITS: JSON limits per currency, checked against each currency; WALLET_LIMITS_TZ: an IANA time zone', () => {
    expect(loadConfig({}).WALLET_LIMITS).toEqual({});
    expect(loadConfig({}).WALLET_LIMITS_TZ).toBe('Asia/Ho_Chi_Minh');
    const limits = '{"VND": {"maxBalance": "100000000", "monthly": {"spend": "100000000"}}, "USD": {"daily": {"deposit": "500.50"}}}';
    expect(loadConfig({ WALLET_LIMITS: limits }).WALLET_LIMITS).toEqual({
      VND: { maxBalance: '100000000', monthly: { spend: '100000000' } },
      USD: { daily: { deposit: '500.50' } },
    });
    expect(() => loadConfig({ WALLET_LIMITS: '{VND: 1}' })).toThrow(/WALLET_LIMITS: must be JSON/);
    expect(() => loadConfig({ WALLET_LIMITS: '{"VND": {"maxBalance": 100}}' })).toThrow(/WALLET_LIMITS: VND\.maxBalance/);
    expect(() => loadConfig({ WALLET_LIMITS: '{"VND": {"weekly": {"spend": "1"}}}' })).toThrow(/WALLET_LIMITS: VND/);
    expect(() => loadConfig({ WALLET_LIMITS: '{"VND": {"maxBalance": "1.5"}}' })).toThrow(/WALLET_LIMITS: limits of VND: .*fraction digits/);
    expect(() => loadConfig({ WALLET_LIMITS: '{"XXX": {"maxBalance": "1"}}' })).toThrow(/WALLET_LIMITS: limits of XXX/);
    expect(loadConfig({ WALLET_LIMITS_TZ: 'Europe/Berlin' }).WALLET_LIMITS_TZ).toBe('Europe/Berlin');
    for (const zone of ['Mars/Olympus_Mons', '+07:00', '']) {
      expect(() => loadConfig({ WALLET_LIMITS_TZ: zone })).toThrow(/WALLET_LIMITS_TZ: must be an IANA time zone/);
    }
  });

  it('names the WALLET_* variables it does not read', () => {
    expect(unknownWalletVariables({ WALLET_HOLD_TTL: '1h', WALLET_HOLD_TLL: '1h', WALLET_DATA_DIR: 'x', WALLET_TEST_DATABASE_URL: 'x', PATH: '/bin' })).toEqual(
      ['WALLET_HOLD_TLL'],
    );
  });

  it('NODE_ENV=production: a database, or an embedded store said to be meant', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/NODE_ENV=production needs DATABASE_URL/);
    expect(loadConfig({ NODE_ENV: 'production', WALLET_ALLOW_EMBEDDED: 'true' }).WALLET_ALLOW_EMBEDDED).toBe(true);
    expect(loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://wallet@db:5432/wallet' }).WALLET_ALLOW_EMBEDDED).toBe(false);
    expect(() => loadConfig({ NODE_ENV: 'production', WALLET_ALLOW_EMBEDDED: 'yes' })).toThrow(/WALLET_ALLOW_EMBEDDED: must be true or false/);
    expect(loadConfig({}).WALLET_ALLOW_EMBEDDED).toBe(false);
  });

  it('the server gives holds WALLET_HOLD_TTL, and warns at start of an unknown WALLET_* variable', async () => {
    const server = await startServerProcess({
      WALLET_DATA_DIR: 'memory://',
      WALLET_HOLD_TTL: '1h',
      WALLET_HOLD_TLL: '2h',
      WALLET_LIMITS: '{"VND": {"daily": {"deposit": "1500"}}}',
    });
    try {
      const warning = server.logs.map((l) => JSON.parse(l) as { level: number; msg: string; variables?: string[] }).find((l) => l.variables);
      expect(warning?.level).toBe(40);
      expect(warning?.variables).toEqual(['WALLET_HOLD_TLL']);
      const pos = await runToken(['--sub', 'pos', '--role', 'service']);
      const headers = { authorization: `Bearer ${pos}`, 'content-type': 'application/json' };
      const call = async (path: string, body: unknown) =>
        (await (await fetch(`${server.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) })).json()) as Record<string, string>;
      const wallet = await call('/api/v1/wallets', { userId: 'hold-ttl' });
      await call('/api/v1/wallets/deposit', { walletId: wallet.id, amount: '1000' });
      const before = Date.now();
      const hold = await call('/api/v1/wallets/holds', { walletId: wallet.id, amount: '100' });
      const ttl = Date.parse(hold.expiresAt as string) - before;
      expect(ttl).toBeGreaterThan(3_600_000 - 60_000);
      expect(ttl).toBeLessThanOrEqual(3_600_000 + 1000);
      // And WALLET_LIMITS: the day's deposits stop at 1500.
      expect(await call('/api/v1/wallets/deposit', { walletId: wallet.id, amount: '501' })).toMatchObject({
        code: 'LIMIT_EXCEEDED',
        limit: '1500',
        used: '1000',
      });
    } finally {
      server.child.kill('SIGTERM');
    }
    expect(await server.exit).toBe(0);
  }, 150_000);
});
