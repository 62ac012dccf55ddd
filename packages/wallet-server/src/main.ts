#!/usr/bin/env node
/** The wallet service binary: configuration from the environment, SIGTERM drains and exits 0. */
import { pino } from 'pino';
import { ConfigError, DEFAULT_LOG_LEVEL, loadConfig, unknownWalletVariables } from './config.js';
import { logDestination } from './log-destination.js';
import { startServer, type RunningServer } from './server.js';
import { armShutdownBackstop } from './shutdown-backstop.js';
import { traceFields } from './trace-context.js';
import { startTracing, type Tracing } from './tracing.js';

// Logging never waits for its consumer (see log-destination.ts).
const destination = logDestination();
// At the default level until the configuration is read: a configuration error is logged too.
const logger = pino(
  {
    level: DEFAULT_LOG_LEVEL,
    base: { service: 'goodgo-wallet' },
    // trace_id and span_id on every line written inside a span, so Loki or Seq can open its trace.
    mixin: traceFields,
    redact: { paths: ['req.headers.authorization', 'headers.authorization', '*.password', '*.secret'], remove: true },
  },
  destination,
);
/** Exits once the log is written, or a moment later if its consumer is not reading. */
const exit = (code: number) => void destination.flush(500).then(() => process.exit(code));

try {
  const config = loadConfig();
  logger.level = config.LOG_LEVEL;
  const unknown = unknownWalletVariables();
  if (unknown.length > 0) logger.warn({ variables: unknown }, 'unknown WALLET_* variables in the environment are ignored (a typo?)');
  // Set once the server listens; a signal before that has nothing to drain.
  const running: { server?: RunningServer; tracing?: Tracing } = {};
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // close() keeps to SHUTDOWN_TIMEOUT_MS on its own; these are the backstops should anything
    // else hang: a timer that logs and exits, and, should the event loop itself be stuck, a
    // thread of its own that ends the process a moment later.
    setTimeout(() => {
      logger.error({ timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'shutdown overran its timeout: exiting now');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS + 900).unref();
    armShutdownBackstop(config.SHUTDOWN_TIMEOUT_MS + 1500);
    (running.server?.close() ?? Promise.resolve())
      // The spans of the last requests are still buffered: flushed before the exit.
      .then(() => running.tracing?.shutdown().catch((e: unknown) => logger.warn({ err: e }, 'flushing the last spans failed')))
      .then(
        () => exit(0),
        (e: unknown) => {
          logger.error({ err: e }, 'shutdown failed');
          exit(1);
        },
      );
  };
  // Listening for signals from the first moment: a SIGTERM while the database is still being
  // waited for ends the process cleanly too.
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // Before the store is opened: the pg instrumentation patches the driver as it is first loaded.
  running.tracing = await startTracing();
  if (running.tracing.exporter) logger.info({ exporter: running.tracing.exporter, serviceName: running.tracing.serviceName }, 'tracing: exporting spans');
  running.server = await startServer(config, logger, { logLinesDropped: () => destination.dropped, traceContext: running.tracing.traceContext });
} catch (e) {
  if (e instanceof ConfigError) {
    logger.fatal(e.message);
    console.error(e.message);
  } else logger.fatal({ err: e }, 'failed to start');
  exit(1);
}
