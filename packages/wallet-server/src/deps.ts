import type { SpanContext } from '@opentelemetry/api';
import type { DeadLetter } from '@goodgo/wallet-pg';
import type { SinkReport } from '@goodgo/wallet-relay';
import type { WalletService, WalletStore } from '@goodgo/wallet-core';
import type { Logger } from 'pino';
import type { createDocument } from 'zod-openapi';
import type { Metrics } from './metrics.js';
import type { Principal } from './principal.js';

/** What every handler finds on the context. */
export interface AppEnv {
  Variables: {
    requestId: string;
    principal: Principal;
    log: Logger;
    /** The answering route's path as a label (`/api/v1/wallets/:id`), set once a route is found. */
    route: string | undefined;
    /** The request's own span (W3C trace context), when trace context is on. */
    span: SpanContext | undefined;
  };
}

/** What the admin routes and `/health` read of the outbox relay, and the one thing they ask of it. */
export interface OutboxAdmin {
  /** Newest first; one sink's when named. */
  deadLetters(limit: number, sink?: string): Promise<DeadLetter[]>;
  /** Whether this instance is the active relay, and each configured sink as the database knows it. */
  relay(): Promise<{ active: boolean; head: string; sinks: SinkReport[] }>;
  /** Asks for one dead letter (or all of a sink's) to be sent again; how many were marked. */
  resend(sink: string, position?: string): Promise<number>;
  /** The configured sinks' names. */
  sinkNames(): readonly string[];
}

export interface ConsoleOptions {
  /** Sign-in through the IAM (authorization code + PKCE); null: a pasted token. */
  oidc: { authority: string; clientId: string; scope: string } | null;
  /** Where the token's roles are (a dot path), as the server reads them; null: `roles`, then `role`. */
  rolesClaim: string | null;
}

/** What the route handlers are given by `createApp` (the environment of the process is config.ts's). */
export interface Deps {
  service: WalletService;
  /** The store the service runs on, for health checks only; commands go through the service. */
  store: WalletStore;
  metrics: Metrics;
  version: string;
  health: {
    /** How long the database may take to answer before the service reports itself unavailable. */
    timeoutMs: number;
    isShuttingDown: () => boolean;
    startedAt: number;
    /** The rate limiter's shared store (Redis); null when there is none. Down is degraded, never unavailable. */
    rateLimitStore: () => { status: 'up' | 'down' } | null;
  };
  /** The relay's dead letters for admins; absent when the store keeps no outbox bookkeeping. */
  outbox: OutboxAdmin | undefined;
  events: {
    /** How often a caught-up event stream polls for new events. */
    pollMs: number;
    /** How often an idle stream sends a comment, so that proxies keep it open. */
    heartbeatMs: number;
    /** Aborted when the server shuts down: every stream ends then. */
    shutdown: AbortSignal;
  };
  /** What the operator console's page tells its script. */
  console: ConsoleOptions;
  /** The OpenAPI document of this app's routes. */
  document: () => ReturnType<typeof createDocument>;
}
