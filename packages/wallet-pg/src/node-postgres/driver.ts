import { isUuid } from '@goodgo/wallet-core';
import type { Pool, PoolClient, QueryResult } from 'pg';
import {
  assertStorableParams,
  isConnectionBroken,
  schemaName,
  sessionSettingsOf,
  transactionSettings,
  type ConnectionSession,
  type Row,
  type SqlDriver,
  type SqlSession,
  type TransactionOptions,
} from '../driver.js';

/** Visible ASCII and space: a literal of these is the same text whatever the client encoding. */
const PLAIN_TEXT = /^[\x20-\x7e]*$/;
const PARAM = /\$(\d+)/g;

/**
 * Whether a parameter may travel as a literal in the simple-protocol message that carries BEGIN:
 * NULL, safe integers, plain ASCII strings and arrays of them, whose literal form cannot change
 * their meaning. Anything else (text in other scripts, JSON documents) travels as a bound
 * parameter of its own statement, at the price of one more round trip.
 */
function inlinable(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (typeof value === 'string') return PLAIN_TEXT.test(value);
  if (typeof value === 'number') return Number.isSafeInteger(value);
  return Array.isArray(value) && value.every((v) => typeof v === 'string' && PLAIN_TEXT.test(v));
}

/** An array's text form: UUIDs as they are, any other element double-quoted with its quotes and backslashes escaped. */
function arrayText(values: readonly string[]): string {
  return `{${values.map((v) => (isUuid(v) ? v : `"${v.replace(/["\\]/g, '\\$&')}"`)).join(',')}}`;
}

/**
 * Writes a parameter as an SQL literal, for the statement that travels in one simple-protocol
 * message with BEGIN. Only values `inlinable` accepts are written; anything else is refused.
 */
function literal(client: PoolClient, value: unknown): string {
  if (!inlinable(value)) throw new TypeError(`cannot inline a parameter of type ${typeof value}`);
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'string') return client.escapeLiteral(value);
  if (typeof value === 'number') return String(value);
  return client.escapeLiteral(arrayText(value as string[]));
}

/** @internal Replaces $1…$n in one pass over the statement text; inlined values are never rescanned. */
export function inlineParams(client: PoolClient, text: string, params: readonly unknown[]): string {
  return text.replace(PARAM, (_, n: string) => {
    const i = Number(n) - 1;
    if (i < 0 || i >= params.length) throw new RangeError(`statement uses $${n} but has ${params.length} parameters`);
    return literal(client, params[i]);
  });
}

/**
 * @internal `EXECUTE name(literals)`: a statement already prepared on the connection, run from a
 * simple-protocol message with its parameters inlined. PostgreSQL neither parses nor plans its text
 * again: the prepared plan serves, as for a named statement of the extended protocol.
 */
export function executeText(client: PoolClient, name: string, params: readonly unknown[]): string {
  const statement = `EXECUTE "${name.replace(/"/g, '""')}"`;
  return params.length === 0 ? statement : `${statement}(${params.map((p) => literal(client, p)).join(', ')})`;
}

/**
 * The statement names each connection has prepared (a pool's client is one connection for its
 * life): pg parses a named statement once per connection and remembers it only inside itself, so
 * the driver notes, after a named statement ran, that its first-statement message may EXECUTE it.
 */
const preparedOn = new WeakMap<PoolClient, Set<string>>();
function preparedNames(client: PoolClient): Set<string> {
  let names = preparedOn.get(client);
  if (names === undefined) {
    names = new Set();
    preparedOn.set(client, names);
  }
  return names;
}

/**
 * A statement PostgreSQL plans (a query or DML), which alone is worth running by name from the
 * message that carries BEGIN. A utility statement keeps travelling inlined: SQL `EXECUTE` of a
 * prepared SET TRANSACTION takes a snapshot before it runs, and PostgreSQL then refuses it (25001,
 * must be called before any query).
 */
const PLANNED = /^\s*(?:WITH|SELECT|INSERT|UPDATE|DELETE)\b/i;

/** invalid_sql_statement_name: SQL `EXECUTE` of a name the server connection has not prepared. */
const NO_SUCH_STATEMENT = '26000';
function isNoSuchStatement(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === NO_SUCH_STATEMENT;
}

