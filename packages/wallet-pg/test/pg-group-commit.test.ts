import { createNodePostgresStore } from '../src/node-postgres/index.js';
import { describeGroupCommit } from './support/group-commit-cases.js';
import { adminUrl, freshDatabase } from './support/postgres.js';

if (adminUrl) {
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
}
