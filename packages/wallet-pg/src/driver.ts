/**
 * What the store needs of a PostgreSQL driver: a query, and a transaction scoped to a callback.
 * Two thin implementations (node-postgres and PGlite) keep the SQL in one place.
 */

export type Row = Record<string, unknown>;

export interface SqlSession {
  /**
   * Runs one statement. `name` makes it a named prepared statement where the driver supports
   * it, parsed and planned once per connection instead of on every call.
   */
  query<R extends Row = Row>(text: string, params?: readonly unknown[], name?: string): Promise<R[]>;
}

/**
 * One connection held outside a transaction (for session-level advisory locks). Each of its
 * statements selects the schema for itself, inside the statement's own transaction: the
 * connection's session settings stay as they were.
 */
export type ConnectionSession = SqlSession;

export interface TransactionOptions {
  /**
   * Run the transaction's named statements with the plan each connection made once, never
   * planned again per execution (`plan_cache_mode = force_generic_plan`, set locally with BEGIN).
   * For statements whose every parameter is an array of ids or of rows: PostgreSQL costs the
   * generic plan for ten array elements against a custom plan for the two it sees, keeps choosing
   * the custom plan, and so plans the statement anew on every execution (the batch's write: 0.4 ms
   * a time, about as long as it runs for a lone transfer). Drivers without prepared statements
   * ignore it.
   */
  readonly genericPlans?: boolean | undefined;
}

export interface SqlDriver extends SqlSession {
  /**
   * The PostgreSQL schema that holds every table, function and the migrations record of the store.
   * Every statement the driver runs (queries, transactions, `withConnection`) sees it as its only
   * search path, so the store's SQL and the migrations name tables unqualified. It is selected
   * inside each of the driver's own transactions (SET LOCAL): a connection shared with the host
   * application, or handed to another client by a transaction pooler, keeps its own settings. Only
   * the connections of a pool of the store's own, each its own server session, get it once for
   * the session instead (node-postgres `sessionSettings`).
   */
  readonly schema: string;
  /** Runs `fn` inside BEGIN … COMMIT on one connection, ROLLBACK when it throws. */
  transaction<T>(fn: (session: SqlSession) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** Runs `fn` on one connection outside a transaction (for session-level advisory locks: the relay). */
  withConnection<T>(fn: (session: ConnectionSession) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * A value PostgreSQL text cannot hold as given: a NUL (refused by the server, and in a
 * simple-protocol message it ends the string early and breaks the connection) or a lone UTF-16
 * surrogate (encoded as U+FFFD on the way, so two different inputs would become one stored
 * value). The boundary validates all input first; this is the last line, in the drivers.
 */
export class UnstorableValueError extends Error {
  constructor(message = 'a value is not well-formed Unicode text or holds a NUL') {
    super(message);
    this.name = 'UnstorableValueError';
  }
}

const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when PostgreSQL stores this string exactly as given. */
export function isStorableText(value: string): boolean {
  return !UNSTORABLE.test(value);
}

/** Refuses any statement parameter (strings, and strings inside arrays) that is not storable text. */
export function assertStorableParams(params: readonly unknown[]): void {
  for (const p of params) {
    if (typeof p === 'string') {
      if (!isStorableText(p)) throw new UnstorableValueError();
    } else if (Array.isArray(p)) assertStorableParams(p);
  }
}

/**
 * JSON text for a jsonb parameter. JSON.stringify escapes a NUL or a lone surrogate as `\u0000`
 * or `\ud800`, which jsonb refuses; refusing here makes that a clear error instead of a failed
 * statement.
 */
export function storableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'string' && !isStorableText(v)) throw new UnstorableValueError();
    return v;
  });
}

/**
 * SQLSTATEs and client states after which a connection must not be used again: the server ended
 * the session (admin shutdown, terminated backend, crash), or the link itself failed.
 */
export function isConnectionBroken(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && UNAVAILABLE_NODE.has(code)) return true;
  const state = sqlState(e);
  if (state !== undefined) return state.startsWith('08') || state.startsWith('57P') || state === READ_ONLY;
  const message = e instanceof Error ? e.message : '';
  return /Connection terminated|Client has encountered a connection error|Client was closed|not queryable/i.test(message);
}

/** The schema of the store's tables when none is named. */
export const DEFAULT_SCHEMA = 'wallet';

