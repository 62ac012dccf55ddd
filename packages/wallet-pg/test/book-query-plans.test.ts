import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as books from '../src/sql/books.js';
import { createNodePostgresStore } from '../src/node-postgres/index.js';
import type { SqlWalletStore } from '../src/sql-store.js';
import { adminUrl, freshDatabase } from './support/postgres.js';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

const nodes = (plan: PlanNode): PlanNode[] => [plan, ...(plan.Plans ?? []).flatMap(nodes)];

const page = (shape: Partial<books.WalletPageShape>) =>
  books.walletTransactionPage({ type: false, reference: false, from: false, to: false, metadata: false, before: false, ...shape });
const search = (shape: Partial<books.WalletSearchShape>) => books.walletSearch({ userId: false, status: false, currency: false, after: false, ...shape });

/**
 * The reads of the books as the planner really runs them: tables with enough rows, analysed,
 * no planner setting touched. Each must reach its rows through the index meant for it, never a
 * scan of the table, and a page never sorts a wallet's whole history.
 */
describe.runIf(adminUrl)('plans of the reads of the books on PostgreSQL, with rows', () => {
  let store: SqlWalletStore;
  let drop: () => Promise<void>;
  let walletId: string;
  let cursor: string;
  let otherWallet: string;

  beforeAll(async () => {
    const db = await freshDatabase('book_plans');
    drop = db.drop;
    store = await createNodePostgresStore({ connectionString: db.url, max: 2 });
    const q = (text: string, params: unknown[] = []) => store.driver.query(text, params);
    await q(`INSERT INTO wallets (id, user_id, currency, balance, held_amount, status, version, created_at, updated_at)
      SELECT gen_random_uuid(), 'user-' || g, CASE WHEN g % 20 = 0 THEN 'USD' ELSE 'VND' END, 0, 0,
        CASE WHEN g % 200 = 0 THEN 'frozen' ELSE 'active' END, 1, timestamptz '2026-01-01' + g * interval '1 minute', now()
      FROM generate_series(1, 20000) g`);
    // 200 wallets of 200 rows each: 40 000 ledger rows, references repeating every 50 rows.
    // Planner data, not books: the rows carry a placeholder hash.
    await q(`INSERT INTO wallet_transactions (id, wallet_id, type, amount, balance_after, reference, created_at, hash)
      SELECT gen_random_uuid(), w.id, CASE WHEN n % 4 = 0 THEN 'withdrawal' ELSE 'deposit' END, 1, n, 'order-' || (n % 50),
        timestamptz '2026-01-01' + n * interval '1 hour', md5(n::text)
      FROM (SELECT id FROM wallets ORDER BY id LIMIT 200) w, generate_series(1, 200) n ORDER BY w.id, n`);
    await q('ANALYZE wallets');
    await q('ANALYZE wallet_transactions');
    const [row] = await q('SELECT wallet_id, seq::text AS seq FROM wallet_transactions ORDER BY seq LIMIT 1 OFFSET 150');
    walletId = String(row?.wallet_id);
    cursor = String(row?.seq);
    const [other] = await q("SELECT id FROM wallets WHERE status = 'frozen' ORDER BY created_at DESC LIMIT 1 OFFSET 3");
    otherWallet = String(other?.id);
  }, 120_000);
  afterAll(async () => {
    await store?.close();
    await drop?.();
  });

  async function planOf(text: string, params: unknown[]): Promise<PlanNode[]> {
    const [row] = await store.driver.query(`EXPLAIN (FORMAT JSON) ${text}`, params);
    const raw = (row as Record<string, unknown>)['QUERY PLAN'];
    const plan = (typeof raw === 'string' ? JSON.parse(raw) : raw) as { Plan: PlanNode }[];
    return nodes((plan[0] as { Plan: PlanNode }).Plan);
  }

  const jan = '2026-01-02T00:00:00Z';
  /** The instant the holds a search loads still count at. */
  const now = '2026-06-01T00:00:00Z';
  const feb = '2026-01-05T00:00:00Z';
  const cases = () =>
    [
      ['a balance at an instant', books.balanceAt.inclusive, [walletId, jan], 'wallet_transactions_wallet_time_idx'],
      ['a statement', books.walletStatement, [walletId, jan, feb], 'wallet_transactions_wallet_time_idx'],
      ['history of a period', page({ from: true, to: true }), [walletId, 51, jan, feb], 'wallet_transactions_wallet_time_idx'],
      [
        'history of a period after a cursor',
        page({ from: true, to: true, before: true }),
        [walletId, 51, jan, feb, cursor],
        'wallet_transactions_wallet_time_idx',
      ],
      ['history of a type in a period', page({ type: true, from: true, before: true }), [walletId, 51, 'withdrawal', jan, cursor], null],
      ['history of a reference', page({ reference: true }), [walletId, 51, 'order-7'], 'wallet_transactions_wallet_reference_idx'],
      [
        'history of a reference after a cursor',
        page({ reference: true, before: true }),
        [walletId, 51, 'order-7', cursor],
        'wallet_transactions_wallet_reference_idx',
      ],
      ['history of a reference in a period', page({ reference: true, from: true, to: true }), [walletId, 51, 'order-7', jan, feb], null],
      ['the admin search', search({}), [51, now], 'wallets_created_idx'],
      ['the admin search after a cursor', search({ after: true }), [51, now, otherWallet], 'wallets_created_idx'],
      ['the admin search by status', search({ status: true, after: true }), [51, now, 'frozen', otherWallet], 'wallets_status_created_idx'],
      ['the admin search by user', search({ userId: true }), [51, now, 'user-77'], 'wallets_user_idx'],
    ] as const;

  it('reaches every read of the books through its index, never by scanning a table', async () => {
    for (const [label, statement, params, index] of cases()) {
      const plan = await planOf(statement.text, [...params]);
      const scanned = plan.filter((n) => n['Node Type'] === 'Seq Scan').map((n) => n['Relation Name']);
      expect([label, scanned]).toEqual([label, []]);
      if (index !== null) expect([label, plan.some((n) => n['Index Name'] === index)]).toEqual([label, true]);
    }
  });
});
