import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { LedgerKeyring, ServiceUnavailableError, WalletService, type WalletStore } from '@goodgo/wallet-core';
import { SqlOutbox, type SqlWalletStore } from '@goodgo/wallet-pg';
import { amqpSink, startOutboxRelay, webhookSink, type EventSink, type OutboxRelay } from '@goodgo/wallet-relay';
import type { Logger } from 'pino';
import { createApp } from './app.js';
import { createAuthenticator, type AuthConfig } from './auth.js';
import type { OutboxAdmin } from './deps.js';
import { ConfigError, DEVELOPMENT_JWT_SECRET, type Config } from './config.js';
import { Metrics } from './metrics.js';
import { answerParserErrors } from './errors.js';
import { startIdempotencyPurge, type IdempotencyPurge } from './idempotency-purge.js';
import { createRateLimiter } from './rate-limit.js';
import { connectStore } from './store-connector.js';

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  /** The store, standing in (SERVICE_UNAVAILABLE) until the database has answered and been migrated. */
  readonly store: WalletStore;
  /** Resolves once the database answered and the migrations ran. */
  readonly ready: Promise<void>;
  /**
   * Stops taking connections, lets in-flight requests finish, closes the store; all within
   * SHUTDOWN_TIMEOUT_MS whatever state the database or the pool is in (what is still open then
   * is cut, and a pool that does not end in time is abandoned: the process is about to exit).
   */
  close(): Promise<void>;
}

/**
 * The ledger chain's keys. Without WALLET_LEDGER_KEY the chain is keyed with the published
 * development key: rows still chain, but anyone who can write the database can recompute them.
 */
export function ledgerKeysOf(config: Config, logger: Logger): LedgerKeyring {
  if (config.WALLET_LEDGER_KEY) return config.WALLET_LEDGER_KEY;
  // Under the public key the chain proves nothing against a database writer, and rows keyed with
  // it stay so for good: production refuses to write them, as it refuses the development JWT secret.
  if (config.NODE_ENV === 'production') {
    throw new ConfigError(
      'No WALLET_LEDGER_KEY set: refusing to start in production with the public development key of the ledger hash chain (docs/operations.md)',
    );
  }
  logger.warn(
    { ledgerKey: 'development' },
    'No WALLET_LEDGER_KEY is set: the ledger hash chain is keyed with the public development key, so reconciliation cannot tell ' +
      'an edit made with database access from the service. Set WALLET_LEDGER_KEY in production (docs/operations.md).',
  );
  return LedgerKeyring.developmentKey();
}

/** Opens (and migrates) the store the configuration names: PostgreSQL with DATABASE_URL, else PGlite. */
export async function openStore(config: Config, logger: Logger, ledgerKeys = ledgerKeysOf(config, logger)): Promise<SqlWalletStore> {
  const checkpointFile = config.WALLET_CHECKPOINT_FILE;
  if (config.DATABASE_URL) {
    const { createNodePostgresStore } = await import('@goodgo/wallet-pg/node-postgres');
    const store = await createNodePostgresStore({
      ledgerKeys,
      checkpointFile,
      connectionString: config.DATABASE_URL,
      readConnectionString: config.DATABASE_READ_URL,
      max: config.DATABASE_POOL_MAX,
      connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
      schema: config.WALLET_DB_SCHEMA,
      preparedStatements: config.DATABASE_PREPARED_STATEMENTS,
    });
    const replica = config.DATABASE_READ_URL !== undefined;
    logger.info(
      {
        database: 'postgresql',
        poolMax: config.DATABASE_POOL_MAX,
        schema: config.WALLET_DB_SCHEMA,
        readReplica: replica,
        preparedStatements: config.DATABASE_PREPARED_STATEMENTS,
      },
      'store ready, migrations applied',
    );
    return store;
  }
  const { createPgliteStore } = await import('@goodgo/wallet-pg/pglite');
  const store = await createPgliteStore({ dataDir: config.WALLET_DATA_DIR, schema: config.WALLET_DB_SCHEMA, ledgerKeys, checkpointFile });
  logger.info({ database: 'pglite', dataDir: config.WALLET_DATA_DIR, schema: config.WALLET_DB_SCHEMA }, 'store ready, migrations applied');
  return store;
}

