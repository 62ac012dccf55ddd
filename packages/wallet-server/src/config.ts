import {
  DEFAULT_CURRENCY,
  DEFAULT_HOLD_TTL_MS,
  DEFAULT_LIMITS_TIME_ZONE,
  LimitPolicy,
  isTimeZone,
  schemas,
  DEFAULT_MAX_AMOUNT,
  LedgerKeyring,
  MAX_AMOUNT_PATTERN,
  MAX_HOLD_TTL_MS,
  isCurrencyCode,
} from '@goodgo/wallet-core';
import { DEFAULT_POOL_MAX, DEFAULT_SCHEMA, isSchemaName } from '@goodgo/wallet-pg';
import { z } from 'zod';
import { CLAIM_PATH } from './principal.js';
import { parseRateLimits } from './rate-limit.js';
import { WEBHOOK_SECRET, parseWebhookEndpoints } from './webhook-endpoints.js';

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A duration such as `24h`, `90m`, `3600s`, `7d` or `500ms`; a bare integer is milliseconds. */
export const durationSchema = z
  .string()
  .regex(/^[0-9]{1,15}(ms|s|m|h|d)?$/, 'must be a whole number with a unit: ms, s, m, h or d (such as 24h)')
  .transform((v) => {
    const m = /^([0-9]+)(ms|s|m|h|d)?$/.exec(v) as RegExpExecArray;
    return Number(m[1]) * UNIT_MS[(m[2] ?? 'ms') as keyof typeof UNIT_MS];
  });

