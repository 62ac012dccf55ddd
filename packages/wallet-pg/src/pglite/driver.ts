import type { PGlite } from '@electric-sql/pglite';
import { spanQuery } from './query-span.js';
import {
  assertStorableParams,
  schemaName,
  transactionSettings,
  type ConnectionSession,
  type Row,
  type SqlDriver,
  type SqlSession,
  type TransactionOptions,
} from '../driver.js';

export interface PgliteDriverOptions {
  /** The schema of the store's tables (`SqlDriver.schema`). Default `wallet`. */
  schema?: string | undefined;
  /**
   * Whether the instance's one connection already has the schema as its search path (the store's
   * own instance, set once at open). When not (an instance shared with the host application),
   * each transaction, and each statement outside one, sets it with SET LOCAL. Default false.
   * An instance the store does not own has every transaction and statement set its time zone and
   * date style locally either way (`TIME_SETTINGS`).
   */
  searchPathOnConnect?: boolean | undefined;
}

/** PGlite's one database (`db.namespace` of its statements' spans). */
const DATABASE = 'postgres';

/**
 * How the store reads a host's instance: PGlite turns a timestamp's text into a Date with
 * `new Date(text)`, which reads none of the forms a host's session may choose: an offset with
 * seconds (a zone's local mean time, `+07:06:30` under Asia/Ho_Chi_Minh before 1906: an invalid
 * date) or DateStyle `SQL, DMY` (`08/12/2026`: read as 12 August). Neither setting changes what
 * the store's SQL means (none of it depends on the session's zone), only how instants are written
 * back to it. The store's own instance has them for its session (createPgliteStore). @internal
 */
export const TIME_SETTINGS = ["SET LOCAL TimeZone TO 'UTC'", 'SET LOCAL DateStyle TO ISO'];

/**
 * @internal The SqlDriver over PGlite: one embedded connection; PGlite runs one transaction at a
 * time and queues the rest, so there is no lock contention to speak of (and none to test here).
 */
export class PgliteDriver implements SqlDriver {
  readonly schema: string;
  private readonly settings: string;

  constructor(
    readonly db: PGlite,
    private readonly ownsDb: boolean,
    options: PgliteDriverOptions = {},
  ) {
    this.schema = schemaName(options.schema);
    const searchPath = !(options.searchPathOnConnect ?? false);
    this.settings = [...transactionSettings({ schema: this.schema, searchPath }), ...(ownsDb ? [] : TIME_SETTINGS)].join(';');
  }

  async query<R extends Row>(text: string, params: readonly unknown[] = []): Promise<R[]> {
    if (this.settings !== '') return this.transaction((session) => session.query<R>(text, params));
    assertStorableParams(params);
    return (await spanQuery(text, undefined, DATABASE, () => this.db.query<R>(text, params as unknown[]))).rows;
  }

  /** PGlite prepares no statement by name: every statement is planned where it runs, whatever the options. */
  transaction<T>(fn: (session: SqlSession) => Promise<T>, _options?: TransactionOptions): Promise<T> {
    return this.db.transaction(async (tx) => {
      if (this.settings !== '') await tx.exec(this.settings);
      return fn({
        query: async <R extends Row>(text: string, params: readonly unknown[] = [], name?: string) => {
          assertStorableParams(params);
          return (await spanQuery(text, name, DATABASE, () => tx.query<R>(text, params as unknown[]))).rows;
        },
      });
    });
  }

  /**
   * PGlite has one connection, shared with the host when the instance is the host's: each
   * statement here runs in a transaction of its own that selects the schema locally, so the
   * host's search path never changes while a long holder (the relay) has its session.
   */
  withConnection<T>(fn: (session: ConnectionSession) => Promise<T>): Promise<T> {
    return fn({ query: (text, params) => this.query(text, params) });
  }

  async close(): Promise<void> {
    if (this.ownsDb && !this.db.closed) await this.db.close();
  }
}