/** @internal Whether every parameter of a statement can travel inlined with BEGIN. */
export function canInline(params: readonly unknown[]): boolean {
  return params.every(inlinable);
}

function rowsOf<R extends Row>(result: QueryResult<R> | QueryResult<R>[], index: number): R[] {
  return Array.isArray(result) ? (result[index]?.rows ?? []) : result.rows;
}

/** A session that sends statements by name (prepared once per connection) only when `prepared`. */
function sessionOf(client: PoolClient, prepared: boolean): SqlSession {
  return {
    async query<R extends Row>(text: string, params: readonly unknown[] = [], name?: string): Promise<R[]> {
      assertStorableParams(params);
      const values = params as unknown[];
      const result = await client.query<R>(name === undefined || !prepared ? { text, values } : { name, text, values });
      return result.rows;
    },
  };
}

/**
 * Checks a client out of the pool with a listener for its 'error' event for as long as we hold
 * it. pg emits 'error' on a client whose connection dies (a terminated backend, a restarted
 * server) even between queries; the pool listens only to idle clients, and an 'error' without a
 * listener ends the process. A client that failed that way, or whose connection is otherwise
 * broken, goes back with the error so that the pool destroys it instead of lending it again.
 */
interface Held {
  client: PoolClient;
  fail(e: unknown): void;
  discard(e: unknown): void;
  release(): void;
}

async function checkOut(pool: Pool, setUp?: (client: PoolClient) => Promise<void>): Promise<Held> {
  let broken: Error | undefined;
  const onError = (e: Error) => {
    broken ??= e;
  };
  // The callback form, not the promise: the pool calls it synchronously while it parses the
  // server's messages, so the listener is on before the next message of the same packet (a
  // backend terminated right after it said "ready" sends its FATAL in the same read). A promise
  // would attach it a microtask later, after pg had emitted that 'error' to no one.
  const client = await new Promise<PoolClient>((resolve, reject) => {
    pool.connect((err, c) => {
      if (err || !c) {
        reject(err ?? new Error('the pool gave no client'));
        return;
      }
      c.on('error', onError);
      resolve(c);
    });
  });
  const discard = (e: unknown) => {
    broken ??= e instanceof Error ? e : new Error(String(e));
  };
  if (setUp) {
    try {
      await setUp(client);
    } catch (e) {
      // A connection whose session could not be set up is not lent again as if it had been.
      discard(e);
      client.removeListener('error', onError);
      client.release(broken);
      throw e;
    }
  }
  return {
    client,
    fail(e: unknown) {
      if (isConnectionBroken(e)) discard(e);
    },
    discard,
    release() {
      client.removeListener('error', onError);
      // The pool puts its own idle listener back before anything else can happen to the client.
      client.release(broken ?? false);
    },
  };
}

/**
 * Sends `sets` on a client's first loan, once per connection: the set-up is remembered with the
 * client object, which the pool replaces when its connection is lost.
 */
function sessionSetUp(sets: readonly string[]): (client: PoolClient) => Promise<void> {
  const done = new WeakSet<PoolClient>();
  const text = sets.join(';');
  return async (client) => {
    if (done.has(client)) return;
    await client.query(text);
    done.add(client);
  };
}

