import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, normalize } from 'node:path';
import { createRequire } from 'node:module';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWalletService, type WalletServiceUnderTest } from './support/wallet-service.js';

const CHROMIUM = '/usr/bin/chromium';

/** Debian's chromium, installed if it is missing and this is a root shell with apt; else the reason it is not there. */
function chromiumOrReason(): string | null {
  if (existsSync(CHROMIUM)) return null;
  if (process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) return `${CHROMIUM} is missing and apt-get cannot run here`;
  try {
    execFileSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium'], { stdio: 'ignore', timeout: 600_000 });
  } catch (e) {
    return `installing chromium failed: ${(e as Error).message}`;
  }
  return existsSync(CHROMIUM) ? null : `${CHROMIUM} is still missing after apt-get install chromium`;
}

const missing = chromiumOrReason();
if (missing) console.log(`[wallet-till] browser test skipped: ${missing}`);

const pgliteDist = join(dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite')), '.');
const TYPES: Record<string, string> = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.data': 'application/octet-stream', '.html': 'text/html' };

/**
 * The shop's web server: the page, the till bundled for the browser, PGlite's own files, and the
 * wallet service's API forwarded under the same origin (so the page needs no CORS).
 */
async function shopServer(serviceUrl: string): Promise<{ server: Server; origin: string }> {
  const bundle = await build({
    entryPoints: [join(import.meta.dirname, 'browser', 'page.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    external: ['@electric-sql/pglite'],
    write: false,
  });
  const pageJs = bundle.outputFiles[0]!.text;
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>till</title>
<script type="importmap">{"imports": {"@electric-sql/pglite": "/pglite/index.js"}}</script>
<script type="module" src="/page.js"></script></head><body>till</body></html>`;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://shop');
    if (url.pathname.startsWith('/api/')) {
      const upstream = request(new URL(url.pathname + url.search, serviceUrl), { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
      return;
    }
    const send = (type: string, body: string | Buffer) => {
      res.writeHead(200, { 'content-type': type });
      res.end(body);
    };
    if (url.pathname === '/') return send(TYPES['.html']!, html);
    if (url.pathname === '/page.js') return send(TYPES['.js']!, pageJs);
    if (url.pathname.startsWith('/pglite/')) {
      const file = normalize(join(pgliteDist, url.pathname.slice('/pglite/'.length)));
      if (file.startsWith(pgliteDist) && existsSync(file)) {
        void readFile(file).then((body) => send(TYPES[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream', body));
        return;
      }
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe.skipIf(missing !== null)('the till in a real browser, on IndexedDB', () => {
  let service: WalletServiceUnderTest;
  let shop: { server: Server; origin: string };
  let browser: Browser;
  beforeAll(async () => {
    service = await startWalletService('PGlite');
    shop = await shopServer(service.url);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => shop?.server.close(resolve));
    await service?.close();
  });

  async function openTill(page: Page): Promise<void> {
    await page.goto(`${shop.origin}/`);
    await page.waitForFunction(() => 'till' in globalThis);
    await page.evaluate((o) => (globalThis as any).till.open(o), { tillId: 'browser-till', baseUrl: shop.origin, token: service.serviceToken });
  }

  it('provisions, sells offline, keeps the sales across a reload, and forwards them when the network is back', async () => {
    const { walletId } = await service.customer('browser-customer', '200000');
    const page = await browser.newPage();
    await openTill(page);
    const allowance = await page.evaluate((w) => (globalThis as any).till.provision(w, '100000'), walletId);
    expect(allowance).toMatchObject({ walletId, amount: '100000', status: 'active' });

    await page.route('**/api/**', (route) => route.abort('internetdisconnected'));
    expect(await page.evaluate((w) => (globalThis as any).till.spend(w, '30000', 'b-1'), walletId)).toMatchObject({
      seq: 1,
      remaining: '70000',
      forwarded: false,
    });
    expect(await page.evaluate((w) => (globalThis as any).till.spend(w, '20000', 'b-2'), walletId)).toMatchObject({ seq: 2, remaining: '50000' });

    await page.reload();
    await page.waitForFunction(() => 'till' in globalThis);
    await page.evaluate((o) => (globalThis as any).till.open(o), { tillId: 'browser-till', baseUrl: shop.origin, token: service.serviceToken });
    expect(await page.evaluate((w) => (globalThis as any).till.status(w), walletId)).toMatchObject({ remaining: '50000', unsentSpends: 2 });
    expect(await page.evaluate((w) => (globalThis as any).till.spend(w, '10000', 'b-3'), walletId)).toMatchObject({ seq: 3, remaining: '40000' });
    expect(await page.evaluate((w) => (globalThis as any).till.refusal(w, '40001'), walletId)).toBe('ALLOWANCE_EXCEEDED');
    expect(await service.wallet(walletId)).toMatchObject({ balance: '200000', heldAmount: '100000' });

    await page.unroute('**/api/**');
    expect(await page.evaluate(() => (globalThis as any).till.sync())).toMatchObject({ booked: 3, pending: 0, online: true });
    const rows = (await service.ledger(walletId)).filter((r) => r.allowanceId === allowance.id);
    expect(rows.map((r) => [r.allowanceSeq, r.amount, r.reference])).toEqual([
      [1, '30000', 'b-1'],
      [2, '20000', 'b-2'],
      [3, '10000', 'b-3'],
    ]);
    expect(await page.evaluate((w) => (globalThis as any).till.settle(w), walletId)).toMatchObject({ status: 'settled', spentAmount: '60000' });
    expect(await service.wallet(walletId)).toMatchObject({ balance: '140000', heldAmount: '0', availableBalance: '140000' });
    await page.close();
  });
});
