import { EVENT_TYPES } from '@goodgo/wallet-core';
import { checkWebhookUrl, isSinkName, webhookNameOf, type RetryPolicy, type StartAt } from '@goodgo/wallet-relay';
import { z } from 'zod';

/** One webhook endpoint of `WALLET_WEBHOOK_URLS`. */
export interface WebhookEndpoint {
  /** The sink's name: its position, metrics and logs go by it, so the URL may change under it. */
  name: string;
  url: string;
  /** Its own signing secret; absent: `WALLET_WEBHOOK_SECRET`. */
  secret?: string;
  /** The event types it takes; absent: all. */
  events?: string[];
  /** Where it starts the first time the relay sees its name. */
  from: StartAt;
  ordering: 'aggregate' | 'strict';
  /** Overrides of the retry policy (attempts before dead-lettering, backoff). */
  retry?: Partial<RetryPolicy>;
}

export const WEBHOOK_SECRET = /^whsec_[A-Za-z0-9+/]+={0,2}$/;

const entrySchema = z.strictObject({
  name: z.string().refine(isSinkName, "must be letters, digits, '.', '_' or '-' (at most 64)"),
  url: z.string(),
  secret: z.string().regex(WEBHOOK_SECRET, 'must be a Standard Webhooks secret: whsec_ followed by base64').optional(),
  events: z
    .array(z.enum(EVENT_TYPES as [string, ...string[]]))
    .min(1)
    .optional(),
  from: z.union([z.enum(['now', 'beginning']), z.string().regex(/^(0|[1-9][0-9]{0,18})$/, 'must be now, beginning or an outbox position')]).default('now'),
  ordering: z.enum(['aggregate', 'strict']).default('aggregate'),
  retry: z
    .strictObject({
      maxAttempts: z.int().min(1).max(10_000).optional(),
      baseDelayMs: z.int().min(1).max(3_600_000).optional(),
      maxDelayMs: z.int().min(1).max(86_400_000).optional(),
    })
    .optional(),
});

// `name=url`: a name cannot hold ':', so a bare URL with '=' in its query is never taken for one.
const NAMED = /^([^=:/]+)=(.+)$/;

/**
 * `WALLET_WEBHOOK_URLS`: a JSON list of `{name, url, secret?, events?, from?, ordering?, retry?}`, or a
 * comma-separated list of `name=url` (or a bare URL, named after its hash). Throws a message that
 * never repeats a URL's path, query or credentials: they may hold a token.
 */
export function parseWebhookEndpoints(text: string | undefined): WebhookEndpoint[] {
  if (text === undefined) return [];
  const entries: unknown[] = text.startsWith('[')
    ? jsonList(text)
    : text
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean)
        .map((part) => {
          const named = NAMED.exec(part);
          return named ? { name: (named[1] as string).trim(), url: (named[2] as string).trim() } : { name: webhookNameOrNull(part), url: part };
        });
  const endpoints = entries.map((entry, i) => {
    const parsed = entrySchema.safeParse(entry);
    if (!parsed.success) {
      const issue = parsed.error.issues[0] as z.core.$ZodIssue;
      throw new Error(`endpoint ${i + 1}: ${issue.path.join('.') || 'entry'} ${issue.message}`);
    }
    try {
      checkWebhookUrl(parsed.data.url);
    } catch (e) {
      throw new Error(`endpoint ${i + 1} (${parsed.data.name}): ${(e as Error).message}`);
    }
    const { secret, events, retry, ...rest } = parsed.data;
    return {
      ...rest,
      from: rest.from as StartAt,
      ...(secret !== undefined ? { secret } : {}),
      ...(events !== undefined ? { events } : {}),
      ...(retry !== undefined ? { retry: Object.fromEntries(Object.entries(retry).filter(([, v]) => v !== undefined)) as Partial<RetryPolicy> } : {}),
    };
  });
  const names = endpoints.map((e) => e.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new Error(`two endpoints are named ${twice}: each needs a name of its own`);
  return endpoints;
}

function jsonList(text: string): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error('is neither a JSON list nor name=url pairs');
  }
  if (!Array.isArray(value)) throw new Error('must be a JSON list of endpoints');
  return value;
}

/** A bare URL's name; an unparsable one is left for the URL check to report. */
function webhookNameOrNull(url: string): string {
  try {
    return webhookNameOf(url);
  } catch {
    return 'unnamed';
  }
}