export interface NodePostgresDriverOptions {
  /**
   * Send BEGIN together with a transaction's first statement, as one simple-protocol message:
   * one round trip less per command (measured: +5 to +20 % transfers/s). Default true.
   *
   * Sending COMMIT with the last statement was measured too and is slower: the write-everything
   * statement would lose its prepared plan and be parsed and planned anew each time.
   */
  combineTransactionEdges?: boolean | undefined;
  /** The schema of the store's tables (`SqlDriver.schema`). Default `wallet`. */
  schema?: string | undefined;
  /**
   * Whether every connection of the pool was opened with the schema as its search path; say so
   * only if you opened yours that way (`options: '-c search_path=wallet'`), and never behind a
   * transaction pooler. Otherwise each transaction selects the schema with SET LOCAL in the
   * message that carries BEGIN, so a connection's own search path is never changed. Default false.
   */
  searchPathOnConnect?: boolean | undefined;
  /**
   * Send statements as named prepared statements, parsed and planned once per connection. Set
   * false behind a pooler that keeps no prepared statement across transactions (PgBouncer 1.18 in
   * transaction mode): every statement is then parsed where it runs. A pooler that passes
   * protocol-level prepared statements on (PgBouncer's max_prepared_statements) works with the
   * default: it does not translate the SQL `EXECUTE` a transaction's first statement is sent as,
   * and the first such `EXECUTE` it fails (26000) makes the driver send first statements inlined
   * from then on. Default true.
   */
  preparedStatements?: boolean | undefined;
  /**
   * How long a command waits for a row lock, and how long any statement may run, set with SET
   * LOCAL in each of the store's transactions (none by default: the server's settings apply).
   */
  lockTimeoutMs?: number | undefined;
  statementTimeoutMs?: number | undefined;
  /**
   * Set the schema and the timeouts once per connection, for the session, when the driver first
   * lends it, instead of with SET LOCAL in each transaction and before each read. A read is then
   * one named prepared statement, one round trip with nothing parsed or planned again. Only for a
   * pool whose every connection is the driver's alone and is its own server session: the store's
   * own pool, not behind a transaction pooler (the store says so when prepared statements are on,
   * which need the same). Its sessions also write dates as DateStyle ISO, the only form pg reads.
   * Default false.
   */
  sessionSettings?: boolean | undefined;
}

/** @internal The SqlDriver over a `pg` Pool: named prepared statements (unless told not), one pooled client per transaction. */
export class NodePostgresDriver implements SqlDriver {
  readonly schema: string;
  private readonly combine: boolean;
  private readonly prepared: boolean;
  /** The SET LOCAL statements each transaction starts with (the schema, the timeouts). */
  private readonly settings: string[];
  /** The statements that open a transaction: BEGIN and the settings. */
  private readonly begin: string;
  /** The same, and then generic plans for the named statements (`TransactionOptions.genericPlans`). */
  private readonly beginGeneric: string;
  /** How many statements `beginGeneric` holds (their results come before the first statement's). */
  private readonly beginGenericCount: number;
  /** Sets a connection's session up once, when `sessionSettings`: the SETs sent on its first loan. */
  private readonly setUp: ((client: PoolClient) => Promise<void>) | undefined;
  /**
   * Whether a transaction's first statement may run as SQL `EXECUTE` of its connection's plan.
   * Cleared for good by the first `EXECUTE` the server answers with 26000: a pooler stands between
   * us and PostgreSQL that lends another server connection per transaction, or renames protocol
   * prepared statements (PgBouncer's max_prepared_statements), and `EXECUTE` would fail again.
   */
  private executesPlans = true;
  private ended = false;

  constructor(
    readonly pool: Pool,
    private readonly ownsPool: boolean,
    options: NodePostgresDriverOptions = {},
  ) {
    this.combine = options.combineTransactionEdges ?? true;
    this.prepared = options.preparedStatements ?? true;
    this.schema = schemaName(options.schema);
    const settings = transactionSettings({
      schema: this.schema,
      searchPath: options.searchPathOnConnect !== true,
      lockTimeoutMs: options.lockTimeoutMs,
      statementTimeoutMs: options.statementTimeoutMs,
    });
    this.settings = options.sessionSettings === true ? [] : settings;
    this.begin = ['BEGIN', ...this.settings].join(';');
    // Unnamed statements are planned where they run anyway: forcing them generic would only lose
    // the plan their values allow.
    const generic = this.prepared ? ['SET LOCAL plan_cache_mode = force_generic_plan'] : [];
    this.beginGeneric = ['BEGIN', ...this.settings, ...generic].join(';');
    this.beginGenericCount = 1 + this.settings.length + generic.length;
    // pg reads a timestamp only as DateStyle ISO writes it (`SQL, DMY` fails every read): a session
    // of the driver's own is set to it with the rest, a host's pool keeps the server's (ISO by default).
    this.setUp = options.sessionSettings === true ? sessionSetUp([...sessionSettingsOf(settings), 'SET DateStyle TO ISO']) : undefined;
  }

  async query<R extends Row>(text: string, params: readonly unknown[] = [], name?: string): Promise<R[]> {
    const held = await checkOut(this.pool, this.setUp);
    try {
      return await this.statement<R>(held, text, params, name);
    } catch (e) {
      held.fail(e);
      throw e;
    } finally {
      held.release();
    }
  }

