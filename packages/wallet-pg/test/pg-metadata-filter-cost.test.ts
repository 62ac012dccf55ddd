import { WalletService } from '@goodgo/wallet-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodePostgresStore } from '../src/node-postgres/index.js';
import type { SqlWalletStore } from '../src/sql-store.js';
import * as books from '../src/sql/books.js';
import * as reads from '../src/sql/reads.js';
import { adminUrl, freshDatabase } from './support/postgres.js';

/** Other owners, each with this many rows carrying the same label as the small owner's. */
const OTHERS = 2000;
const ROWS_EACH = 50;
const OWN_ROWS = 3;

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: PlanNode[];
}

/**
 * Runs a page statement as PostgreSQL runs a prepared statement once it settles on its generic plan
 * (the plan made without the parameters' values, which a named statement gets after five runs), and
 * answers the rows each scan of `table` (its heap or any of its indexes) read: a scan's rows,
 * plus those its filter or its recheck threw away, times its loops.
 */
async function genericPlanReads(store: SqlWalletStore, text: string, table: string, params: string) {
  const rows = await store.driver.transaction(async (session) => {
    await session.query('SET LOCAL plan_cache_mode = force_generic_plan');
    await session.query(`PREPARE filtered_page(uuid, int, jsonb) AS ${text}`);
    const explained = await session.query(`EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE filtered_page(${params})`);
    await session.query('DEALLOCATE filtered_page');
    return explained;
  });
  const raw = (rows[0] as Record<string, unknown>)['QUERY PLAN'];
  const plan = (typeof raw === 'string' ? JSON.parse(raw) : raw) as { Plan: PlanNode }[];
  const scans: { node: string; read: number }[] = [];
  const walk = (node: PlanNode) => {
    const ofTable = node['Relation Name'] === table || (node['Index Name'] ?? '').startsWith(`${table}_`);
    if (ofTable && node['Node Type'].includes('Scan')) {
      const read = (node['Actual Rows'] + (node['Rows Removed by Filter'] ?? 0) + (node['Rows Removed by Index Recheck'] ?? 0)) * node['Actual Loops'];
      scans.push({ node: `${node['Node Type']} ${node['Index Name'] ?? node['Relation Name']}`, read });
    }
    node.Plans?.forEach(walk);
  };
  walk(plan[0]!.Plan);
  return { returned: plan[0]!.Plan['Actual Rows'], scans, most: Math.max(0, ...scans.map((s) => s.read)) };
}

/**
 * A label every till writes ("store") is on most rows of the table. An owner with three rows who
 * filters their history by it must read about their own rows, not every labelled row of every
 * other owner: the filtered page stays flat as the ledger grows.
 */
describe.runIf(adminUrl)('a metadata-filtered history page reads the owner’s rows, not the table’s (PostgreSQL)', () => {
  let store: SqlWalletStore;
  let drop: () => Promise<void>;
  let walletId: string;
  let accountId: string;
  beforeAll(async () => {
    const db = await freshDatabase('metadata_filter_cost');
    drop = db.drop;
    // Loading 200 000 rows into the GIN indexes takes longer than a command may on a busy machine.
    store = await createNodePostgresStore({ connectionString: db.url, max: 2, statementTimeoutMs: 300_000 });
    const service = new WalletService({ store });
    walletId = (await service.createWallet({ userId: 'small' })).id;
    for (let i = 0; i < OWN_ROWS; i++) {
      await service.deposit({ walletId, amount: '1', metadata: { store: 'S12' } });
      await service.earnPoints({ userId: 'small', points: 1, source: `order:${i}`, metadata: { store: 'S12' } });
    }
    const [account] = await store.driver.query(`SELECT id FROM point_accounts WHERE user_id = 'small'`);
    accountId = (account as { id: string }).id;
    // The other owners' rows are planner data, not books (no hash chain, balances left at 0):
    // what matters is how many rows of the table carry the label.
    await store.driver.query(
      `INSERT INTO wallets (id, user_id, currency, balance, status, version, created_at, updated_at)
       SELECT gen_random_uuid(), 'other-' || g, 'VND', 0, 'active', 1, now(), now() FROM generate_series(1, ${OTHERS}) g`,
    );
    await store.driver.query(
      `INSERT INTO wallet_transactions (id, wallet_id, type, amount, balance_after, created_at, hash, metadata)
       SELECT gen_random_uuid(), w.id, 'deposit', 1, g, now(), md5(g::text), jsonb_build_object('store', 'S12', 'order', 'O-' || g)
       FROM (SELECT id FROM wallets WHERE user_id LIKE 'other-%') w, generate_series(1, ${ROWS_EACH}) g`,
    );
    await store.driver.query(
      `INSERT INTO point_accounts (id, user_id, total_points, available_points, pending_points, version, created_at, updated_at)
       SELECT gen_random_uuid(), 'other-' || g, 0, 0, 0, 1, now(), now() FROM generate_series(1, ${OTHERS}) g`,
    );
    await store.driver.query(
      `INSERT INTO point_transactions (id, account_id, type, points, balance_after, source, created_at, metadata)
       SELECT gen_random_uuid(), a.id, 'earn', 1, g, 'order:' || g, now(), jsonb_build_object('store', 'S12', 'order', 'O-' || g)
       FROM (SELECT id FROM point_accounts WHERE user_id LIKE 'other-%') a, generate_series(1, ${ROWS_EACH}) g`,
    );
    await store.driver.query('ANALYZE wallet_transactions');
    await store.driver.query('ANALYZE point_transactions');
  }, 180_000);
  afterAll(async () => {
    await store?.close();
    await drop?.();
  });

  it('a three-row wallet filtered by a label 100 000 other rows carry reads at most its own rows', async () => {
    const statement = books.walletTransactionPage({ type: false, reference: false, from: false, to: false, metadata: true, before: false });
    const page = await genericPlanReads(store, statement.text, 'wallet_transactions', `'${walletId}', 51, '{"store":"S12"}'`);
    expect(page.returned).toBe(OWN_ROWS);
    expect(page.scans.length).toBeGreaterThan(0);
    expect(page, JSON.stringify(page.scans)).toMatchObject({ most: expect.toSatisfy((n: number) => n <= OWN_ROWS) });
  }, 60_000);

  it('a three-row points account filtered the same way reads at most its own rows', async () => {
    const statement = reads.pointTransactionPage({ type: false, metadata: true, before: false });
    const page = await genericPlanReads(store, statement.text, 'point_transactions', `'${accountId}', 51, '{"store":"S12"}'`);
    expect(page.returned).toBe(OWN_ROWS);
    expect(page.scans.length).toBeGreaterThan(0);
    expect(page, JSON.stringify(page.scans)).toMatchObject({ most: expect.toSatisfy((n: number) => n <= OWN_ROWS) });
  }, 60_000);
});