function authConfig(config: Config, logger: Logger): AuthConfig {
  const claims = { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, userClaim: config.JWT_USER_CLAIM, rolesClaim: config.JWT_ROLES_CLAIM };
  if (config.JWT_AUTHORITY) return { kind: 'authority', authority: config.JWT_AUTHORITY, ...claims };
  if (config.JWT_SECRET) return { kind: 'secret', secret: config.JWT_SECRET, ...claims };
  if (config.NODE_ENV === 'production') {
    throw new ConfigError('No JWT_SECRET or JWT_AUTHORITY set: refusing to start in production without token verification keys');
  }
  logger.warn(
    { mode: 'development' },
    'DEVELOPMENT MODE: no JWT_SECRET or JWT_AUTHORITY is set, so tokens are verified with the public development secret. ' +
      'Anyone can mint tokens for this server. Mint one with: npx goodgo-wallet-token --sub <user> --role admin (npm run token -- … in the repository)',
  );
  return { kind: 'secret', secret: DEVELOPMENT_JWT_SECRET, ...claims };
}

/** The relay's sinks from the configuration; none configured means no relay runs. */
export function sinksOf(config: Config): EventSink[] {
  const sinks: EventSink[] = config.WALLET_WEBHOOK_URLS.map((e) =>
    webhookSink({
      name: e.name,
      url: e.url,
      secret: e.secret ?? (config.WALLET_WEBHOOK_SECRET as string),
      startAt: e.from,
      ordering: e.ordering,
      ...(e.events ? { events: e.events } : {}),
      ...(e.retry ? { retry: e.retry } : {}),
    }),
  );
  if (config.WALLET_AMQP_URL) sinks.push(amqpSink({ url: config.WALLET_AMQP_URL }));
  return sinks;
}

function startRelay(sinks: EventSink[], store: SqlWalletStore, metrics: Metrics, logger: Logger): OutboxRelay | null {
  if (sinks.length === 0) return null;
  const log = logger.child({ component: 'outbox-relay' });
  return startOutboxRelay({
    driver: store.driver,
    sinks,
    log: (level, message, fields) => log[level](fields ?? {}, message),
    onDelivered: (sink, count) => metrics.relayDelivered.inc({ sink }, count),
    onDeadLetter: (sink, count) => metrics.relayDeadLetters.inc({ sink }, count),
  });
}

export interface ServerOptions {
  /** How many log lines the log's destination has dropped (metered as wallet_log_lines_dropped_total). */
  logLinesDropped?: () => number;
  /** W3C trace context on every request (default true; false with OTEL_SDK_DISABLED=true). */
  traceContext?: boolean;
}

