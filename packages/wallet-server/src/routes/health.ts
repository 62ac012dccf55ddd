import type { WalletStore } from '@goodgo/wallet-core';
import { Hono } from 'hono';
import type { AppEnv } from '../env.js';

export interface HealthOptions {
  store: WalletStore;
  /** How long the database may take to answer before the service reports itself unavailable. */
  timeoutMs: number;
  isShuttingDown: () => boolean;
  startedAt: number;
  version: string;
}

async function database(store: WalletStore, timeoutMs: number): Promise<{ status: 'up' | 'down'; latencyMs: number; error?: string }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      store.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { status: 'up', latencyMs: Math.round(performance.now() - started) };
  } catch (e) {
    return { status: 'down', latencyMs: Math.round(performance.now() - started), error: e instanceof Error ? e.message : 'unreachable' };
  } finally {
    clearTimeout(timer);
  }
}

export function healthRoutes(o: HealthOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/live', (c) => c.json({ status: 'ok' }));
  app.get('/ready', async (c) => {
    if (o.isShuttingDown()) return c.json({ status: 'unavailable', reason: 'shutting down' }, 503);
    const db = await database(o.store, o.timeoutMs);
    return c.json({ status: db.status === 'up' ? 'ok' : 'unavailable' }, db.status === 'up' ? 200 : 503);
  });
  app.get('/', async (c) => {
    const db = await database(o.store, o.timeoutMs);
    const ok = db.status === 'up' && !o.isShuttingDown();
    return c.json(
      {
        status: ok ? 'ok' : 'unavailable',
        version: o.version,
        uptimeSeconds: Math.round((Date.now() - o.startedAt) / 1000),
        shuttingDown: o.isShuttingDown(),
        checks: { database: { status: db.status, latencyMs: db.latencyMs } },
      },
      ok ? 200 : 503,
    );
  });
  return app;
}
