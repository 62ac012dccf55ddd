import { ValidationError, isWalletError, type WalletService, type WalletStore } from '@goodgo/wallet-core';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { routePath } from 'hono/route';
import { pino, type Logger } from 'pino';
import { bearerToken, type Authenticator } from './auth.js';
import { highestRole } from './principal.js';
import type { CallerRateLimiter } from './rate-limit.js';
import type { AppEnv, ConsoleOptions, Deps, OutboxAdmin } from './deps.js';
import { PayloadTooLargeError, RETRY_AFTER, RateLimitedError, STATUS_OF, TransportError, UnauthorizedError, problem, type Problem } from './errors.js';
import { Metrics } from './metrics.js';
import { openApiDocument } from './openapi.js';
import { bindRoutes } from './route.js';
import { ROUTES } from './routes/index.js';
import { logBindings, traceRequests } from './trace-context.js';
import { VERSION } from './version.js';

export interface AppOptions {
  service: WalletService;
  /** The store `service` runs on: the health checks ping it. */
  store: WalletStore;
  auth: Authenticator;
  logger?: Logger;
  metrics?: Metrics;
  /** Largest request body in bytes. Default 1 MiB. */
  bodyLimit?: number;
  /** How long `/health/ready` waits for the database. Default 1 500 ms. */
  readyTimeoutMs?: number;
  /**
   * True once the server drains for shutdown: readiness turns 503, and every answer from then on
   * says `Connection: close`, so that no keep-alive client sends another request on a connection
   * about to end.
   */
  isShuttingDown?: () => boolean;
  /** Aborted when shutdown begins: open event streams end at once (clients resume with Last-Event-ID). */
  shutdown?: AbortSignal;
  /** Reported by `/health` and in the OpenAPI document. Default: this package's version. */
  version?: string;
  /** The relay's dead letters for admins; absent when the store keeps no outbox bookkeeping. */
  outbox?: OutboxAdmin;
  /** How often a caught-up event stream polls for new events. Default 1 000 ms. */
  eventsPollMs?: number;
  /** The operator console's sign-in. Default: a pasted token. */
  console?: ConsoleOptions;
  /**
   * W3C trace context on every request: the caller's `traceparent` continued, the server span
   * active while it runs, its `traceparent` answered. Default true.
   */
  traceContext?: boolean;
  /** Counts each caller's requests under `/api/v1` (WALLET_RATE_LIMIT). Default: no limit. */
  rateLimiter?: CallerRateLimiter | undefined;
}

const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * The wallet service as a Hono app with no global state: tests drive it in process with
 * `app.request()`, the binary serves it with @hono/node-server.
 */
