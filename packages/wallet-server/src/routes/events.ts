import { RECONCILIATION_KINDS, schemas as s, type EventPage, type WalletService } from '@goodgo/wallet-core';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import type { AppEnv, Deps } from '../deps.js';
import { route } from '../route.js';

const API = '/api/v1/wallets';
const SSE = /(^|,)\s*text\/event-stream\s*(;|,|$)/i;

/**
 * Streams pages as Server-Sent Events, each event's `id` its position, so that a reconnecting
 * EventSource resumes after the last one it saw (`Last-Event-ID`); polls when caught up.
 */
function stream(c: Context<AppEnv>, service: WalletService, first: EventPage, { pollMs, heartbeatMs, shutdown }: Deps['events']): Response {
  // A stream never ends by itself: on shutdown it ends at once rather than hold the drain open.
  c.header('Connection', 'close');
  return streamSSE(
    c,
    async (sse) => {
      let page = first;
      let idleMs = 0;
      const open = () => !sse.aborted && !shutdown.aborted;
      while (open()) {
        for (const item of page.items) await sse.writeSSE({ id: item.position, data: JSON.stringify(item.event) });
        if (page.items.length === 0) {
          await sleepUnless(pollMs, shutdown);
          idleMs += pollMs;
          if (idleMs >= heartbeatMs) {
            idleMs = 0;
            await sse.write(': keep-alive\n\n');
          }
        } else idleMs = 0;
        if (!open()) break;
        page = await service.listEvents({ ...(page.nextAfter !== null ? { after: page.nextAfter } : {}), limit: s.MAX_PAGE_SIZE });
      }
    },
    async (err, sse) => {
      // The headers are gone: the client sees the stream end and reconnects with Last-Event-ID.
      c.get('log').warn({ err }, 'event stream ended by an error');
      await sse.close();
    },
  );
}

function sleepUnless(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

const events = route({
  method: 'get',
  path: `${API}/events`,
  summary:
    'Committed events in position order, as versioned envelopes (docs/events.md); with `Accept: text/event-stream`, the same as Server-Sent Events resuming after `Last-Event-ID`',
  role: 'service',
  query: z.object({ after: s.positionSchema.optional(), limit: s.limitSchema.optional() }),
  response: { status: 200, schema: s.eventPage },
  handler: async ({ service, events: options }, r, c) => {
    const after = c.req.header('last-event-id') ?? r.query.after;
    // The first page is read before any byte is sent, so a bad `Last-Event-ID` is still a 400.
    const page = await service.listEvents({ ...(after !== undefined ? { after } : {}), ...(r.query.limit !== undefined ? { limit: r.query.limit } : {}) });
    return SSE.test(c.req.header('accept') ?? '') ? stream(c, service, page, options) : page;
  },
});

const reconciliation = route({
  method: 'get',
  path: `${API}/admin/reconciliation`,
  summary:
    "Checks the books: balances against ledgers, balanceAfter chains, transfer pairs, points against lots, each wallet's keyed hash chain and checkpointed heads (also `npm run reconcile`). `scope=routine`: only what was written since the last checkpoint",
  role: 'admin',
  query: z.object({ scope: z.enum(['full', 'routine']).optional() }),
  response: {
    status: 200,
    schema: s.reconciliationReport,
  },
  handler: async ({ service, metrics }, r) => {
    const report = await service.reconcile({ incremental: r.query.scope === 'routine' });
    metrics.recordReconciliation(report, RECONCILIATION_KINDS);
    return report;
  },
});

export const eventRoutes = [events, reconciliation];
