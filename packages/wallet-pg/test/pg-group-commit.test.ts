import { describe } from 'vitest';
import { createNodePostgresStore } from '../src/node-postgres/index.js';
import { describeGroupCommit } from './support/group-commit-cases.js';
import { adminUrl, freshDatabase } from './support/postgres.js';

// describe.runIf, not `if`: a file that registers no suite fails the run where no database is set.
describe.runIf(adminUrl)('PostgreSQL', () => {
  let drop: (() => Promise<void>) | undefined;
  describeGroupCommit('PostgreSQL', {
    open: async (options) => {
      const db = await freshDatabase('group_commit');
      drop = db.drop;
      // One batch in flight, so that the cases can say which batch each command left in.
      return createNodePostgresStore({ connectionString: db.url, max: 8, maxBatchesInFlight: 1, ...options });
    },
    cleanup: () => drop?.() ?? Promise.resolve(),
  });
});
