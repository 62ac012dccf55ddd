import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlDriver } from '../src/driver.js';
import { createNodePostgresStore } from '../src/node-postgres/index.js';
import { createPgliteStore } from '../src/pglite/index.js';
import * as q from '../src/sql/batch.js';
import * as books from '../src/sql/books.js';
import * as reads from '../src/sql/reads.js';
import { flushStatement } from '../src/sql/write.js';
import type { SqlWalletStore } from '../src/sql-store.js';
import { adminUrl, freshDatabase } from './support/postgres.js';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  'Scan Direction'?: string;
  Plans?: PlanNode[];
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

/**
 * History pages must come straight off an index in keyset order, whatever the table's size: with
 * sorting disabled, a plan that still has to sort means no index can deliver the order (the
 * DESC NULLS LAST index that once made pages slow down as the ledger grew).
 */
async function planOf(driver: SqlDriver, text: string, params: unknown[], options: { sort?: boolean } = {}): Promise<PlanNode[]> {
  return driver.transaction(async (s) => {
    if (options.sort !== true) await s.query('SET LOCAL enable_sort = off');
    await s.query('SET LOCAL enable_seqscan = off');
    const [row] = await s.query(`EXPLAIN (FORMAT JSON) ${text}`, params);
    const raw = (row as Record<string, unknown>)['QUERY PLAN'];
    const plan = (typeof raw === 'string' ? JSON.parse(raw) : raw) as { Plan: PlanNode }[];
    return nodes((plan[0] as { Plan: PlanNode }).Plan);
  });
}

/**
 * The plan a batch runs a statement with: the generic one, made once per connection for any
 * parameters (a batch's transaction forces it, see `TransactionOptions.genericPlans`).
 */
