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

export interface SqlDriver extends SqlSession {
  /** Runs `fn` inside BEGIN … COMMIT on one connection, ROLLBACK when it throws. */
  transaction<T>(fn: (session: SqlSession) => Promise<T>): Promise<T>;
  /** Runs `fn` on one connection outside a transaction (for session-level advisory locks). */
  withConnection<T>(fn: (session: SqlSession) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  readonly dialect: 'node-postgres' | 'pglite';
}

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
  if (state === '55P03' || state === '57014') return true;
  if (state !== undefined) return UNAVAILABLE_CLASSES.some((c) => state.startsWith(c));
  const message = e instanceof Error ? e.message : '';
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|pool is ended|Cannot use a pool after calling end|PGlite is closed/i.test(message);
}
