import type { Pool, PoolClient, QueryResult } from 'pg';
import type { Row, SqlDriver, SqlSession } from '../driver.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PARAM = /\$(\d+)/g;

/**
 * Writes a parameter as an SQL literal, for the statement that travels in one simple-protocol
 * message with BEGIN. Strings go through the driver's own escaping; the only arrays the
 * store sends are of UUIDs, which are checked to be exactly that. Anything else is refused.
 */
function literal(client: PoolClient, value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'string') return client.escapeLiteral(value);
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' && UUID.test(v))) return `'{${value.join(',')}}'`;
  throw new TypeError(`cannot inline a parameter of type ${typeof value}`);
}

/** @internal Replaces $1…$n in one pass over the statement text; inlined values are never rescanned. */
export function inlineParams(client: PoolClient, text: string, params: readonly unknown[]): string {
  return text.replace(PARAM, (_, n: string) => {
    const i = Number(n) - 1;
    if (i < 0 || i >= params.length) throw new RangeError(`statement uses $${n} but has ${params.length} parameters`);
    return literal(client, params[i]);
  });
}

function rowsOf<R extends Row>(result: QueryResult<R> | QueryResult<R>[], index: number): R[] {
  return Array.isArray(result) ? (result[index]?.rows ?? []) : result.rows;
}


function sessionOf(client: Pool | PoolClient): SqlSession {
  return {
    async query<R extends Row>(text: string, params: readonly unknown[] = [], name?: string): Promise<R[]> {
      const result = await client.query<R>(name === undefined ? { text, values: params as unknown[] } : { name, text, values: params as unknown[] });
      return result.rows;
    },
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
  combineTransactionEdges?: boolean;
}

/** @internal The SqlDriver over a `pg` Pool: named prepared statements, one pooled client per transaction. */
export class NodePostgresDriver implements SqlDriver {
  readonly dialect = 'node-postgres' as const;
  private readonly pooled: SqlSession;
  private readonly combine: boolean;
  private ended = false;

  constructor(
    readonly pool: Pool,
    private readonly ownsPool: boolean,
    options: NodePostgresDriverOptions = {},
  ) {
    this.pooled = sessionOf(pool);
    this.combine = options.combineTransactionEdges ?? true;
  }

  query<R extends Row>(text: string, params?: readonly unknown[], name?: string): Promise<R[]> {
    return this.pooled.query<R>(text, params, name);
  }

  async transaction<T>(fn: (session: SqlSession) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let begun = false;
    let broken: Error | undefined;
    const plain = sessionOf(client);
    const session: SqlSession = this.combine
      ? {
          query: async <R extends Row>(text: string, params: readonly unknown[] = [], name?: string): Promise<R[]> => {
            if (begun) return plain.query<R>(text, params, name);
            begun = true;
            return rowsOf(await client.query<R>(`BEGIN;${inlineParams(client, text, params)}`), 1);
          },
        }
      : plain;
    try {
      if (!this.combine) {
        await client.query('BEGIN');
        begun = true;
      }
      const result = await fn(session);
      if (begun) await client.query('COMMIT');
      return result;
    } catch (e) {
      if (begun) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackError) {
          // A connection that cannot roll back is not given to the next caller.
          broken = rollbackError as Error;
        }
      }
      throw e;
    } finally {
      client.release(broken);
    }
  }

  async withConnection<T>(fn: (session: SqlSession) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      return await fn(sessionOf(client));
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    if (this.ownsPool && !this.ended) {
      this.ended = true;
      await this.pool.end();
    }
  }
}
