/**
 * The wallet store over PGlite, PostgreSQL embedded in the process: in memory or in a directory.
 *
 * @example
 * ```ts
 * import { createPgliteStore } from '@goodgo/wallet-pg/pglite';
 * const store = await createPgliteStore({ dataDir: './.wallet-data' }); // or 'memory://'
 * ```
 */
import { PGlite } from '@electric-sql/pglite';
import { schemaName, sessionSettingsOf } from '../driver.js';
import { migrateOrClose } from '../migrate.js';
import { SqlWalletStore, type SqlStoreOptions } from '../sql-store.js';
import { TIME_SETTINGS, PgliteDriver } from './driver.js';

export interface PgliteStoreOptions extends SqlStoreOptions {
  /** A PGlite instance of yours (you close it), or where the store's own keeps its data. Default `memory://`. */
  db?: PGlite | undefined;
  dataDir?: string | undefined;
  /** Apply the shipped migrations first. Default true. */
  migrate?: boolean | undefined;
  /**
   * The PostgreSQL schema of every table of the store and of its migrations record. Default
   * `wallet`. A host application's tables and migrations, in other schemas, are never touched.
   */
  schema?: string | undefined;
  /**
   * Whether the search path of the instance you pass as `db` is already the schema
   * (`SET search_path TO wallet`). Otherwise each transaction sets it with SET LOCAL, and the
   * instance's own search path is left as you had it. Default false.
   */
  searchPathOnConnect?: boolean | undefined;
}

export async function createPgliteStore(options: PgliteStoreOptions = {}): Promise<SqlWalletStore> {
  const ownsDb = options.db === undefined;
  const schema = schemaName(options.schema);
  const db = options.db ?? (await PGlite.create(options.dataDir ?? 'memory://'));
  // The store's own instance: its one connection keeps the schema as its search path for good,
  // and the time zone and date style its timestamps are read in (TIME_SETTINGS, for good).
  if (ownsDb) await db.exec([`SET search_path TO "${schema}"`, ...sessionSettingsOf(TIME_SETTINGS)].join(';'));
  const driver = new PgliteDriver(db, ownsDb, { schema, searchPathOnConnect: ownsDb || options.searchPathOnConnect === true });
  await migrateOrClose(driver, options.migrate);
  return new SqlWalletStore(driver, { maxBatchesInFlight: 1, ...options });
}

export { PgliteDriver };