/** Connections in a pool a store makes, unless told otherwise: two batches in flight and the reads beside them. */
export const DEFAULT_POOL_MAX = 16;
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Whether a name may be the store's schema. Only plain lower-case identifiers are accepted: they
 * need no quoting in `SET LOCAL search_path`, and they mean the
 * same quoted or not.
 */
export function isSchemaName(name: string): boolean {
  return SCHEMA_NAME.test(name) && !name.startsWith('pg_');
}

/** The schema named, or the default; a TypeError for a name `isSchemaName` refuses. */
export function schemaName(name: string | undefined): string {
  const schema = name ?? DEFAULT_SCHEMA;
  if (!isSchemaName(schema)) {
    throw new TypeError(`invalid schema name ${JSON.stringify(schema)}: use lower-case letters, digits and _, at most 63, not starting with a digit or pg_`);
  }
  return schema;
}

/** What each of the store's transactions sets for itself, before its first statement. @internal */
export interface TransactionSettings {
  schema: string;
  /** False when every connection already has the schema as its search path (set at connect). */
  searchPath: boolean;
  lockTimeoutMs?: number | undefined;
  statementTimeoutMs?: number | undefined;
}

/**
 * The SET LOCAL statements that open each of the store's transactions: they last until its
 * COMMIT or ROLLBACK, so nothing of the session (the host's, or a pooler's next client's) changes.
 * @internal
 */
export function transactionSettings(settings: TransactionSettings): string[] {
  const out: string[] = [];
  if (settings.searchPath) out.push(`SET LOCAL search_path TO "${settings.schema}"`);
  if (settings.lockTimeoutMs !== undefined) out.push(`SET LOCAL lock_timeout = ${Math.trunc(settings.lockTimeoutMs)}`);
  if (settings.statementTimeoutMs !== undefined) out.push(`SET LOCAL statement_timeout = ${Math.trunc(settings.statementTimeoutMs)}`);
  return out;
}

/** The same settings for a whole session (`SET`), where the store's own connection keeps them. @internal */
export function sessionSettingsOf(settings: readonly string[]): string[] {
  return settings.map((s) => s.replace(/^SET LOCAL /, 'SET '));
}

/**
 * A write refused because the node is read-only: a connection opened to the primary's address
 * just as that node was demoted to a standby (failover). The connection is of no more use for
 * writes, and the command may succeed on the new primary.
 */
const READ_ONLY = '25006';

/** SQLSTATEs after which the same unit of work, run again, may well succeed. */
const RETRYABLE = new Set(['40P01', '40001']);
/** SQLSTATE classes and Node error codes that mean the database cannot be reached. */
const UNAVAILABLE_CLASSES = ['08', '53', '57'];
const UNAVAILABLE_NODE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN']);

export function sqlState(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

export function isRetryable(e: unknown): boolean {
  const state = sqlState(e);
  return state !== undefined && RETRYABLE.has(state);
}

export function isUnavailable(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && UNAVAILABLE_NODE.has(code)) return true;
  const state = sqlState(e);
  // A lock not granted in time (55P03) or a statement cancelled by its timeout (57014): the
  // database is too busy for this command now; the command changed nothing and may be retried.
  if (state === '55P03' || state === '57014' || state === READ_ONLY) return true;
  if (state !== undefined) return UNAVAILABLE_CLASSES.some((c) => state.startsWith(c));
  const message = e instanceof Error ? e.message : '';
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|pool is ended|Cannot use a pool after calling end|PGlite is closed/i.test(
    message,
  );
}

/** A session that reports the name (or text) of every statement it sends, for tests and benchmarks that count round trips. */
export function countedSession(session: SqlSession, count: ((name: string) => void) | undefined): SqlSession {
  if (!count) return session;
  return {
    query: (text, params, name) => {
      count(name ?? text);
      return session.query(text, params, name);
    },
  };
}

/** The driver, its transactions' statements counted as `countedSession` counts them. */
export function countedDriver(driver: SqlDriver, count: ((name: string) => void) | undefined): SqlDriver {
  if (!count) return driver;
  return {
    schema: driver.schema,
    query: countedSession(driver, count).query,
    transaction: (fn, options) => driver.transaction((session) => fn(countedSession(session, count)), options),
    withConnection: (fn) => driver.withConnection(fn),
    close: () => driver.close(),
  };
}
