import type { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate as drizzleMigrate } from 'drizzle-orm/pglite/migrator';
import {
  assertStorableParams,
  schemaName,
  setLocalSearchPath,
  withSearchPath,
  type ConnectionSession,
  type Row,
  type SqlDriver,
  type SqlSession,
} from '../driver.js';

export interface PgliteDriverOptions {
  /** The schema of the store's tables (`SqlDriver.schema`). Default `wallet`. */
  schema?: string | undefined;
  /**
   * Whether the instance's one connection already has the schema as its search path (the store's
   * own instance, set once at open). When not (an instance shared with the host application),
   * each transaction sets it with SET LOCAL. Default false.
   */
  searchPathOnConnect?: boolean | undefined;
}

/**
 * @internal The SqlDriver over PGlite: one embedded connection; PGlite runs one transaction at a
 * time and queues the rest, so there is no lock contention to speak of (and none to test here).
 */
export class PgliteDriver implements SqlDriver {
  readonly schema: string;
  private readonly onConnect: boolean;

  constructor(
    readonly db: PGlite,
    private readonly ownsDb: boolean,
    options: PgliteDriverOptions = {},
  ) {
    this.schema = schemaName(options.schema);
    this.onConnect = options.searchPathOnConnect ?? false;
  }

  async query<R extends Row>(text: string, params: readonly unknown[] = []): Promise<R[]> {
    if (!this.onConnect) return this.transaction((session) => session.query<R>(text, params));
    assertStorableParams(params);
    return (await this.db.query<R>(text, params as unknown[])).rows;
  }

  transaction<T>(fn: (session: SqlSession) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      if (!this.onConnect) await tx.exec(setLocalSearchPath(this.schema));
      return fn({
        query: async <R extends Row>(text: string, params: readonly unknown[] = []) => {
          assertStorableParams(params);
          return (await tx.query<R>(text, params as unknown[])).rows;
        },
      });
    });
  }

  withConnection<T>(fn: (session: ConnectionSession) => Promise<T>): Promise<T> {
    const session: ConnectionSession = {
      query: async <R extends Row>(text: string, params: readonly unknown[] = []) => {
        assertStorableParams(params);
        return (await this.db.query<R>(text, params as unknown[])).rows;
      },
      drizzleMigrate: (config) => drizzleMigrate(drizzle({ client: this.db }), config),
    };
    if (this.onConnect) return fn(session);
    return withSearchPath(session, this.schema, () => fn(session));
  }

  async close(): Promise<void> {
    if (this.ownsDb && !this.db.closed) await this.db.close();
  }
}
