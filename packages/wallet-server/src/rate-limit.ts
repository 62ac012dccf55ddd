/**
 * Rate limits per caller (`sub`), by role, over a fixed window: every instance shares one count
 * through Redis when `REDIS_URL` is set (rate-limiter-flexible's atomic Lua counter), each
 * instance counts alone otherwise. A Redis that does not answer never stops a payment: the
 * limiter fails open, logs the outage once and meters every request it let through unchecked.
 *
 * The limits are written once, in `WALLET_RATE_LIMIT`: `100/1s` for every caller, or a default
 * with per-role overrides, `100/1s,service=2000/1s,admin=off`. A caller counts under its highest
 * role (`admin` > `service` > `user`), so a service client can be given more than a user token.
 */
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Metrics } from './metrics.js';
import { ROLES, type Role } from './principal.js';

/** `points` requests per `windowSeconds`, counted per caller. */
export interface RateLimitRule {
  readonly points: number;
  readonly windowSeconds: number;
}

/** Each role's rule; `null` is no limit for that role. */
export type RateLimits = Readonly<Record<Role, RateLimitRule | null>>;

const WINDOW_SECONDS = { s: 1, m: 60, h: 3600 } as const;
const RULE = /^([1-9][0-9]{0,8})\/([1-9][0-9]{0,5})?(s|m|h)$/;

/** A rule such as `100/1s`, `6000/1m` or `100/s`, or `off`. Whole seconds: the shared counter expires in seconds. */
function parseRule(text: string): RateLimitRule | null {
  if (text === 'off') return null;
  const m = RULE.exec(text);
  if (!m) throw new Error(`"${text}" is not a limit: write requests/window, such as 100/1s, 6000/1m or 100/s, or off`);
  return { points: Number(m[1]), windowSeconds: Number(m[2] ?? '1') * WINDOW_SECONDS[m[3] as keyof typeof WINDOW_SECONDS] };
}

/**
 * `WALLET_RATE_LIMIT`: a default rule for every role, and `role=rule` overrides, comma-separated
 * (`100/1s,service=2000/1s,admin=off`). A role neither named nor covered by a default is not limited.
 */
export function parseRateLimits(spec: string): RateLimits {
  const limits: Record<Role, RateLimitRule | null> = { user: null, service: null, admin: null };
  const named = new Set<Role>();
  let fallback: RateLimitRule | null = null;
  let sawDefault = false;
  for (const part of spec.split(',').map((p) => p.trim())) {
    const eq = part.indexOf('=');
    if (eq < 0) {
      if (sawDefault) throw new Error('more than one default limit (a limit without role=)');
      sawDefault = true;
      fallback = parseRule(part);
      continue;
    }
    const role = part.slice(0, eq).trim();
    if (!(ROLES as readonly string[]).includes(role)) throw new Error(`"${role}" is not a role: use ${ROLES.join(', ')}`);
    if (named.has(role as Role)) throw new Error(`the limit of ${role} is given twice`);
    named.add(role as Role);
    limits[role as Role] = parseRule(part.slice(eq + 1).trim());
  }
  for (const role of ROLES) if (!named.has(role)) limits[role] = fallback;
  return limits;
}

/** The answer for one request: the headers it carries, and whether it may go on. */
export interface RateVerdict {
  readonly allowed: boolean;
  /** `RateLimit-Policy` and `RateLimit` (draft-ietf-httpapi-ratelimit-headers), and `Retry-After` when refused. */
  readonly headers: Readonly<Record<string, string>>;
}

export interface CallerRateLimiter {
  /** Counts one request of `sub` under `role`'s rule; null when that role has no limit or the count could not be taken (fail open). */
  take(sub: string, role: Role): Promise<RateVerdict | null>;
  /** The shared store's state for `/health`: null when the limiter counts in process. */
  storeHealth(): { status: 'up' | 'down' } | null;
  close(): Promise<void>;
}

export interface RateLimiterOptions {
  limits: RateLimits;
  /** Shares the counts between instances; in process when absent. */
  redisUrl?: string | undefined;
  logger: Logger;
  metrics: Metrics;
  /** Longest wait for Redis before the request goes on unchecked. Default 250 ms. */
  redisTimeoutMs?: number;
}

/** Keys of the counters in Redis: one namespace per role, so that a caller's count follows its rule. */
const KEY_PREFIX = 'goodgo-wallet:rate';

export function createRateLimiter(o: RateLimiterOptions): CallerRateLimiter {
  const timeoutMs = o.redisTimeoutMs ?? 250;
  const log = o.logger.child({ component: 'rate-limit' });
  const redis =
    o.redisUrl === undefined
      ? null
      : new Redis(o.redisUrl, {
          // A command while disconnected fails at once instead of waiting in a queue: the
          // request it would hold goes on unchecked (fail open) rather than waiting for Redis.
          enableOfflineQueue: false,
          maxRetriesPerRequest: 0,
          commandTimeout: timeoutMs,
          connectTimeout: Math.max(1000, timeoutMs),
          // Reconnects for ever, at most every 2 s: Redis coming back is the limiter coming back.
          retryStrategy: (times) => Math.min(100 * times, 2000),
        });
  let storeDown = false;
  const storeFailed = (err: unknown) => {
    if (storeDown) return;
    storeDown = true;
    log.warn({ err: err instanceof Error ? err.message : String(err) }, 'rate limiter store unreachable: requests pass unchecked until it answers');
  };
  redis?.on('error', storeFailed);
  redis?.on('ready', () => {
    if (storeDown) log.info('rate limiter store answers again: limits apply');
    storeDown = false;
  });
  const limiters = new Map<Role, { rule: RateLimitRule; limiter: RateLimiterAbstract }>();
  for (const role of ROLES) {
    const rule = o.limits[role];
    if (rule === null) continue;
    const common = { points: rule.points, duration: rule.windowSeconds, keyPrefix: `${KEY_PREFIX}:${role}` };
    const limiter =
      redis === null
        ? new RateLimiterMemory(common)
        : new RateLimiterRedis({
            ...common,
            storeClient: redis,
            rejectIfRedisNotReady: true,
            // A caller already over its limit is refused from memory for the rest of the window:
            // a flood costs this instance nothing in Redis.
            inMemoryBlockOnConsumed: rule.points + 1,
          });
    limiters.set(role, { rule, limiter });
  }
  return {
    async take(sub, role) {
      const entry = limiters.get(role);
      if (entry === undefined) return null;
      const { rule, limiter } = entry;
      let res: RateLimiterRes;
      let allowed = true;
      try {
        res = await limiter.consume(sub);
      } catch (e) {
        if (!(e instanceof RateLimiterRes)) {
          // Redis is away or slow: the payment goes on, the outage is logged once and metered.
          storeFailed(e);
          o.metrics.rateLimiterFailOpen.inc({ role });
          return null;
        }
        res = e;
        allowed = false;
      }
      const resetSeconds = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
      const headers: Record<string, string> = {
        'RateLimit-Policy': `"${role}";q=${rule.points};w=${rule.windowSeconds}`,
        RateLimit: `"${role}";r=${res.remainingPoints};t=${resetSeconds}`,
      };
      if (!allowed) {
        headers['Retry-After'] = String(resetSeconds);
        o.metrics.rateLimited.inc({ role });
      }
      return { allowed, headers };
    },
    storeHealth: () => (redis === null ? null : { status: redis.status === 'ready' ? 'up' : 'down' }),
    async close() {
      if (redis === null) return;
      try {
        await redis.quit();
      } catch {
        // Not connected: nothing to say goodbye to.
        redis.disconnect();
      }
    },
  };
}
