/**
 * The wallet store over PostgreSQL with a `pg` Pool.
 *
 * @example
 * ```ts
 * import { createNodePostgresStore } from '@goodgo/wallet-pg/node-postgres';
 * const store = await createNodePostgresStore({ connectionString: process.env.DATABASE_URL, max: 16 });
 * const wallets = new WalletService({ store });
 * ```
 */
import pg from 'pg';
import { DEFAULT_POOL_MAX, schemaName } from '../driver.js';
import { migrateOrClose } from '../migrate.js';
import { SqlWalletStore, type SqlStoreOptions } from '../sql-store.js';
import { NodePostgresDriver, type NodePostgresDriverOptions } from './driver.js';

export interface NodePostgresStoreOptions extends SqlStoreOptions, NodePostgresDriverOptions {
  /** A pool of yours (you end it), or the settings of one the store makes and ends on close. */
  pool?: pg.Pool | undefined;
  connectionString?: string | undefined;
  /** Pool size. Default `DEFAULT_POOL_MAX`. */
  max?: number | undefined;
  /** Apply the shipped migrations first. Default true. */
  migrate?: boolean | undefined;
  /**
   * The PostgreSQL schema of every table of the store and of its migrations record. Default
   * `wallet`. A host application's tables and migrations, in other schemas, are never touched.
   */
  schema?: string | undefined;
  /**
   * How long a command waits for a row lock before it gives up with SERVICE_UNAVAILABLE, and how
   * long any statement may run, set inside each of the store's transactions. Defaults 5 s and
   * 15 s: far above a healthy command (milliseconds), low enough that a stuck lock holder cannot
   * pile up every request behind it.
   */
  lockTimeoutMs?: number | undefined;
  statementTimeoutMs?: number | undefined;
  /**
   * A read replica (a hot standby of the same database) for the reads of the books: history
   * pages, balances at an instant, statements and the admin search. Commands, and every other
   * read, stay on the primary. A pool of yours (you end it), or the URL of one the store makes
   * (of `max` connections, never migrated, ended on close).
   */
  readPool?: pg.Pool | undefined;
  readConnectionString?: string | undefined;
  /**
   * How long a new connection of the store's own pools may take before the attempt fails
   * (SERVICE_UNAVAILABLE for the command that waited for it). Default 5 s. A failover's old
   * primary, unreachable, would otherwise hold an attempt for the kernel's SYN retries (minutes).
   */
  connectTimeoutMs?: number | undefined;
}

/**
 * Idle time after which the kernel probes a connection of the store's own pools (TCP keepalive):
 * a connection to a host that vanished (a failover, a partition) is found dead and dropped instead
 * of being lent and then waiting forever for an answer.
 */
const KEEPALIVE_IDLE_MS = 10_000;

/**
 * A pool of the store's own. It sends no startup `options` (a transaction pooler such as
 * PgBouncer refuses them): the schema and the timeouts are set inside each transaction.
 */
function ownPool(connectionString: string | undefined, options: NodePostgresStoreOptions, applicationName: string): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? DEFAULT_POOL_MAX,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_IDLE_MS,
    application_name: applicationName,
  });
  // An idle client that loses its connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  return pool;
}

export async function createNodePostgresStore(options: NodePostgresStoreOptions = {}): Promise<SqlWalletStore> {
  const driverOptions: NodePostgresDriverOptions = {
    ...options,
    schema: schemaName(options.schema),
    lockTimeoutMs: options.lockTimeoutMs ?? 5000,
    statementTimeoutMs: options.statementTimeoutMs ?? 15000,
  };
  // A pool of the store's own, each connection its own server session (prepared statements on
  // say no transaction pooler stands between): the settings are set once per connection.
  const sessionSettings = (own: boolean) => options.sessionSettings ?? (own && options.preparedStatements !== false);
  const pool = options.pool ?? ownPool(options.connectionString, options, 'goodgo-wallet');
  const ownsPool = options.pool === undefined;
  const driver = new NodePostgresDriver(pool, ownsPool, { ...driverOptions, sessionSettings: sessionSettings(ownsPool) });
  await migrateOrClose(driver, options.migrate);
  const readPool =
    options.readPool ?? (options.readConnectionString === undefined ? undefined : ownPool(options.readConnectionString, options, 'goodgo-wallet-read'));
  const ownsReadPool = options.readPool === undefined;
  const readDriver =
    readPool === undefined ? undefined : new NodePostgresDriver(readPool, ownsReadPool, { ...driverOptions, sessionSettings: sessionSettings(ownsReadPool) });
  return new SqlWalletStore(driver, { ...options, readDriver });
}

export { NodePostgresDriver };
