import { Webhook } from 'standardwebhooks';
import { PartialDelivery, type EventSink, type OutboxMessage, type RetryPolicy } from '../sink.js';

export interface WebhookSinkOptions {
  url: string;
  /** The endpoint's signing secret, `whsec_` followed by base64, as Standard Webhooks defines it. */
  secret: string;
  /** How long one POST may take. Default 10 s. */
  timeoutMs?: number;
  /** Default: 1 s doubling up to 5 min, dead-lettered after 12 attempts (about 20 minutes). */
  retry?: Partial<RetryPolicy>;
  /**
   * How many events the relay reads from the outbox per round (still POSTed one by one, in order).
   * Default 100: the relay stores its position once per round, not once per event.
   */
  batchSize?: number;
}

const DEFAULT_RETRY: RetryPolicy = { baseDelayMs: 1000, maxDelayMs: 300_000, maxAttempts: 12 };

/**
 * POSTs each event, one at a time and in order (the spec's message is one event), signed per the Standard Webhooks spec: headers
 * `webhook-id` (the event id, the same on every retry, so the receiver can drop duplicates),
 * `webhook-timestamp` and `webhook-signature`; the body is the event envelope as JSON. Any answer
 * but a 2xx is a failure, retried with backoff; an event that keeps failing is dead-lettered. When a POST fails after earlier
 * events of the round went through, it says how many did (`PartialDelivery`), so only the rest is
 * sent again.
 */
export function webhookSink(options: WebhookSinkOptions): EventSink {
  const signer = new Webhook(options.secret);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const url = new URL(options.url).toString();
  return {
    name: `webhook:${url}`,
    batchSize: options.batchSize ?? 100,
    retry: { ...DEFAULT_RETRY, ...options.retry },
    async deliver(messages: readonly OutboxMessage[], signal: AbortSignal): Promise<void> {
      for (const [i, m] of messages.entries()) {
        try {
          await post(m, signal);
        } catch (e) {
          if (i === 0) throw e;
          throw new PartialDelivery(i, { cause: e });
        }
      }
    },
    async close(): Promise<void> {},
  };

  async function post(m: OutboxMessage, signal: AbortSignal): Promise<void> {
    const body = JSON.stringify(m.event);
    const now = new Date();
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': m.event.id,
        'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
        'webhook-signature': signer.sign(m.event.id, now, body),
      },
      body,
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
      redirect: 'manual',
    });
    // Drain the body so that the connection goes back to the pool.
    await res.arrayBuffer().catch(() => undefined);
    if (res.status < 200 || res.status > 299) throw new Error(`webhook answered ${res.status}`);
  }
}
