import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createConnection } from 'node:net';
import { WalletService } from '@goodgo/wallet-core';
import { createNodePostgresStore } from '@goodgo/wallet-pg/node-postgres';
import { amqpSink, startOutboxRelay, webhookSink, type EventSink } from '@goodgo/wallet-relay';
import pg from 'pg';
import { SEARCH_PATH, seedWallets } from './library-pg.js';
import type { Report } from './report.js';
import { closedLoop, ratio, round } from './stats.js';

const SECRET = `whsec_${Buffer.from('goodgo-wallet-bench-webhook-secret').toString('base64')}`;
/** How long one sink may take to drain the backlog before the section gives up on it. */
const DRAIN_LIMIT_MS = 120_000;

/** A local webhook endpoint that answers 204 at once and counts: the relay, not the receiver, is measured. */
async function receiver(): Promise<{ url: string; count: () => number; close: () => Promise<void> }> {
  let received = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received += 1;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    count: () => received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function brokerReachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = createConnection({ host: hostname, port: Number(port || 5672) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * The outbox relay against the rate the library produces events. First the library runs
 * transfers for `seconds` (16 callers) and the events they commit are counted: the production
 * rate. Then, for each sink on its own (a fresh sink position, so each drains the whole backlog
 * from the start), a relay delivers every one of those events; events per second delivered is
 * set against the production rate. A ratio of 1 or more means the sink keeps up with the library
 * at full speed; below 1, events queue in the outbox while the library runs flat out (and drain
 * when it slows down).
 */
export async function benchRelay(report: Report, url: string, seconds: number, amqpUrl: string, walletCount = 1000): Promise<void> {
  const pool = new pg.Pool({ connectionString: url, max: 16, options: SEARCH_PATH });
  const store = await createNodePostgresStore({ pool, searchPathOnConnect: true });
  const service = new WalletService({ store });
  const hooks = await receiver();
  try {
    const { ids } = await seedWallets(pool, walletCount, 'r-');
    const events = async () => Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM outbox_events')).rows[0]?.n);
    const before = await events();
    const t0 = performance.now();
    const run = await closedLoop(16, seconds * 1000, () => {
      const a = ids[Math.floor(Math.random() * ids.length)] as string;
      let b = a;
      while (b === a) b = ids[Math.floor(Math.random() * ids.length)] as string;
      return service.transfer({ fromWalletId: a, toWalletId: b, amount: '1' });
    });
    const elapsed = (performance.now() - t0) / 1000;
    const total = await events();
    const produced = (total - before) / elapsed;
    report.add({
      section: '6. relay',
      case: 'events produced by the library (transfers, c=16)',
      ours: `${round(produced)} events/s (${round(run.perSecond)} transfers/s; backlog of ${total.toLocaleString('en')} events)`,
      baseline: 'this is the baseline',
      ratio: null,
      target: 'report',
      met: null,
    });
    report.raw.relayProduced = { eventsPerSecond: produced, transfersPerSecond: run.perSecond, backlog: total };

    const sinks: [string, EventSink][] = [
      ['webhook (local receiver, one POST per event)', webhookSink({ url: hooks.url, secret: SECRET, startAt: 'beginning' })],
    ];
    if (await brokerReachable(amqpUrl)) {
      sinks.push([
        'RabbitMQ (topic exchange, persistent, publisher confirms)',
        amqpSink({ url: amqpUrl, exchange: 'goodgo.wallet.bench', startAt: 'beginning' }),
      ]);
    } else {
      report.note(`no RabbitMQ at ${new URL(amqpUrl).host}: the RabbitMQ relay figure was not measured`);
    }
    for (const [label, sink] of sinks) {
      let delivered = 0;
      const start = performance.now();
      const relay = startOutboxRelay({ driver: store.driver, sinks: [sink], pollIntervalMs: 20, onDelivered: (_sink, count) => (delivered += count) });
      try {
        while (delivered < total && performance.now() - start < DRAIN_LIMIT_MS) await new Promise((resolve) => setTimeout(resolve, 10));
      } finally {
        await relay.stop();
      }
      const seconds = (performance.now() - start) / 1000;
      const rate = delivered / seconds;
      const complete = delivered >= total;
      report.add({
        section: '6. relay',
        case: `delivered to ${label}`,
        ours: `${round(rate)} events/s (${delivered.toLocaleString('en')} events in ${round(seconds, 1)} s${complete ? '' : `, stopped after ${DRAIN_LIMIT_MS / 1000} s`})`,
        baseline: `${round(produced)} events/s produced`,
        ratio: ratio(rate, produced),
        // Issue 25: every sink delivers at least as fast as the library produces events at full speed.
        target: '≥ 1.0 (keeps up with the library at full speed)',
        met: complete && rate >= produced,
      });
      report.raw[`relay ${label}`] = {
        eventsPerSecond: rate,
        delivered,
        seconds,
        complete,
        ...(label.startsWith('webhook') ? { received: hooks.count() } : {}),
      };
    }
  } finally {
    await hooks.close();
    await store.close();
    await pool.end();
  }
}
