import pg from 'pg';
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

// A pool shared with a host application: its connections keep the host's search path, and each
// transaction of the store sets the schema locally.
describe.runIf(adminUrl)('PostgreSQL, on a pool shared with the host', () => {
  const opened: { pool: pg.Pool; drop: () => Promise<void> }[] = [];
  describeStoreContract('PostgreSQL (host pg Pool of 8)', {
    setup: async () => {
      const db = await freshDatabase('shared_pool');
      const pool = new pg.Pool({ connectionString: db.url, max: 8 });
      // As a host application would: a lost connection is the pool's to replace. The clients'
      // own listeners also cover the moment pool.end() has let go of them and drop() forces them out.
      pool.on('error', () => undefined);
      pool.on('connect', (client) => client.on('error', () => undefined));
      opened.push({ pool, drop: db.drop });
      return createNodePostgresStore({ pool });
    },
    teardown: async (store) => {
      await store.close();
      for (const { pool, drop } of opened.splice(0)) {
        await pool.end();
        await drop();
      }
    },
  });
});