export async function startServer(config: Config, logger: Logger, options: ServerOptions = {}): Promise<RunningServer> {
  const auth = createAuthenticator(authConfig(config, logger));
  // Read once, before the connector's retries: a missing key in production is a configuration error, not an outage.
  const ledgerKeys = ledgerKeysOf(config, logger);
  // The SQL store once open: the relay and the dead-letter list need its driver.
  let opened: SqlWalletStore | null = null;
  const connector = connectStore(async () => (opened = await openStore(config, logger, ledgerKeys)), { logger });
  // Serve at once when the database answers the first time; otherwise serve anyway (live 200,
  // ready 503, commands 503) while the connector keeps trying.
  await connector.firstAttempt;
  const store = connector.store;
  const service = new WalletService({
    store,
    defaultCurrency: config.WALLET_DEFAULT_CURRENCY,
    maxAmount: config.WALLET_MAX_AMOUNT,
    allowanceTtlMs: config.WALLET_ALLOWANCE_TTL,
    allowanceSyncGraceMs: config.WALLET_ALLOWANCE_SYNC_GRACE,
    holdTtlMs: config.WALLET_HOLD_TTL,
    limits: config.WALLET_LIMITS,
    limitsTimeZone: config.WALLET_LIMITS_TZ,
  });
  let shuttingDown = false;
  const shutdown = new AbortController();
  const metrics = new Metrics({ logLinesDropped: options.logLinesDropped });
  // Built now, so that a URL that could never deliver stops the start (it is checked again here).
  const sinks = sinksOf(config);
  // Every instance runs a relay once the database answers; the advisory lock keeps all but one
  // of them standing by.
  let relay: OutboxRelay | null = null;
  const driver = () => {
    if (!opened) throw new ServiceUnavailableError('The database is not connected yet');
    return opened.driver;
  };
  const outbox: OutboxAdmin = {
    deadLetters: (limit, sink) => new SqlOutbox(driver()).listDeadLetters(limit, sink),
    relay: async () => {
      const head = await new SqlOutbox(driver()).head();
      return { active: relay?.status().active ?? false, head, sinks: relay ? await relay.report() : [] };
    },
    resend: (sink, position) => new SqlOutbox(driver()).requestResend(sink, position),
    sinkNames: () => sinks.map((s) => s.name),
  };
  metrics.watchRelay(outbox);
  const consoleOptions = {
    oidc:
      config.WALLET_CONSOLE_OIDC_CLIENT_ID && config.JWT_AUTHORITY
        ? { authority: config.JWT_AUTHORITY, clientId: config.WALLET_CONSOLE_OIDC_CLIENT_ID, scope: config.WALLET_CONSOLE_OIDC_SCOPE }
        : null,
    rolesClaim: config.JWT_ROLES_CLAIM ?? null,
  };
  const rateLimiter = config.WALLET_RATE_LIMIT
    ? createRateLimiter({ limits: config.WALLET_RATE_LIMIT, redisUrl: config.REDIS_URL, logger, metrics })
    : undefined;
  if (config.WALLET_RATE_LIMIT) logger.info({ rateLimits: config.WALLET_RATE_LIMIT, shared: config.REDIS_URL !== undefined }, 'rate limits per caller');
  const app = createApp({
    rateLimiter,
    service,
    store,
    auth,
    logger,
    metrics,
    isShuttingDown: () => shuttingDown,
    shutdown: shutdown.signal,
    outbox,
    console: consoleOptions,
    traceContext: options.traceContext ?? true,
  });
  // Started once the database answers; stopped first on shutdown.
  let purge: IdempotencyPurge | undefined;
  void connector.ready.then(() => {
    if (shuttingDown) return;
    if (opened) relay = startRelay(sinks, opened, metrics, logger);
    purge = startIdempotencyPurge({ store, ttlMs: config.WALLET_IDEMPOTENCY_TTL, metrics, logger });
    void purge.runOnce();
  });

  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, () => resolve(s));
    s.once('error', reject);
  });
  answerParserErrors(server as import('node:http').Server);
  const { port } = server.address() as AddressInfo;
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? 'localhost' : config.HOST;
  const url = `http://${host}:${port}`;
  logger.info({ url, auth: auth.mode }, 'wallet service listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    store,
    ready: connector.ready,
    close: () =>
      (closing ??= (async () => {
        shuttingDown = true;
        shutdown.abort();
        void purge?.stop();
        const deadline = Date.now() + config.SHUTDOWN_TIMEOUT_MS;
        const http = server as import('node:http').Server;
        logger.info('draining in-flight requests');
        await new Promise<void>((resolve) => {
          // Connections with no request begun are closed first, and then as each becomes idle:
          // answers given from now on say Connection: close, and an ended event stream leaves its
          // connection idle. A request the server has begun reading is always answered.
          const idle = setInterval(() => http.closeIdleConnections(), 50).unref();
          const force = setTimeout(() => {
            clearInterval(idle);
            logger.warn({ timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'shutdown timeout: closing remaining connections');
            http.closeAllConnections();
            resolve();
          }, config.SHUTDOWN_TIMEOUT_MS);
          force.unref();
          server.close(() => {
            clearTimeout(force);
            clearInterval(idle);
            resolve();
          });
          http.closeIdleConnections();
        });
        // pool.end() waits for every checked-out connection; one stuck on a database that is gone
        // would hold the exit forever. What the deadline leaves (at least a moment) is its share.
        const stopped = (async () => {
          await relay?.stop();
          await rateLimiter?.close();
          await connector.close();
        })();
        const closed = await withinMs(stopped, Math.max(100, deadline - Date.now()));
        if (closed) logger.info('stopped');
        else logger.warn('stopped: the store did not close in time and was abandoned');
      })()),
  };
}

/** True when `p` settles within `ms`; a rejection counts as settled (it is logged by no one: the process exits). */
async function withinMs(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = p.then(
    () => true,
    () => true,
  );
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
  });
  try {
    return await Promise.race([settled, late]);
  } finally {
    clearTimeout(timer);
  }
}