/** pino's levels; `silent` logs nothing. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const DEFAULT_LOG_LEVEL = 'info' satisfies (typeof LOG_LEVELS)[number];

/** The environment of the contract, validated at start so that a typo stops the process with a clear message. */
export const configSchema = z
  .object({
    NODE_ENV: optionalText,
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().min(1).default('0.0.0.0'),
    LOG_LEVEL: z.enum(LOG_LEVELS).default(DEFAULT_LOG_LEVEL),
    WALLET_DEFAULT_CURRENCY: z.string().default(DEFAULT_CURRENCY).refine(isCurrencyCode, 'must be an upper-case ISO 4217 currency code'),
    WALLET_MAX_AMOUNT: z.string().regex(MAX_AMOUNT_PATTERN, 'must be a positive decimal string').default(DEFAULT_MAX_AMOUNT),
    // Default e-money limits per currency, JSON: {"VND": {"maxBalance": "100000000", "daily": {"deposit": …}, "monthly": {"spend": …}}}.
    WALLET_LIMITS: optionalText.transform((v, ctx) => {
      if (v === undefined) return {};
      let parsed: unknown;
      try {
        parsed = JSON.parse(v);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON such as {"VND": {"maxBalance": "100000000", "monthly": {"spend": "100000000"}}}' });
        return z.NEVER;
      }
      const limits = schemas.limitsByCurrencySchema.safeParse(parsed);
      if (!limits.success) {
        for (const issue of limits.error.issues) ctx.addIssue({ code: 'custom', message: `${issue.path.join('.') || '(value)'}: ${issue.message}` });
        return z.NEVER;
      }
      try {
        // Each amount against its currency's digits, as the service will read it.
        new LimitPolicy({ defaults: limits.data });
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: (e as Error).message });
        return z.NEVER;
      }
      return limits.data;
    }),
    // The time zone a limit's day and month are counted in.
    WALLET_LIMITS_TZ: z.string().default(DEFAULT_LIMITS_TIME_ZONE).refine(isTimeZone, 'must be an IANA time zone such as Asia/Ho_Chi_Minh'),
    WALLET_DATA_DIR: z.string().min(1).default('./.wallet-data'),
    // Says that an embedded store (PGlite, or memory://) in production is meant.
    WALLET_ALLOW_EMBEDDED: z
      .enum(['true', 'false'], 'must be true or false')
      .default('false')
      .transform((v) => v === 'true'),
    DATABASE_URL: optionalText.pipe(z.url({ protocol: /^postgres(ql)?$/ }).optional()),
    DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(1000).default(DEFAULT_POOL_MAX),
    // How long a new database connection may take (both pools): an unreachable node (a failover's
    // old primary) fails the attempt after this instead of holding it for minutes.
    DATABASE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(5000),
    // false behind a pooler that keeps no prepared statement across transactions (PgBouncer 1.18
    // in transaction mode): every statement is then parsed where it runs.
    DATABASE_PREPARED_STATEMENTS: z
      .enum(['true', 'false'], 'must be true or false')
      .default('true')
      .transform((v) => v === 'true'),
    // A hot standby of DATABASE_URL's database, for the reads of the books (history, balance at an
    // instant, statements, admin search); a pool of DATABASE_POOL_MAX of its own.
    DATABASE_READ_URL: optionalText.pipe(z.url({ protocol: /^postgres(ql)?$/ }).optional()),
    // The PostgreSQL schema of every table of the service and of its migrations record.
    WALLET_DB_SCHEMA: z.string().default(DEFAULT_SCHEMA).refine(isSchemaName, 'must be a lower-case identifier (letters, digits, _), not starting with pg_'),
    JWT_SECRET: optionalText.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
    JWT_AUTHORITY: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
    JWT_ISSUER: optionalText,
    JWT_AUDIENCE: optionalText,
    // Dot paths into the token's claims, for an IAM that puts them elsewhere (Keycloak: realm_access.roles).
    JWT_ROLES_CLAIM: optionalText.pipe(z.string().regex(CLAIM_PATH, 'must be claim names joined by dots, e.g. realm_access.roles').optional()),
    JWT_USER_CLAIM: optionalText.pipe(z.string().regex(CLAIM_PATH, 'must be claim names joined by dots, e.g. sub').optional()),
    SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
    // How long a hold lives when its command names no expiry; the core's bound (30 days) applies.
    WALLET_HOLD_TTL: durationSchema.default(DEFAULT_HOLD_TTL_MS).refine((ms) => ms > 0 && ms <= MAX_HOLD_TTL_MS, 'must be more than 0 and at most 30d'),
    // The contract keeps keys at least 24 h: a shorter TTL is refused rather than silently raised.
    WALLET_IDEMPOTENCY_TTL: durationSchema.default(UNIT_MS.h * 24).refine((ms) => ms >= UNIT_MS.h * 24, 'must be at least 24h (keys live at least 24 h)'),
    // The outbox relay's webhook sinks (src/webhook-endpoints.ts): each a sink of its own, with its
    // own name, position, retries, secret and event filter.
    WALLET_WEBHOOK_URLS: optionalText.transform((v, ctx) => {
      try {
        return parseWebhookEndpoints(v);
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: (e as Error).message });
        return z.NEVER;
      }
    }),
    WALLET_WEBHOOK_SECRET: optionalText.pipe(z.string().regex(WEBHOOK_SECRET, 'must be a Standard Webhooks secret: whsec_ followed by base64').optional()),
    // The operator console signs in through the IAM (JWT_AUTHORITY) with this public client id
    // (authorization code + PKCE); without it, the console takes a pasted token.
    WALLET_CONSOLE_OIDC_CLIENT_ID: optionalText,
    WALLET_CONSOLE_OIDC_SCOPE: z.string().min(1).default('openid'),
    // Requests per caller (`sub`) and window, by role (src/rate-limit.ts): `100/1s`, or
    // `100/1s,service=2000/1s,admin=off`. Off when unset.
    WALLET_RATE_LIMIT: optionalText.transform((v, ctx) => {
      if (v === undefined) return undefined;
      try {
        return parseRateLimits(v);
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: (e as Error).message });
        return z.NEVER;
      }
    }),
    // Shares the rate limits between instances; without it each instance counts alone.
    REDIS_URL: optionalText.pipe(z.url({ protocol: /^rediss?$/ }).optional()),
    WALLET_AMQP_URL: optionalText.pipe(z.url({ protocol: /^amqps?$/ }).optional()),
    // Offline allowances: how long a till sells from one opened without spendUntil, and how long
    // after spendUntil its rest stays reserved for late forwarding.
    WALLET_ALLOWANCE_TTL: durationSchema.default(UNIT_MS.h * 24).refine((ms) => ms > 0 && ms <= UNIT_MS.d * 7, 'must be more than 0 and at most 7d'),
    WALLET_ALLOWANCE_SYNC_GRACE: durationSchema.default(UNIT_MS.h * 72).refine((ms) => ms > 0 && ms <= UNIT_MS.d * 30, 'must be more than 0 and at most 30d'),
    // Where each signed checkpoint of the ledger's chain heads is appended (one JSON line per part),
    // besides the event stream; reconciliation then trusts this file over the database's copy.
    WALLET_CHECKPOINT_FILE: optionalText,
    // The ledger chain's keys: `id:secret` (or a bare secret), comma-separated, the first keying
    // new rows and checkpoints; the rest verify older ones (rotation). Never stored in the database.
    WALLET_LEDGER_KEY: optionalText.pipe(
      z
        .string()
        .optional()
        .transform((v, ctx) => {
          if (v === undefined) return undefined;
          try {
            return LedgerKeyring.parse(v);
          } catch (e) {
            ctx.addIssue({ code: 'custom', message: e instanceof Error ? e.message : String(e) });
            return z.NEVER;
          }
        }),
    ),
  })
  .refine((c) => c.WALLET_WEBHOOK_URLS.every((e) => e.secret !== undefined) || c.WALLET_WEBHOOK_SECRET !== undefined, {
    message: 'an endpoint of WALLET_WEBHOOK_URLS without a secret of its own needs WALLET_WEBHOOK_SECRET',
    path: ['WALLET_WEBHOOK_SECRET'],
  })
  .refine((c) => c.DATABASE_READ_URL === undefined || c.DATABASE_URL !== undefined, {
    message: 'DATABASE_READ_URL needs DATABASE_URL (a replica of PostgreSQL, not of the embedded store)',
    path: ['DATABASE_READ_URL'],
  })
  .refine((c) => c.WALLET_CONSOLE_OIDC_CLIENT_ID === undefined || c.JWT_AUTHORITY !== undefined, {
    message: 'WALLET_CONSOLE_OIDC_CLIENT_ID needs JWT_AUTHORITY (the IAM the console signs in through)',
    path: ['WALLET_CONSOLE_OIDC_CLIENT_ID'],
  })
  .refine((c) => !(c.JWT_SECRET && c.JWT_AUTHORITY), { message: 'set JWT_SECRET or JWT_AUTHORITY, not both', path: ['JWT_SECRET'] })
  // A money service whose records live in the process's memory or a container's writable layer
  // loses them with it: production names its database, or says the embedded store is meant.
  .refine((c) => c.NODE_ENV !== 'production' || c.DATABASE_URL !== undefined || c.WALLET_ALLOW_EMBEDDED, {
    message:
      'NODE_ENV=production needs DATABASE_URL: without it the records live in embedded PGlite (WALLET_DATA_DIR) on this machine; set WALLET_ALLOW_EMBEDDED=true if that is meant',
    path: ['DATABASE_URL'],
  });

export type Config = z.output<typeof configSchema>;

/**
 * `WALLET_*` variables set in the environment that the service does not read: most likely a typo
 * or a setting of another version, which would otherwise be ignored in silence.
 */
export function unknownWalletVariables(env: Record<string, string | undefined> = process.env): string[] {
  const known = new Set(Object.keys(configSchema.shape));
  return Object.keys(env)
    .filter((name) => name.startsWith('WALLET_') && !known.has(name) && !READ_ELSEWHERE.has(name))
    .sort();
}

/** WALLET_* variables read outside this schema (by the test suites and tools, not the server). */
const READ_ELSEWHERE = new Set(['WALLET_TEST_DATABASE_URL']);

export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const result = configSchema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(config)'}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return result.data;
}

/**
 * The development secret used when no JWT setting is given outside production. It is public on
 * purpose (it is in this file): anyone can mint tokens for a server running with it, which is
 * why the server logs a warning at start and refuses it when NODE_ENV=production.
 */
export const DEVELOPMENT_JWT_SECRET = 'goodgo-wallet-development-secret-never-use-in-production';
