import type { PGlite } from '@electric-sql/pglite';
import { assertStorableParams, type Row, type SqlDriver, type SqlSession } from '../driver.js';

/**
 * @internal The SqlDriver over PGlite: one embedded connection; PGlite runs one transaction at a
 * time and queues the rest, so there is no lock contention to speak of (and none to test here).
 */
export class PgliteDriver implements SqlDriver {
  readonly dialect = 'pglite' as const;

  constructor(
    readonly db: PGlite,
    private readonly ownsDb: boolean,
  ) {}

  async query<R extends Row>(text: string, params: readonly unknown[] = []): Promise<R[]> {
    assertStorableParams(params);
    return (await this.db.query<R>(text, params as unknown[])).rows;
  }

  transaction<T>(fn: (session: SqlSession) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) =>
      fn({
        query: async <R extends Row>(text: string, params: readonly unknown[] = []) => {
          assertStorableParams(params);
          return (await tx.query<R>(text, params as unknown[])).rows;
        },
      }),
    );
  }

  withConnection<T>(fn: (session: SqlSession) => Promise<T>): Promise<T> {
    return fn(this);
  }

  async close(): Promise<void> {
    if (this.ownsDb && !this.db.closed) await this.db.close();
  }
}
