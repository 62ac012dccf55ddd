import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { chromium, type Browser, type Page } from 'playwright-core';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebhookReceiver, newSecret } from '../../wallet-relay/test/support/receiver.js';
import { loadConfig } from '../src/config.js';
import { startServer, type RunningServer } from '../src/server.js';
import { mintToken } from '../src/token.js';
import { OidcProvider } from './support/oidc-provider.js';
import { adminUrl, freshDatabase } from './support/process.js';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = join(import.meta.dirname, '..', '..', '..', 'docs', 'console');
const JWT_SECRET = 'console-browser-test-secret-0123456789-abcdef';

/** Debian's chromium, installed when missing and we may; otherwise the reason it is not there. */
function chromiumOrReason(): string | null {
  if (process.env.WALLET_BROWSER_TESTS !== '1') return 'the browser suite runs with `npm run test:browser` (WALLET_BROWSER_TESTS=1)';
  if (!adminUrl) return 'WALLET_TEST_DATABASE_URL is not set (the console test tampers with the books in PostgreSQL)';
  if (existsSync(CHROMIUM)) return null;
  if (process.getuid?.() !== 0) return `${CHROMIUM} is missing and only root may apt-get install chromium`;
  const install = spawnSync('bash', ['-c', 'apt-get update -qq && apt-get install -y -qq chromium'], { stdio: 'inherit', timeout: 600_000 });
  return existsSync(CHROMIUM) ? null : `apt-get install chromium failed (exit ${install.status})`;
}

const skipReason = chromiumOrReason();
if (skipReason) console.log(`[wallet-server] console browser test skipped: ${skipReason}.`);