async function genericPlanOf(driver: SqlDriver, text: string, options: { seqscan?: boolean } = {}): Promise<PlanNode[]> {
  const params = Math.max(0, ...[...text.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
  return driver.transaction(async (s) => {
    if (options.seqscan !== true) await s.query('SET LOCAL enable_seqscan = off');
    await s.query('SET LOCAL plan_cache_mode = force_generic_plan');
    await s.query(`PREPARE generic_plan_probe AS ${text}`);
    try {
      const nulls = params === 0 ? '' : `(${Array.from({ length: params }, () => 'NULL').join(', ')})`;
      const [row] = await s.query(`EXPLAIN (FORMAT JSON) EXECUTE generic_plan_probe${nulls}`);
      const raw = (row as Record<string, unknown>)['QUERY PLAN'];
      const plan = (typeof raw === 'string' ? JSON.parse(raw) : raw) as { Plan: PlanNode }[];
      return nodes((plan[0] as { Plan: PlanNode }).Plan);
    } finally {
      await s.query('DEALLOCATE generic_plan_probe');
    }
  });
}

/** The write statement of a transfer: two wallets changed, two ledger rows, two events. */
const transferWrite = (() => {
  const part = { params: ['[]'], rows: 2 };
  const write = flushStatement({ changedWallets: { params: ['[]', []], rows: 2 }, walletRows: part, events: part });
  if (write === null) throw new Error('a transfer writes something');
  return write.statement;
})();

/** The write statement of a batch of keyed transfers, one of which failed: responses stored, a key released. */
const keyedWrite = (() => {
  const part = { params: ['[]'], rows: 2 };
  const write = flushStatement({
    changedWallets: { params: ['[]', []], rows: 2 },
    walletRows: part,
    events: part,
    responses: { params: [[], [], []], rows: 1 },
    releasedKeys: { params: [[], []], rows: 1 },
  });
  if (write === null) throw new Error('a transfer writes something');
  return write.statement;
})();

const page = (shape: Partial<books.WalletPageShape>) =>
  books.walletTransactionPage({ type: false, reference: false, from: false, to: false, metadata: false, before: false, ...shape });
const pointPage = (shape: Partial<reads.PointPageShape>) => reads.pointTransactionPage({ type: false, metadata: false, before: false, ...shape });

function describePlans(name: string, make: () => Promise<{ store: SqlWalletStore; done: () => Promise<void> }>) {
  describe(`query plans on ${name}`, () => {
    let store: SqlWalletStore;
    let done: () => Promise<void>;
    beforeAll(async () => {
      ({ store, done } = await make());
    });
    afterAll(() => done());

    const id = '00000000-0000-4000-8000-000000000001';
    const pages = [
      ['wallet history, first page', page({}), [id, 51], 'wallet_transactions_wallet_seq_idx'],
      ['wallet history, after a cursor', page({ before: true }), [id, 51, '1000'], 'wallet_transactions_wallet_seq_idx'],
      ['wallet history of one type', page({ type: true, before: true }), [id, 51, 'deposit', '1000'], 'wallet_transactions_wallet_type_seq_idx'],
      ['wallet history of a reference', page({ reference: true, before: true }), [id, 51, 'order-1', '1000'], 'wallet_transactions_wallet_reference_idx'],
      [
        'wallet history of a period, after a cursor',
        page({ from: true, to: true, before: true }),
        [id, 51, '2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z', '1000'],
        'wallet_transactions_wallet_time_idx',
      ],
      ['a balance at an instant', books.balanceAt.inclusive, [id, '2026-01-01T00:00:00Z'], 'wallet_transactions_wallet_time_idx'],
      ['point history, first page', pointPage({}), [id, 51], 'point_transactions_account_seq_idx'],
      ['point history, after a cursor', pointPage({ before: true }), [id, 51, '1000'], 'point_transactions_account_seq_idx'],
    ] as const;

    it.each(pages)('reads %s off its index in order, without sorting', async (_label, statement, params, index) => {
      const plan = await planOf(store.driver, statement.text, [...params]);
      expect(plan.map((n) => n['Node Type'])).not.toContain('Sort');
      // Backward on the page's own scan (a cursor's lookup may probe an index forward).
      expect(plan.some((n) => n['Index Name'] === index && n['Scan Direction'] === 'Backward')).toBe(true);
    });

    // The summary's one statement: each user's account by its unique key, wallets by their user
    // index, and only then each wallet's active holds and allowances, never a table read whole.
    // Sorting allowed: a user's few wallets are sorted oldest first (as listWallets sorts them);
    // with sorting off the planner walks the whole of wallets_created_idx instead.
    it("reads a summary's wallets, holds, allowances, account and lots through their indexes", async () => {
      for (const plan of [
        await planOf(
          store.driver,
          reads.getUserBalances.text,
          [
            ['user-1', 'user-2'],
            [null, '2026-01-01T00:00:00Z'],
          ],
          { sort: true },
        ),
        await genericPlanOf(store.driver, reads.getUserBalances.text),
      ]) {
        expect(plan.map((n) => n['Node Type'])).not.toContain('Seq Scan');
        const indexes = new Set(plan.map((n) => n['Index Name']).filter((i) => i !== undefined));
        for (const index of ['point_accounts_user_key', 'wallets_user_idx', 'holds_wallet_active_idx', 'point_lots_open_idx']) {
          expect(indexes).toContain(index);
        }
        // Either of the allowances' partial indexes by wallet serves.
        expect([...indexes].some((i) => i.startsWith('allowances_wallet_'))).toBe(true);
      }
    });

    it('locks wallets through the primary key', async () => {
      const plan = await planOf(store.driver, q.lockWallets.text, [[id]]);
      expect(plan.some((n) => n['Index Name'] === 'wallets_pkey')).toBe(true);
    });

    // The statements of a batch and of the resolve step: never a scan of a whole table (with
    // sequential scans off, a plan that still has one means no index serves the statement).
    it.each([
      ['reads taken keys', q.readKeys, [['s'], ['k']]],
      ['checks the pairs new wallets take', q.takenPairs, [['user-1']]],
      ['locks point accounts', q.lockAccounts, [['user-1']]],
      ['reads what refunds gave back', q.refundedAmounts, [[id]]],
      ['locks wallets with what refunds gave back', q.waitingLocks.givenBack, [[id], [id]]],
      ['reads a points row with its lots and claims', q.transactionLots, [[id], [id]]],
      ['resolves the owners of points rows', reads.pointTransactionOwners, [[id]]],
      ['resolves the owners of lots', reads.lotOwners, [[id]]],
      ['resolves holds', reads.getHolds, [[id]]],
      ['reads wallets for a batch of readers', reads.getWallets, [[id], [null]]],
      ['reads the wallets of a batch of users', reads.listWallets, [['user-1'], [null]]],
      ['reads the point accounts of a batch of users', reads.getAccounts, [['user-1']]],
      ["resolves ledger rows and their transfers' other wallets", reads.findWalletTransactions, [[id]]],
    ] as const)('%s through an index', async (_label, statement, params) => {
      const plan = await planOf(store.driver, statement.text, [...params]);
      expect(plan.map((n) => n['Node Type'])).not.toContain('Seq Scan');
    });

    // The same statements as a batch runs them, with the generic plan made for any parameters
    // (arrays of unknown length, an unknown instant and limit): still never a scan of a whole table.
    it.each([
      ['claims keys', q.claimKeys],
      ['reads taken keys', q.readKeys],
      ['checks the pairs new wallets take', q.takenPairs],
      ['locks wallets', q.waitingLocks.wallets],
      ['locks wallets, skipping held rows', q.skippingLocks.wallets],
      ['locks point accounts', q.waitingLocks.accounts],
      ['locks wallets and point accounts, skipping held rows', q.skippingLocks.both],
      ['locks wallets with what refunds gave back', q.waitingLocks.givenBack],
      ['locks wallets with what refunds gave back, skipping held rows', q.skippingLocks.givenBack],
      ['tells held rows from missing ones', q.existingRows],
      ['reads active holds', q.activeHolds],
      ['reads active allowances', q.activeAllowances],
      ['reads booked spends', q.bookedSpends],
      ['reads open lots', q.openLots],
      ['reads what refunds gave back', q.refundedAmounts],
      ['reads a points row with its lots and claims', q.transactionLots],
      ['resolves holds', reads.getHolds],
      ["resolves ledger rows and their transfers' other wallets", reads.findWalletTransactions],
      ['resolves the owners of points rows', reads.pointTransactionOwners],
      ['resolves the owners of lots', reads.lotOwners],
      ["writes a transfer's changes", transferWrite],
      ["writes keyed transfers' changes", keyedWrite],
    ] as const)('%s through an index with its generic plan', async (_label, statement) => {
      const plan = await genericPlanOf(store.driver, statement.text);
      expect(plan.map((n) => n['Node Type'])).not.toContain('Seq Scan');
    });

    // A batch's connection keeps the generic plan it made first, and in a fresh database that is
    // while idempotency_keys is empty (without autovacuum, no ANALYZE ever replaces it). Made then,
    // with sequential scans allowed, it must still find each key by both columns of the primary
    // key: the pairs as scope = ANY(…) AND key = ANY(…) were probed by scope alone, every key of
    // the scope read in each keyed batch.
    it.each([
      ['reads taken keys', q.readKeys],
      ['stores responses and releases keys', keyedWrite],
    ] as const)('%s by the whole key, with the generic plan made while the table is empty', async (_label, statement) => {
      const [row] = await store.driver.query<{ n: string }>('SELECT count(*)::text AS n FROM idempotency_keys');
      expect(row?.n).toBe('0');
      const plan = await genericPlanOf(store.driver, statement.text, { seqscan: true });
      const scans = plan.filter((n) => n['Relation Name'] === 'idempotency_keys' && n['Node Type'] !== 'ModifyTable');
      expect(scans.length).toBeGreaterThan(0);
      for (const scan of scans) {
        if (scan['Node Type'] === 'Tid Scan') continue;
        expect(scan['Node Type']).toBe('Index Scan');
        expect(scan['Index Cond']).toMatch(/scope = [\s\S]*key = /);
      }
    });
  });
}

describePlans('PGlite', async () => {
  const store = await createPgliteStore();
  return { store, done: () => store.close() };
});

describe.runIf(adminUrl)('PostgreSQL', () => {
  describePlans('PostgreSQL', async () => {
    const db = await freshDatabase('plans');
    const store = await createNodePostgresStore({ connectionString: db.url, max: 2 });
    return {
      store,
      done: async () => {
        await store.close();
        await db.drop();
      },
    };
  });
});
