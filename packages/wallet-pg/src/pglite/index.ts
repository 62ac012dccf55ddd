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
import { migrateOrClose } from '../migrate.js';
import { SqlWalletStore, type SqlStoreOptions } from '../sql-store.js';
import { PgliteDriver } from './driver.js';

export interface PgliteStoreOptions extends SqlStoreOptions {
  /** A PGlite instance of yours (you close it), or where the store's own keeps its data. Default `memory://`. */
  db?: PGlite;
  dataDir?: string;
  /** Apply the shipped migrations first. Default true. */
  migrate?: boolean;
}

export async function createPgliteStore(options: PgliteStoreOptions = {}): Promise<SqlWalletStore> {
  const ownsDb = options.db === undefined;
  const db = options.db ?? (await PGlite.create(options.dataDir ?? 'memory://'));
  const driver = new PgliteDriver(db, ownsDb);
  await migrateOrClose(driver, options.migrate);
  return new SqlWalletStore(driver, options);
}

export { PgliteDriver };