describe.runIf(skipReason === null)('the operator console in Chromium', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let browser: Browser;
  const receiver = new WebhookReceiver(newSecret());
  let hookUrl = '';
  const logger = pino({ level: 'warn' }, new Writable({ write: (_c, _e, done) => done() }));

  beforeAll(async () => {
    db = await freshDatabase();
    hookUrl = await receiver.listen();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    mkdirSync(SHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await receiver.close();
    await db?.drop();
  });

  async function serve(env: Record<string, string>): Promise<RunningServer> {
    const server = await startServer(loadConfig({ DATABASE_URL: db.url, DATABASE_POOL_MAX: '4', HOST: '127.0.0.1', PORT: '0', ...env }), logger);
    await server.ready;
    return server;
  }

  /** A page that records every request leaving `origins` and every script error. */
  async function watchedPage(origins: string[], width = 1280): Promise<{ page: Page; outside: string[]; errors: string[] }> {
    const context = await browser.newContext({ viewport: { width, height: 900 } });
    const page = await context.newPage();
    const outside: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => {
      const url = r.url();
      if (!url.startsWith('data:') && !origins.some((o) => url.startsWith(`${o}/`))) outside.push(url);
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    return { page, outside, errors };
  }

  it('signs in with a pasted token and walks every page: search, wallet, ledger paging, hold, freeze, reconciliation, dead letters, relay, live feed', async () => {
    receiver.failWhen = () => true;
    const server = await serve({
      JWT_SECRET,
      WALLET_WEBHOOK_URLS: JSON.stringify([{ name: 'crm', url: hookUrl, secret: receiver.secret, retry: { maxAttempts: 1 } }]),
    });
    const admin = await mintToken({ sub: 'ops-ana', roles: ['admin'], secret: JWT_SECRET });
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${server.url}/api/v1/wallets${path}`, {
        method,
        headers: { authorization: `Bearer ${admin}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      const json = (await res.json()) as any;
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    const { page, outside, errors } = await watchedPage([server.url]);
    try {
      // The books of one customer: 24 deposits (two pages of ledger), a payment refunded, a hold, points.
      const wallet = await call('POST', '', { userId: 'console-linh' });
      await call('POST', '', { userId: 'console-other' });
      for (let i = 1; i <= 24; i++) await call('POST', '/deposit', { walletId: wallet.id, amount: String(10_000 * i), reference: `topup-${i}` });
      const paid = await call('POST', '/withdraw', { walletId: wallet.id, amount: '50000', reference: 'order-77' });
      await call('POST', '/refund', { transactionId: paid.transaction.id, amount: '20000', reason: 'one item returned' });
      const hold = await call('POST', '/holds', { walletId: wallet.id, amount: '35000', reference: 'table-4' });
      await call('POST', '/points/earn', { userId: 'console-linh', points: 120, source: 'order-77', expiresAt: '2099-01-01T00:00:00Z' });

      await page.goto(`${server.url}/api/v1/wallets/console`);
      await page.fill('#token', admin);
      await page.click('#sign-in');
      await page.fill('input[name=userId]', 'console-linh');
      await page.click('#search');
      await page.waitForSelector(`#wallet-results a[href="#/wallet/${wallet.id}"]`);
      expect(await page.locator('#wallet-results tbody tr').count()).toBe(1);
      await page.screenshot({ path: join(SHOTS, 'wallets.png') });

      await page.click(`#wallet-results a[href="#/wallet/${wallet.id}"]`);
      await page.waitForSelector('#ledger tbody tr');
      const balance = (await call('GET', `/${wallet.id}`)).balance as string;
      expect(await page.textContent('[data-figure=balance]')).toBe(balance);
      expect(await page.textContent('[data-figure=held]')).toBe('35000');
      expect(await page.locator('svg.chart path.line').getAttribute('d')).toMatch(/^M[\d.]+ [\d.]+( H[\d.]+ V[\d.]+){25}$/);
      expect(await page.locator(`#holds tr:has-text("${hold.id}")`).count()).toBe(1);
      expect(await page.locator('#ledger tbody tr').count()).toBe(20);
      const firstPage = await page.locator('#ledger tbody tr td:nth-child(5)').allTextContents();
      expect(await page.locator('#ledger tr:has-text("refund_in")').textContent()).toContain('refund of');
      await page.screenshot({ path: join(SHOTS, 'wallet.png'), fullPage: true });
      await page.click('text=Next');
      await page.waitForSelector('text=page 2');
      const secondPage = await page.locator('#ledger tbody tr td:nth-child(5)').allTextContents();
      expect(secondPage.length).toBe(26 - 20);
      expect(secondPage.filter((r) => firstPage.includes(r) && r !== '')).toEqual([]);
      await page.selectOption('select[aria-label=Type]', 'withdrawal');
      await page.click('#filter');
      await expect.poll(() => page.locator('#ledger tbody tr').count()).toBe(1);
      expect(await page.textContent('#ledger tbody tr')).toContain('order-77');

      // Freeze and unfreeze, each confirmed with a reason.
      await page.click('#freeze');
      await page.fill('dialog input[name=reason]', 'card reported stolen');
      await page.click('dialog button[value=confirm]');
      await page.waitForSelector('#unfreeze');
      expect((await call('GET', `/${wallet.id}`)).status).toBe('frozen');
      await page.click('#unfreeze');
      await page.fill('dialog input[name=reason]', 'card found');
      await page.click('dialog button[value=confirm]');
      await page.waitForSelector('#freeze');
      expect((await call('GET', `/${wallet.id}`)).status).toBe('active');

      // Point account.
      await page.goto(`${server.url}/api/v1/wallets/console#/points?userId=console-linh`);
      await page.waitForSelector('#lots tbody tr');
      expect(await page.textContent('#lots tbody tr')).toContain('120');
      await page.screenshot({ path: join(SHOTS, 'points.png'), fullPage: true });

      // Reconciliation finds a balance changed behind the service's back, linked to its wallet.
      const sql = new pg.Client({ connectionString: db.url });
      await sql.connect();
      await sql.query('UPDATE wallet.wallets SET balance = balance + 1 WHERE id = $1', [wallet.id]);
      await sql.end();
      await page.click('nav a[href="#/reconciliation"]');
      await page.click('#run-reconciliation');
      await page.waitForSelector('#problems');
      expect(await page.locator(`#problems a[href="#/wallet/${wallet.id}"]`).count()).toBeGreaterThan(0);
      await page.screenshot({ path: join(SHOTS, 'reconciliation.png'), fullPage: true });

      // Dead letters: the endpoint refused every event once; it is fixed and one letter re-sent.
      await until(
        () => call('GET', '/admin/relay'),
        (r) => r.sinks[0]?.lagEvents === 0,
      );
      const letters = await call('GET', '/admin/dead-letters?sink=crm');
      expect(letters.items.length).toBeGreaterThan(3);
      receiver.failWhen = null;
      await page.click('nav a[href="#/dead-letters"]');
      const target = letters.items[0].position as string;
      await page.click(`#dead-letters tr[data-position="${target}"] button`);
      await page.waitForSelector(`#dead-letters tr[data-position="${target}"] .pill.redelivered`, { timeout: 20_000 });
      expect(receiver.accepted.map((a) => a.event.id)).toEqual([letters.items[0].eventId]);
      await page.screenshot({ path: join(SHOTS, 'dead-letters.png'), fullPage: true });

      await page.click('nav a[href="#/relay"]');
      await page.waitForSelector('#sinks tbody tr');
      expect(await page.textContent('#sinks tbody tr')).toContain('crm');
      await page.screenshot({ path: join(SHOTS, 'relay.png'), fullPage: true });

      // The live feed shows an event committed after it opened.
      await page.click('nav a[href="#/feed"]');
      await page.waitForSelector('text=Watching events after position');
      await call('POST', '/deposit', { walletId: wallet.id, amount: '777', reference: 'live' });
      await page.waitForSelector('#feed li:has-text("amount 777")', { timeout: 20_000 });
      await page.screenshot({ path: join(SHOTS, 'feed.png') });

      // A tablet at the till: 768 px wide.
      const tablet = await watchedPage([server.url], 768);
      await tablet.page.goto(`${server.url}/api/v1/wallets/console`);
      await tablet.page.fill('#token', admin);
      await tablet.page.click('#sign-in');
      await tablet.page.goto(`${server.url}/api/v1/wallets/console#/wallet/${wallet.id}`);
      await tablet.page.waitForSelector('#ledger tbody tr');
      expect(await tablet.page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth)).toBeLessThanOrEqual(768);
      await tablet.page.screenshot({ path: join(SHOTS, 'wallet-768.png'), fullPage: true });
      expect([tablet.outside, tablet.errors]).toEqual([[], []]);
      await tablet.page.context().close();

      expect(outside).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await page.context().close();
      await server.close();
    }
  }, 180_000);

  it('signs in through the IAM with authorization code and PKCE, and talks to nothing but this service and the IAM', async () => {
    const iam = new OidcProvider({ clientId: 'wallet-console', user: 'ops-oidc', roles: ['admin'] });
    const authority = await iam.listen();
    const server = await serve({ JWT_AUTHORITY: authority, WALLET_CONSOLE_OIDC_CLIENT_ID: 'wallet-console' });
    const { page, outside, errors } = await watchedPage([server.url, authority]);
    try {
      await page.goto(`${server.url}/api/v1/wallets/console`);
      expect(await page.locator('#token').count()).toBe(0);
      await page.click('#oidc-sign-in');
      await page.waitForSelector('nav .who:has-text("ops-oidc (admin)")');
      await page.locator('#wallet-results').or(page.getByText('No wallet matches.')).waitFor();
      const request = iam.authorizations[0] as URLSearchParams;
      expect([request.get('client_id'), request.get('code_challenge_method'), request.get('redirect_uri')]).toEqual([
        'wallet-console',
        'S256',
        `${server.url}/api/v1/wallets/console`,
      ]);
      expect(iam.refusals).toEqual([]);
      // The code and state left the address bar; the token lives in the page's memory only.
      expect(page.url()).toBe(`${server.url}/api/v1/wallets/console`);
      expect(
        await page.evaluate(() => {
          const w = globalThis as any;
          return [w.document.cookie, w.localStorage.length, w.sessionStorage.length];
        }),
      ).toEqual(['', 0, 0]);
      expect(outside).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await page.context().close();
      await server.close();
      await iam.close();
    }
  }, 120_000);
});

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