  /**
   * One statement outside a transaction of ours, with the settings in force for it alone: sent
   * after them in one simple-protocol message, which PostgreSQL runs as one implicit transaction
   * (SET LOCAL lasts until its end). A statement whose parameters cannot travel inlined runs in
   * a transaction of its own instead.
   */
  private async statement<R extends Row>(held: Held, text: string, params: readonly unknown[], name?: string): Promise<R[]> {
    const { client } = held;
    const plain = sessionOf(client, this.prepared);
    if (this.settings.length === 0) return plain.query<R>(text, params, name);
    assertStorableParams(params);
    if (canInline(params)) return rowsOf(await client.query<R>(`${this.settings.join(';')};${inlineParams(client, text, params)}`), this.settings.length);
    await client.query(this.begin);
    try {
      const rows = await plain.query<R>(text, params, name);
      await client.query('COMMIT');
      return rows;
    } catch (e) {
      if (!isConnectionBroken(e)) await client.query('ROLLBACK').catch((rollbackError: unknown) => held.discard(rollbackError));
      throw e;
    }
  }

  async transaction<T>(fn: (session: SqlSession) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const held = await checkOut(this.pool, this.setUp);
    const { client } = held;
    const generic = options.genericPlans === true;
    const begin = generic ? this.beginGeneric : this.begin;
    const opening = generic ? this.beginGenericCount : 1 + this.settings.length;
    let begun = false;
    const plain = sessionOf(client, this.prepared);
    const session: SqlSession = this.combine
      ? {
          query: async <R extends Row>(text: string, params: readonly unknown[] = [], name?: string): Promise<R[]> => {
            if (begun) return plain.query<R>(text, params, name);
            assertStorableParams(params);
            begun = true;
            if (!canInline(params)) {
              await client.query(begin);
              return plain.query<R>(text, params, name);
            }
            if (name !== undefined && this.prepared && this.executesPlans && PLANNED.test(text)) {
              // A named first statement travels as EXECUTE of its prepared plan: inlined into the
              // message as text, it was parsed and planned on every transaction (a lone transfer's
              // locking read: 0.31 against 0.11 ms for the message, p50, measured on one connection).
              // The first time on a connection BEGIN goes alone and the statement after it as a
              // named one, which prepares it: one round trip more, once per connection.
              const names = preparedNames(client);
              if (!names.has(name)) {
                await client.query(begin);
                const rows = await plain.query<R>(text, params, name);
                names.add(name);
                return rows;
              }
              try {
                return rowsOf(await client.query<R>(`${begin};${executeText(client, name, params)}`), opening);
              } catch (e) {
                if (!isNoSuchStatement(e)) throw e;
                // The server connection has no such statement: a pooler lent another one, or
                // renamed the statement when it passed the Parse on. BEGIN ran and EXECUTE failed,
                // so the transaction is aborted with nothing done: roll it back and send the
                // statement inlined, as text, below, like every first statement from now on. Not
                // as a named statement: pg believes it parsed that name here and would only Bind it.
                this.executesPlans = false;
                await client.query('ROLLBACK');
              }
            }
            return rowsOf(await client.query<R>(`${begin};${inlineParams(client, text, params)}`), opening);
          },
        }
      : plain;
    try {
      if (!this.combine) {
        await client.query(begin);
        begun = true;
      }
      const result = await fn(session);
      if (begun) await client.query('COMMIT');
      return result;
    } catch (e) {
      held.fail(e);
      if (begun && !isConnectionBroken(e)) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackError) {
          // A connection that cannot roll back is not given to the next caller.
          held.discard(rollbackError);
        }
      }
      throw e;
    } finally {
      held.release();
    }
  }

  async withConnection<T>(fn: (session: ConnectionSession) => Promise<T>): Promise<T> {
    const held = await checkOut(this.pool, this.setUp);
    try {
      return await fn({ query: (text, params = [], name) => this.statement(held, text, params, name) });
    } catch (e) {
      held.fail(e);
      throw e;
    } finally {
      held.release();
    }
  }

  async close(): Promise<void> {
    if (this.ownsPool && !this.ended) {
      this.ended = true;
      await this.pool.end();
    }
  }
}