export function createApp(options: AppOptions): Hono<AppEnv> {
  const { service, store, auth } = options;
  const version = options.version ?? VERSION;
  const logger = options.logger ?? pino({ level: 'silent' });
  const metrics = options.metrics ?? new Metrics({ defaultMetrics: false });
  const isShuttingDown = options.isShuttingDown ?? (() => false);
  const app = new Hono<AppEnv>();

  // Outermost: the request's log lines, its command and its SQL all run inside its server span.
  if (options.traceContext ?? true) app.use('*', traceRequests(routeOf));
  app.use('*', async (c, next) => {
    const given = c.req.header('x-request-id');
    const requestId = given && REQUEST_ID.test(given) ? given : crypto.randomUUID();
    c.set('requestId', requestId);
    c.set('log', logger.child({ reqId: requestId, ...logBindings(c.get('span')) }));
    c.header('X-Request-Id', requestId);
    const started = performance.now();
    await next();
    // An answer given before the request's body was read (no token, no such route, a role too
    // low, a body too large or of the wrong type): the unread rest would be taken for the next
    // request on this connection, so the connection ends with the answer and says so, and a
    // keep-alive client opens a new one instead of losing its next request.
    if (hasUnreadBody(c) || isShuttingDown()) c.header('Connection', 'close');
    const seconds = (performance.now() - started) / 1000;
    const route = routeOf(c);
    metrics.requestDuration.observe({ method: c.req.method, route, status: String(c.res.status) }, seconds);
    if (c.res.headers.get('Idempotent-Replayed') === 'true') metrics.replays.inc();
    const principal = c.get('principal') as { sub: string } | undefined;
    c.get('log').info(
      { method: c.req.method, route, path: c.req.path, status: c.res.status, durationMs: Math.round(seconds * 10_000) / 10, sub: principal?.sub },
      'request',
    );
  });

  let document: ReturnType<typeof openApiDocument> | undefined;
  const deps: Deps = {
    service,
    store,
    metrics,
    version,
    health: {
      timeoutMs: options.readyTimeoutMs ?? 1500,
      isShuttingDown,
      startedAt: Date.now(),
      rateLimitStore: () => options.rateLimiter?.storeHealth() ?? null,
    },
    outbox: options.outbox,
    events: { pollMs: options.eventsPollMs ?? 1000, heartbeatMs: 15_000, shutdown: options.shutdown ?? new AbortController().signal },
    console: options.console ?? { oidc: null, rolesClaim: null },
    document: () => (document ??= openApiDocument(version)),
  };
  // The routes open to anyone (health, metrics, the document) answer before authentication.
  bindRoutes(
    app,
    ROUTES.filter((r) => r.role === 'anyone'),
    deps,
  );

  app.use('/api/v1/*', (c, next) => {
    const token = bearerToken(c.req.header('authorization'));
    // A token seen before goes on at once: an await per request costs more than the lookup
    // (promises were 4.7 µs of what a hot read costs beyond /health/live; docs/DESIGN.md, "Hot reads").
    const principal = auth.known?.(token);
    if (principal !== undefined) {
      c.set('principal', principal);
      return next();
    }
    return auth.verify(token).then((verified) => {
      c.set('principal', verified);
      return next();
    });
  });
  const limiter = options.rateLimiter;
  if (limiter) {
    // Per caller, once it is known, and before its body is read: a flood costs a token check and a count.
    app.use('/api/v1/*', async (c, next) => {
      const principal = c.get('principal');
      const verdict = await limiter.take(principal.sub, highestRole(principal));
      if (verdict !== null) for (const [name, value] of Object.entries(verdict.headers)) c.header(name, value);
      if (verdict !== null && !verdict.allowed) throw new RateLimitedError();
      await next();
    });
  }
  const maxBody = options.bodyLimit ?? 1024 * 1024;
  const limitBody = bodyLimit({
    maxSize: maxBody,
    onError: () => {
      throw new PayloadTooLargeError(`Request body exceeds ${maxBody} bytes`);
    },
  });
  // Only a POST reads a body. Asking for one makes the node server build the whole fetch Request
  // (headers copied, an AbortController): 5-7 % of the server's CPU on a GET of a wallet, measured,
  // for a body no GET reads (one sent anyway is never read, and its connection ends with the answer).
  app.use('/api/v1/*', (c, next) => (c.req.method === 'POST' ? limitBody(c, next) : next()));
  bindRoutes(
    app,
    ROUTES.filter((r) => r.role !== 'anyone'),
    deps,
  );

  // A path or method that names no route: never a domain code (WALLET_NOT_FOUND would say a
  // wallet is missing when nothing was looked up).
  app.notFound((c) => render(c, problem('NOT_FOUND', `No route ${c.req.method} ${c.req.path}`, { instance: c.req.path })));

  app.onError((err, c) => {
    const requestId = c.get('requestId');
    let body: Problem;
    if (isWalletError(err)) {
      const internal = err.code === 'INTERNAL_ERROR' || err.code === 'SERVICE_UNAVAILABLE';
      // A 503 is expected (a failover's refused or reset connections, terminated backends, a
      // demoted node refusing writes, a lock not granted in time) and the client retries: a
      // warning with its cause, so that an alert on error lines does not fire on every failover.
      if (err.code === 'SERVICE_UNAVAILABLE') c.get('log').warn({ code: err.code, cause: causeOf(err) }, 'request answered 503: database unavailable');
      else if (internal) c.get('log').error({ err, cause: (err as Error).cause }, 'request failed');
      body = problem(err.code, internal ? `${err.message}; quote request id ${requestId}` : err.message, {
        instance: c.req.path,
        requestId,
        figures: err.figures,
        ...(err instanceof ValidationError || err.code === 'VALIDATION_ERROR' ? { errors: (err as ValidationError).issues } : {}),
      });
    } else if (err instanceof TransportError) {
      body = problem(err.code, err.message, { instance: c.req.path, requestId });
    } else if (err instanceof HTTPException && err.status < 500) {
      body = problem('VALIDATION_ERROR', err.message || 'Bad request', { instance: c.req.path, requestId });
    } else {
      // Unknown failures: no message, stack or SQL leaves the process; the log has all of it.
      c.get('log').error({ err }, 'unexpected error');
      body = problem('INTERNAL_ERROR', `An internal error occurred; quote request id ${requestId}`, { instance: c.req.path, requestId });
    }
    metrics.errors.inc({ code: body.code, status: String(body.status) });
    if (err instanceof UnauthorizedError) {
      c.header('WWW-Authenticate', 'Bearer realm="goodgo-wallet"');
      c.get('log').warn({ status: 401, authFailure: err.reason }, 'token refused');
    }
    return render(c, body);
  });

  return app;
}

/** What made a request unavailable, in a line: the driver's message and its code (SQLSTATE or errno), no stack. */
function causeOf(err: Error): { message: string; code?: string } | undefined {
  const cause = err.cause;
  if (!(cause instanceof Error)) return undefined;
  const code = (cause as { code?: unknown }).code;
  return typeof code === 'string' ? { message: cause.message, code } : { message: cause.message };
}

/** The route template that answered (`unmatched` for no route), the label of metrics and the server span's name. */
function routeOf(c: Context<AppEnv>): string {
  return c.get('route') ?? (c.res.status === 404 && routePath(c) === '*' ? 'unmatched' : routePath(c));
}

function hasUnreadBody(c: Context<AppEnv>): boolean {
  const length = c.req.header('content-length');
  const announced = (length !== undefined && length.trim() !== '0') || c.req.header('transfer-encoding') !== undefined;
  return announced && !c.req.raw.bodyUsed;
}

/**
 * Answers given before the request body was read. The unread rest of the body would be taken for
 * the next request on the connection, so the connection ends with the answer, and says so: a
 * keep-alive client then opens a new one instead of losing its next request.
 */
const BEFORE_BODY = new Set<string>(['PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE']);

function render(c: Context<AppEnv>, body: Problem): Response {
  if (body.status === 503) c.header('Retry-After', RETRY_AFTER);
  if (BEFORE_BODY.has(body.code)) c.header('Connection', 'close');
  return c.body(JSON.stringify(body), STATUS_OF[body.code], { 'Content-Type': 'application/problem+json' });
}
