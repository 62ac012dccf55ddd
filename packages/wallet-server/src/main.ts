#!/usr/bin/env node
/** The wallet service binary: configuration from the environment, SIGTERM drains and exits 0. */
import { pino } from 'pino';
import { ConfigError, DEFAULT_LOG_LEVEL, loadConfig } from './config.js';
import { startServer, type RunningServer } from './server.js';

// At the default level until the configuration is read: a configuration error is logged too.
const logger = pino({
  level: DEFAULT_LOG_LEVEL,
  base: { service: 'goodgo-wallet' },
  redact: { paths: ['req.headers.authorization', 'headers.authorization', '*.password', '*.secret'], remove: true },
});

try {
  const config = loadConfig();
  logger.level = config.LOG_LEVEL;
  // Set once the server listens; a signal before that has nothing to drain.
  const running: { server?: RunningServer } = {};
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // close() keeps to SHUTDOWN_TIMEOUT_MS on its own; this is the backstop should anything else hang.
    setTimeout(() => {
      logger.error({ timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'shutdown overran its timeout: exiting now');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS + 900).unref();
    (running.server?.close() ?? Promise.resolve()).then(
      () => process.exit(0),
      (e: unknown) => {
        logger.error({ err: e }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  // Listening for signals from the first moment: a SIGTERM while the database is still being
  // waited for ends the process cleanly too.
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  running.server = await startServer(config, logger);
} catch (e) {
  if (e instanceof ConfigError) {
    logger.fatal(e.message);
    console.error(e.message);
  } else logger.fatal({ err: e }, 'failed to start');
  process.exit(1);
}
