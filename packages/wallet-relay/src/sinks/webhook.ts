import { createHash, createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { Webhook } from 'standardwebhooks';
import { PartialDelivery, type EventSink, type OutboxMessage, type RetryPolicy, type StartAt } from '../sink.js';

export interface WebhookSinkOptions {
  url: string;
  /**
   * What the relay calls it: the key of its position, the label of its metrics and logs. Default
   * `webhook-` and the first 12 hex digits of the URL's SHA-256, so a token in the URL never shows;
   * name it, and a new URL under the same name keeps the position.
   */
  name?: string;
  /** The endpoint's signing secret, `whsec_` followed by base64, as Standard Webhooks defines it. */
  secret: string;
  /** Where it starts the first time the relay sees its name. Default `'now'`. */
  startAt?: StartAt;
  /** The event types it takes. Default: all. */
  events?: readonly string[];
  /** How long one POST may take. Default 10 s. */
  timeoutMs?: number;
  /** Default: 1 s doubling up to 5 min, dead-lettered after 12 attempts (about 20 minutes). */
  retry?: Partial<RetryPolicy>;
  /** How many events the relay reads from the outbox per round. Default 500: the position is stored once per round. */
  batchSize?: number;
  /**
   * `'aggregate'` (default): events of different aggregates (wallets, holds, point accounts) are
   * POSTed side by side, up to `concurrency` at once; each aggregate's in position order, the next
   * one only once the previous was accepted. `'strict'`: one at a time in position order, for a
   * receiver that needs the whole stream in order.
   */
  ordering?: 'aggregate' | 'strict';
  /** POSTs in flight at once under `'aggregate'` ordering. Default 16. */
  concurrency?: number;
}

const DEFAULT_RETRY: RetryPolicy = { baseDelayMs: 1000, maxDelayMs: 300_000, maxAttempts: 12 };
const SINK_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A webhook URL's name when none is configured: it identifies the URL without revealing it. */
export function webhookNameOf(url: string): string {
  return `webhook-${createHash('sha256').update(new URL(url).toString()).digest('hex').slice(0, 12)}`;
}

/**
 * The URL as the sink will POST to it, or an error saying why it never could: only http(s), and no
 * `user:password@` (fetch refuses such a URL on every attempt, so the sink would only ever fail).
 */
export function checkWebhookUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TypeError('webhook URL is not a URL');
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new TypeError(`webhook URL must be http or https, not ${u.protocol.slice(0, -1)}`);
  if (u.username || u.password) {
    throw new TypeError(`webhook URL for ${u.origin} carries credentials (user:password@), which are never sent: put a token in the query or path instead`);
  }
  return u;
}

/** A sink name: letters, digits, `.`, `_`, `-`; at most 64. */
export function isSinkName(name: string): boolean {
  return SINK_NAME.test(name);
}

/**
 * POSTs each event signed per the Standard Webhooks spec: headers `webhook-id` (the event id, the
 * same on every retry, so the receiver can drop duplicates), `webhook-timestamp` and
 * `webhook-signature`; the body is the event envelope as JSON. Any answer but a 2xx is a failure,
 * retried with backoff; an event that keeps failing is dead-lettered. Several aggregates go side
 * by side (see `ordering`); when some POSTs fail, the sink says which went through
 * (`PartialDelivery`), so only the rest is sent again.
 */
export function webhookSink(options: WebhookSinkOptions): EventSink {
  const url = checkWebhookUrl(options.url).toString();
  const name = options.name ?? webhookNameOf(url);
  if (!isSinkName(name)) throw new TypeError(`sink name ${JSON.stringify(name)} must be letters, digits, '.', '_' or '-' (at most 64)`);
  // Checked by the library's own parser (a secret it cannot read fails here, at start); signed
  // with node:crypto, a third of the library's pure-JS HMAC's cost, to the same bytes.
  new Webhook(options.secret);
  const key = Buffer.from(options.secret.replace(/^whsec_/, ''), 'base64');
  const sign = (id: string, at: Date, body: string): string =>
    `v1,${createHmac('sha256', key)
      .update(`${id}.${Math.floor(at.getTime() / 1000)}.${body}`)
      .digest('base64')}`;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const lanesAtOnce = options.ordering === 'strict' ? 1 : Math.max(1, options.concurrency ?? 16);
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  // Kept-alive connections, one per POST in flight: node:http costs a fifth of fetch's CPU per
  // request, which is what decides whether delivery keeps up with the library.
  const agent = new client.Agent({ keepAlive: true, maxSockets: lanesAtOnce });
  const laneOf = options.ordering === 'strict' ? () => '' : (m: OutboxMessage) => `${m.event.aggregateType}:${m.event.aggregateId}`;
  return {
    name,
    target: target.origin,
    ...(options.startAt !== undefined ? { startAt: options.startAt } : {}),
    ...(options.events !== undefined ? { events: options.events } : {}),
    batchSize: options.batchSize ?? 500,
    retry: { ...DEFAULT_RETRY, ...options.retry },
    async deliver(messages: readonly OutboxMessage[], signal: AbortSignal): Promise<void> {
      const lanes = new Map<string, number[]>();
      for (const [i, m] of messages.entries()) {
        const key = laneOf(m);
        const lane = lanes.get(key);
        if (lane) lane.push(i);
        else lanes.set(key, [i]);
      }
      const queue = [...lanes.values()];
      const delivered: number[] = [];
      let failure: { error: unknown } | null = null;
      // A failure stops new lanes from starting (an endpoint that is down costs one POST per lane
      // in flight, not one per aggregate); the lanes under way finish what they can.
      const worker = async (): Promise<void> => {
        for (let lane = queue.shift(); lane && failure === null; lane = queue.shift()) {
          for (const i of lane) {
            try {
              await post(messages[i] as OutboxMessage, signal);
              delivered.push(i);
            } catch (error) {
              failure ??= { error };
              break;
            }
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(lanesAtOnce, queue.length) }, worker));
      if (failure === null) return;
      const { error } = failure;
      if (delivered.length === 0) throw error;
      throw new PartialDelivery(delivered, { cause: error });
    },
    async close(): Promise<void> {
      agent.destroy();
    },
  };

  function post(m: OutboxMessage, signal: AbortSignal): Promise<void> {
    const body = JSON.stringify(m.event);
    const now = new Date();
    return new Promise((resolve, reject) => {
      const req = client.request(
        target,
        {
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'webhook-id': m.event.id,
            'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
            'webhook-signature': sign(m.event.id, now, body),
            // The command's trace goes on at the receiver (W3C Trace Context).
            ...(m.traceparent ? { traceparent: m.traceparent } : {}),
          },
          signal,
        },
        (res) => {
          // Drain the body so that the connection goes back to the pool. Redirects are not
          // followed: a 3xx is a failure like any answer but a 2xx.
          res.resume();
          res.once('end', () => {
            const status = res.statusCode ?? 0;
            if (status >= 200 && status <= 299) resolve();
            else reject(new Error(`webhook answered ${status}`));
          });
          res.once('error', reject);
        },
      );
      req.once('error', reject);
      // A timer on the request rather than AbortSignal.any + AbortSignal.timeout per POST, which
      // cost more CPU than the POST itself at thousands a second.
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`webhook did not answer within ${timeoutMs} ms`)));
      req.end(body);
    });
  }
}
