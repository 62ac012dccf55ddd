import type { WalletStore } from '@goodgo/wallet-core';
import { z } from 'zod';
import type { Deps } from '../deps.js';
import { RETRY_AFTER } from '../errors.js';
import { route } from '../route.js';

async function database(store: WalletStore, timeoutMs: number): Promise<{ status: 'up' | 'down'; latencyMs: number }> {
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
  } catch {
    return { status: 'down', latencyMs: Math.round(performance.now() - started) };
  } finally {
    clearTimeout(timer);
  }
}

const healthBody = z.object({ status: z.enum(['ok', 'degraded', 'unavailable']) }).loose();

/**
 * The relay's sinks that keep failing. Degraded is never unavailable: payments go on while a
 * webhook endpoint is down, the events wait in the outbox. Null when it cannot be told (no
 * relay bookkeeping, or the database did not answer in time).
 */
async function relayHealth(outbox: Deps['outbox'], timeoutMs: number): Promise<{ status: 'ok' | 'degraded'; failing: string[] } | null> {
  if (!outbox || outbox.sinkNames().length === 0) return null;
  let timer: NodeJS.Timeout | undefined;
  try {
    const report = await Promise.race([
      outbox.relay(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
      }),
    ]);
    const failing = report.sinks.filter((s) => s.failing).map((s) => s.name);
    return { status: failing.length > 0 ? 'degraded' : 'ok', failing };
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}
const health = {
  role: 'anyone',
  method: 'get',
  response: { status: 200, schema: healthBody, description: 'Healthy' },
  otherResponses: [{ status: 503, description: 'Unhealthy', schema: healthBody }],
} as const;

const live = route({
  ...health,
  path: '/health/live',
  summary: 'The process is up',
  handler: async (_deps, _r, c) => c.json({ status: 'ok' }),
});

const ready = route({
  ...health,
  path: '/health/ready',
  summary: 'The service can take traffic (database answers)',
  handler: async ({ store, health: o }, _r, c) => {
    if (o.isShuttingDown()) {
      c.header('Retry-After', RETRY_AFTER);
      return c.json({ status: 'unavailable', reason: 'shutting down' }, 503);
    }
    const db = await database(store, o.timeoutMs);
    if (db.status === 'down') c.header('Retry-After', RETRY_AFTER);
    return c.json({ status: db.status === 'up' ? 'ok' : 'unavailable' }, db.status === 'up' ? 200 : 503);
  },
});

const full = route({
  ...health,
  path: '/health',
  summary: 'Full health report',
  handler: async ({ store, health: o, version, outbox }, _r, c) => {
    const db = await database(store, o.timeoutMs);
    const ok = db.status === 'up' && !o.isShuttingDown();
    const relay = ok ? await relayHealth(outbox, o.timeoutMs) : null;
    // Redis only shares the rate limits: without it payments go on (the limiter fails open).
    const redis = o.rateLimitStore();
    const degraded = relay?.status === 'degraded' || redis?.status === 'down';
    if (!ok) c.header('Retry-After', RETRY_AFTER);
    return c.json(
      {
        status: !ok ? 'unavailable' : degraded ? 'degraded' : 'ok',
        version,
        uptimeSeconds: Math.round((Date.now() - o.startedAt) / 1000),
        shuttingDown: o.isShuttingDown(),
        checks: { database: { status: db.status, latencyMs: db.latencyMs }, ...(relay ? { relay } : {}), ...(redis ? { redis } : {}) },
      },
      ok ? 200 : 503,
    );
  },
});

export const healthRoutes = [live, ready, full];
