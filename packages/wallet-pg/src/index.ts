/**
 * @goodgo/wallet-pg: the wallet storage port over PostgreSQL. The drivers are subpath exports, so
 * that an application loads only the one it uses:
 *
 * @example
 * ```ts
 * import { createNodePostgresStore } from '@goodgo/wallet-pg/node-postgres';
 * import { createPgliteStore } from '@goodgo/wallet-pg/pglite';
 * ```
 */
export { SqlWalletStore, type SqlStoreOptions } from './sql-store.js';
export { migrate, migrationsFolder, MIGRATIONS_TABLE, type MigrateResult } from './migrate.js';
export {
  DEFAULT_SCHEMA,
  DEFAULT_POOL_MAX,
  isSchemaName,
  isRetryable,
  isUnavailable,
  schemaName,
  type ConnectionSession,
  type SqlDriver,
  type SqlSession,
  type Row,
} from './driver.js';
export * as schema from './schema.js';
export { SqlOutbox, readCommittedEvents, type DeadLetter, type SinkState, type PendingResend, type OutboxEntry } from './outbox.js';
export { activeTraceparent, spanContextOf, traceparentOf } from './traceparent.js';
