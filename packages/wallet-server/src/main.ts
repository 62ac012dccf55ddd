#!/usr/bin/env node
/** The wallet service binary: configuration from the environment, SIGTERM drains and exits 0. */
import { pino } from 'pino';
import { ConfigError, loadConfig } from './config.js';
import { startServer } from './server.js';

const level = process.env.LOG_LEVEL ?? 'info';
const logger = pino({
  level: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(level) ? level : 'info',
  base: { service: 'goodgo-wallet' },
  redact: { paths: ['req.headers.authorization', 'headers.authorization', '*.password', '*.secret'], remove: true },
});

try {
  const config = loadConfig();
  const server = await startServer(config, logger);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    server.close().then(
      () => process.exit(0),
      (e: unknown) => {
        logger.error({ err: e }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
} catch (e) {
  if (e instanceof ConfigError) {
    logger.fatal(e.message);
    console.error(e.message);
  } else logger.fatal({ err: e }, 'failed to start');
  process.exit(1);
}
