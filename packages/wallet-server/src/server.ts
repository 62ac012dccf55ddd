import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { WalletService, type WalletStore } from '@goodgo/wallet-core';
import type { Logger } from 'pino';
import { createApp } from './app.js';
import { createAuthenticator, type AuthConfig } from './auth.js';
import { ConfigError, DEVELOPMENT_JWT_SECRET, type Config } from './config.js';
import { Metrics } from './metrics.js';

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly store: WalletStore;
  /** Stops taking connections, lets in-flight requests finish (up to the shutdown timeout), closes the store. */
  close(): Promise<void>;
}

async function openStore(config: Config, logger: Logger): Promise<WalletStore> {
  if (config.DATABASE_URL) {
    const { createNodePostgresStore } = await import('@goodgo/wallet-pg/node-postgres');
    const store = await createNodePostgresStore({ connectionString: config.DATABASE_URL, max: config.DATABASE_POOL_MAX });
    logger.info({ database: 'postgresql', poolMax: config.DATABASE_POOL_MAX }, 'store ready, migrations applied');
    return store;
  }
  const { createPgliteStore } = await import('@goodgo/wallet-pg/pglite');
  const store = await createPgliteStore({ dataDir: config.WALLET_DATA_DIR });
  logger.info({ database: 'pglite', dataDir: config.WALLET_DATA_DIR }, 'store ready, migrations applied');
  return store;
}

function authConfig(config: Config, logger: Logger): AuthConfig {
  const claims = { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE };
  if (config.JWT_AUTHORITY) return { kind: 'authority', authority: config.JWT_AUTHORITY, ...claims };
  if (config.JWT_SECRET) return { kind: 'secret', secret: config.JWT_SECRET, ...claims };
  if (config.NODE_ENV === 'production') {
    throw new ConfigError('No JWT_SECRET or JWT_AUTHORITY set: refusing to start in production without token verification keys');
  }
  logger.warn(
    { mode: 'development' },
    'DEVELOPMENT MODE: no JWT_SECRET or JWT_AUTHORITY is set, so tokens are verified with the public development secret. ' +
      'Anyone can mint tokens for this server. Mint one with: npm run token -- --sub <user> --role admin',
  );
  return { kind: 'secret', secret: DEVELOPMENT_JWT_SECRET, ...claims };
}

export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  const auth = createAuthenticator(authConfig(config, logger));
  const store = await openStore(config, logger);
  const service = new WalletService({ store, defaultCurrency: config.WALLET_DEFAULT_CURRENCY, maxAmount: config.WALLET_MAX_AMOUNT });
  let shuttingDown = false;
  const app = createApp({ service, store, auth, logger, metrics: new Metrics(), isShuttingDown: () => shuttingDown });

  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, () => resolve(s));
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? 'localhost' : config.HOST;
  const url = `http://${host}:${port}`;
  logger.info({ url, auth: auth.mode }, 'wallet service listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    store,
    close: () =>
      (closing ??= (async () => {
        shuttingDown = true;
        logger.info('draining in-flight requests');
        await new Promise<void>((resolve) => {
          const force = setTimeout(() => {
            logger.warn({ timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'shutdown timeout: closing remaining connections');
            (server as import('node:http').Server).closeAllConnections?.();
          }, config.SHUTDOWN_TIMEOUT_MS);
          force.unref();
          server.close(() => {
            clearTimeout(force);
            resolve();
          });
          // Keep-alive connections with no request in flight would hold close() open.
          (server as import('node:http').Server).closeIdleConnections?.();
        });
        await store.close();
        logger.info('stopped');
      })()),
  };
}
