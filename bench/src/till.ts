import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WalletService } from '@goodgo/wallet-core';
import { createNodePostgresStore } from '@goodgo/wallet-pg/node-postgres';
import { mintToken } from '@goodgo/wallet-server';
import { createTill } from '@goodgo/wallet-till';
import { TcpProxy } from '@goodgo/wallet-till/testing';
import { startServer } from './processes.js';
import type { Report } from './report.js';
import { percentile } from './stats.js';

const SECRET = 'bench-till-secret-0123456789-abcdefghijkl';
const SALES = 10_000;
const CUSTOMERS = 20;
const CALLERS = 16;
const AMOUNT = '1000';

/**
 * Section 7, the offline till. A backlog of 10 000 sales made offline at one till (20 customers,
 * 500 each, interleaved) is forwarded by `till.sync()` to the server on PostgreSQL; the baseline is
 * the same 10 000 withdrawals (20 wallets, 500 each, same amount) made through the library on the
 * same database by 16 callers. Rounds alternate (library, till, library, till). Every offline sale's
 * local write (the till's PGlite on disk) is timed on the way: its p99 has a target of its own.
 */
export async function benchTill(report: Report, databaseUrl: string, rounds = 2): Promise<void> {
  const server = await startServer({ DATABASE_URL: databaseUrl, DATABASE_POOL_MAX: '16', JWT_SECRET: SECRET });
  const store = await createNodePostgresStore({ connectionString: databaseUrl, max: CALLERS, migrate: false });
  const library = new WalletService({ store });
  const token = await mintToken({ sub: 'bench-till', roles: ['service'], secret: SECRET, expiresIn: '1h' });
  const proxy = await TcpProxy.start({ port: Number(new URL(server.url).port) });
  const libraryMs: number[] = [];
  const forwardMs: number[] = [];
  const saleMs: number[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      libraryMs.push(await libraryWithdrawals(library, `lib-${round}`));
      const { forward, sales } = await tillBacklog(library, proxy, token, `till-${round}`);
      forwardMs.push(forward);
      saleMs.push(...sales);
    }
  } finally {
    await proxy.close();
    await store.close();
    await server.stop();
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const ratio = Math.round((mean(forwardMs) / mean(libraryMs)) * 100) / 100;
  report.raw.till = { libraryMs, forwardMs, sales: saleMs.length };
  report.add({
    section: '7. offline till',
    case: `forward a backlog of ${SALES} offline sales (${CUSTOMERS} allowances, sync batches of 500) vs the same withdrawals through the library at ${CALLERS} callers`,
    ours: `${Math.round(mean(forwardMs))} ms (${Math.round((SALES / mean(forwardMs)) * 1000)}/s)`,
    baseline: `${Math.round(mean(libraryMs))} ms (${Math.round((SALES / mean(libraryMs)) * 1000)}/s)`,
    ratio,
    target: '≤ 0.5× the time',
    met: ratio <= 0.5,
  });
  const sorted = saleMs.sort((a, b) => a - b);
  const p99 = Math.round(percentile(sorted, 99) * 100) / 100;
  report.add({
    section: '7. offline till',
    case: `a sale at the till, offline (local write, PGlite on disk), p50 / p99 of ${sorted.length}`,
    ours: `${Math.round(percentile(sorted, 50) * 100) / 100} / ${p99} ms`,
    baseline: '–',
    ratio: null,
    target: 'p99 ≤ 5 ms',
    met: p99 <= 5,
  });
}

async function customers(library: WalletService, prefix: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < CUSTOMERS; i++) {
    const wallet = await library.createWallet({ userId: `${prefix}-${i}-${Date.now().toString(36)}`, currency: 'VND' });
    await library.deposit({ walletId: wallet.id, amount: '100000000' });
    ids.push(wallet.id);
  }
  return ids;
}

/** 10 000 withdrawals, wallet i % 20 for the i-th, taken from one queue by 16 callers; answers the elapsed milliseconds. */
async function libraryWithdrawals(library: WalletService, prefix: string): Promise<number> {
  const wallets = await customers(library, prefix);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CALLERS }, async () => {
      for (let i = next++; i < SALES; i = next++) {
        await library.withdraw({ walletId: wallets[i % CUSTOMERS] as string, amount: AMOUNT, reference: `${prefix}-${i}` });
      }
    }),
  );
  return performance.now() - started;
}

/** Provisions 20 allowances online, sells 10 000 offline (timing each), then times the sync that forwards them. */
async function tillBacklog(library: WalletService, proxy: TcpProxy, token: string, prefix: string): Promise<{ forward: number; sales: number[] }> {
  const wallets = await customers(library, prefix);
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-till-'));
  const till = await createTill({ tillId: prefix, dataDir, server: { baseUrl: proxy.url, token }, requestTimeoutMs: 60_000 });
  try {
    proxy.restore();
    for (const walletId of wallets) await till.provision({ walletId, amount: String((SALES / CUSTOMERS) * Number(AMOUNT)) });
    proxy.cut();
    const sales: number[] = [];
    for (let i = 0; i < SALES; i++) {
      const t0 = performance.now();
      await till.spend({ walletId: wallets[i % CUSTOMERS] as string, amount: AMOUNT, reference: `${prefix}-${i}` });
      sales.push(performance.now() - t0);
    }
    proxy.restore();
    const started = performance.now();
    const synced = await till.sync();
    const forward = performance.now() - started;
    if (synced.booked !== SALES || synced.pending !== 0) throw new Error(`the till forwarded ${JSON.stringify(synced)}`);
    return { forward, sales };
  } finally {
    await till.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}
