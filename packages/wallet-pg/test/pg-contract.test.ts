import { describe } from 'vitest';
import { describeStoreContract } from '@goodgo/wallet-core/testing';
import { createNodePostgresStore } from '../src/node-postgres/index.js';
import { adminUrl, freshDatabase } from './support/postgres.js';

describe.runIf(adminUrl)('PostgreSQL', () => {
  let drop: () => Promise<void> = async () => undefined;
  describeStoreContract('PostgreSQL (pg Pool of 16)', {
    setup: async () => {
      const db = await freshDatabase('contract');
      drop = db.drop;
      return createNodePostgresStore({ connectionString: db.url, max: 16 });
    },
    teardown: async (store) => {
      await store.close();
      await drop();
    },
  });
});
