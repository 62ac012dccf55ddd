import type { Pool, PoolClient } from 'pg';
import type { Row, SqlDriver, SqlSession } from '../driver.js';

function sessionOf(client: Pool | PoolClient): SqlSession {
  return {
    async query<R extends Row>(text: string, params: readonly unknown[] = [], name?: string): Promise<R[]> {
      const result = await client.query<R>(name === undefined ? { text, values: params as unknown[] } : { name, text, values: params as unknown[] });
      return result.rows;
    },
  };
}

/** @internal The SqlDriver over a `pg` Pool: named prepared statements, one pooled client per transaction. */
export class NodePostgresDriver implements SqlDriver {
  readonly dialect = 'node-postgres' as const;
  private readonly pooled: SqlSession;
  private ended = false;

  constructor(
    readonly pool: Pool,
    private readonly ownsPool: boolean,
  ) {
    this.pooled = sessionOf(pool);
  }

  query<R extends Row>(text: string, params?: readonly unknown[], name?: string): Promise<R[]> {
    return this.pooled.query<R>(text, params, name);
  }

  async transaction<T>(fn: (session: SqlSession) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await fn(sessionOf(client));
      await client.query('COMMIT');
      return result;
    } catch (e) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        // A connection that cannot roll back is not given to the next caller.
        broken = rollbackError as Error;
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
