import { WalletService } from '@goodgo/wallet-core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodePostgresStore } from '../src/node-postgres/index.js';
import type { SqlWalletStore } from '../src/sql-store.js';
import { adminUrl, freshDatabase } from './support/postgres.js';

/**
 * Point lots are protected like the ledgers (migration 0004): no DELETE or TRUNCATE, and an UPDATE
 * changes only `remaining` and `status` (and, from migration 0014, `owed` and `owed_to`), in the directions the domain moves them. The domain's own
 * moves (spend, expire, confirm, cancel) run through the store contract suite on the same schema.
 */
describe.runIf(adminUrl)('point lots guarded by triggers (PostgreSQL)', () => {
  let store: SqlWalletStore;
  let sql: pg.Client;
  let drop: () => Promise<void>;
  let active: string;
  let pending: string;
  beforeAll(async () => {
    const db = await freshDatabase('lots_guard');
    drop = db.drop;
    store = await createNodePostgresStore({ connectionString: db.url, max: 2 });
    sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    await sql.query('SET search_path = wallet, public');
    const service = new WalletService({ store });
    active = (await service.earnPoints({ userId: 'lots', points: 300, source: 'order:1' })).transaction.id;
    pending = (await service.earnPoints({ userId: 'lots', points: 50, source: 'order:2', pending: true })).transaction.id;
  });
  afterAll(async () => {
    await sql.end();
    await store.close();
    await drop();
  });

  const refused = async (statement: string, params: unknown[] = [], code: string | RegExp = '23001') => {
    await sql.query('BEGIN');
    try {
      await expect(sql.query(statement, params)).rejects.toMatchObject({ code: typeof code === 'string' ? code : expect.stringMatching(code) });
    } finally {
      await sql.query('ROLLBACK');
    }
  };

  it('refuses DELETE and TRUNCATE (issue 8 reproduction: DELETE FROM point_lots succeeded)', async () => {
    await refused('DELETE FROM point_lots WHERE id = $1', [active]);
    await refused('DELETE FROM point_lots');
    // point_allocations references the lots (migration 0006), so PostgreSQL refuses a TRUNCATE
    // for that (0A000) before the trigger would (23001): refused either way.
    await refused('TRUNCATE point_lots', [], /^(23001|0A000)$/);
    const { rows } = await sql.query('SELECT count(*)::int AS n FROM point_lots');
    expect(rows[0].n).toBe(2);
  });

  it('refuses changes to what a lot is: points, account, source, expiry, creation', async () => {
    await refused('UPDATE point_lots SET points = points + 1 WHERE id = $1', [active]);
    await refused("UPDATE point_lots SET source = 'forged' WHERE id = $1", [active]);
    await refused("UPDATE point_lots SET expires_at = '2099-01-01' WHERE id = $1", [active]);
    await refused('UPDATE point_lots SET created_at = now() WHERE id = $1', [active]);
    await refused('UPDATE point_lots SET account_id = gen_random_uuid() WHERE id = $1', [active]);
  });

  it('allows status only from pending to active or cancelled, and remaining only as the domain moves it', async () => {
    await refused("UPDATE point_lots SET status = 'pending' WHERE id = $1", [active]);
    await refused("UPDATE point_lots SET status = 'cancelled' WHERE id = $1", [active]);
    await refused('UPDATE point_lots SET remaining = 10 WHERE id = $1', [pending]);
    await refused("UPDATE point_lots SET status = 'cancelled', remaining = 5 WHERE id = $1", [pending]);
    // The domain's moves are accepted: spending from an active lot, cancelling a pending one.
    await sql.query('BEGIN');
    await sql.query('UPDATE point_lots SET remaining = remaining - 100 WHERE id = $1', [active]);
    await sql.query("UPDATE point_lots SET status = 'cancelled', remaining = 0 WHERE id = $1", [pending]);
    // A cancelled lot never changes again.
    await expect(sql.query("UPDATE point_lots SET status = 'active' WHERE id = $1", [pending])).rejects.toMatchObject({ code: '23001' });
    await sql.query('ROLLBACK');
    const { rows } = await sql.query('SELECT status, remaining::int AS remaining FROM point_lots ORDER BY points DESC');
    expect(rows).toEqual([
      { status: 'active', remaining: 300 },
      { status: 'pending', remaining: 50 },
    ]);
  });

  it('keeps owed points within the rules: only on an active lot at 0 remaining, never above its points, its credit named once', async () => {
    const other = '00000000-0000-4000-8000-0000000000ff';
    // Owed only where nothing remains, at most the lot's points, always naming the credit.
    await refused('UPDATE point_lots SET owed = 1, owed_to = id WHERE id = $1', [active], '23514');
    await refused('UPDATE point_lots SET remaining = 0, owed = 301, owed_to = id WHERE id = $1', [active], '23514');
    await refused('UPDATE point_lots SET remaining = 0, owed = 5 WHERE id = $1', [active], '23514');
    await refused('UPDATE point_lots SET owed = 0, owed_to = id WHERE id = $1', [pending]);
    await sql.query('BEGIN');
    await sql.query('UPDATE point_lots SET remaining = 0, owed = 10, owed_to = id WHERE id = $1', [active]);
    // Once named, the credit never changes.
    await expect(sql.query('UPDATE point_lots SET owed_to = $2 WHERE id = $1', [active, other])).rejects.toMatchObject({ code: '23001' });
    await sql.query('ROLLBACK');
  });

  it('lets the service confirm, spend and expire as before', async () => {
    const service = new WalletService({ store });
    await service.confirmPendingPoints({ transactionId: pending });
    await service.spendPoints({ userId: 'lots', points: 320, source: 'basket' });
    expect(await service.getPointAccount({ userId: 'lots' })).toMatchObject({ availablePoints: 30, pendingPoints: 0 });
  });
});
