import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LedgerKeyring, WalletService, readCheckpoints, type LedgerCheckpoint, type ReconciliationProblem } from '@goodgo/wallet-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlDriver } from '../src/driver.js';
import { createNodePostgresStore } from '../src/node-postgres/index.js';
import { createPgliteStore } from '../src/pglite/index.js';
import type { SqlStoreOptions, SqlWalletStore } from '../src/sql-store.js';
import { adminUrl, freshDatabase } from './support/postgres.js';

const KEYS = LedgerKeyring.parse('cp-1:the-checkpoint-test-ledger-key');

/** A wallet's last ledger row deleted and its balance and chain head set back, as a superuser would. */
async function deleteTail(driver: SqlDriver, walletId: string): Promise<void> {
  await driver.transaction(async (tx) => {
    await tx.query('ALTER TABLE wallet_transactions DISABLE TRIGGER wallet_transactions_append_only');
    await tx.query(
      `WITH gone AS (
         DELETE FROM wallet_transactions WHERE id = (SELECT id FROM wallet_transactions WHERE wallet_id = $1 ORDER BY seq DESC LIMIT 1) RETURNING wallet_id)
       SELECT count(*) FROM gone`,
      [walletId],
    );
    await tx.query(
      `UPDATE wallets w SET balance = coalesce(t.balance_after, 0), chain_head = t.hash
       FROM (SELECT $1::uuid AS id) x LEFT JOIN LATERAL (
         SELECT balance_after, hash FROM wallet_transactions WHERE wallet_id = $1 ORDER BY seq DESC LIMIT 1) t ON true
       WHERE w.id = x.id`,
      [walletId],
    );
    await tx.query('ALTER TABLE wallet_transactions ENABLE TRIGGER wallet_transactions_append_only');
  });
}

const kinds = (problems: readonly ReconciliationProblem[]) => problems.map((p) => `${p.kind} ${p.id}`).sort();

function checkpointSuite(name: string, open: (options: SqlStoreOptions) => Promise<{ store: SqlWalletStore; teardown: () => Promise<void> }>) {
  describe(`signed checkpoints of the chain heads (${name})`, () => {
    let store: SqlWalletStore;
    let teardown: () => Promise<void>;
    let service: WalletService;
    let dir: string;
    let file: string;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'wallet-checkpoints-'));
      file = join(dir, 'checkpoints.jsonl');
      ({ store, teardown } = await open({ ledgerKeys: KEYS, checkpointFile: file, settleMs: 0 }));
      service = new WalletService({ store });
    }, 60_000);
    afterAll(async () => {
      await teardown();
      rmSync(dir, { recursive: true, force: true });
    });

    it('finds a deleted tail (last row gone, balance and chain head set back) against the last checkpoint, in a routine run and a full one', async () => {
      const a = await service.createWallet({ userId: 'cp-a' });
      const b = await service.createWallet({ userId: 'cp-b' });
      await service.deposit({ walletId: a.id, amount: '100' });
      await service.deposit({ walletId: a.id, amount: '50' });
      await service.deposit({ walletId: b.id, amount: '70' });
      expect(await service.reconcile({ checkpoint: true })).toMatchObject({ ok: true, problems: [] });

      // The checkpoint went out: in the event stream, in the store's own record, and to the file.
      const lines = readFileSync(file, 'utf8').trim().split('\n');
      const published = lines.map((l) => JSON.parse(l) as LedgerCheckpoint);
      const [part] = published;
      expect(published).toHaveLength(1);
      expect(part?.heads.map((h) => h.walletId).sort()).toEqual([a.id, b.id].sort());
      const events = (await service.listEvents({ limit: 200 })).items.filter((e) => e.event.type === 'LedgerCheckpointed');
      expect(events.map((e) => e.event.payload)).toEqual(published);
      expect(readCheckpoints(KEYS, published).broken).toEqual([]);

      await deleteTail(store.driver, a.id);
      // Every remaining row verifies and the balance matches what is left: only the checkpoint knows.
      const routine = await service.reconcile({ incremental: true });
      expect(kinds(routine.problems)).toEqual([`checkpoint_mismatch ${a.id}`]);
      const full = await service.reconcile();
      expect(kinds(full.problems)).toEqual([`checkpoint_mismatch ${a.id}`]);
      expect(full.problems[0]?.detail).toMatch(
        /^checkpoint [0-9a-f-]{36} names row [0-9a-f-]{36} with hash [0-9a-f]{64} in this wallet's chain, which no longer has it$/,
      );
    });

    it('walks only what changed since the last settled checkpoint in a routine run, and publishes the heads it walked', async () => {
      const quiet = await service.createWallet({ userId: 'cp-quiet' });
      await service.deposit({ walletId: quiet.id, amount: '5' });
      // Settled at once here (settleMs 0): the second run moves `through` up to what the first saw.
      await service.reconcile({ checkpoint: true });
      await service.reconcile({ incremental: true, checkpoint: true });
      const busy = await service.createWallet({ userId: 'cp-busy' });
      await service.deposit({ walletId: busy.id, amount: '10' });
      await service.withdraw({ walletId: busy.id, amount: '3' });
      const paid = await service.transfer({ fromWalletId: busy.id, toWalletId: quiet.id, amount: '2' });

      const routine = await service.reconcile({ incremental: true, checkpoint: true });
      // The tail deleted in the first case is still reported; otherwise only the two wallets that gained rows, and their four rows.
      expect(routine.problems.filter((p) => p.kind !== 'checkpoint_mismatch')).toEqual([]);
      expect(routine).toMatchObject({ wallets: 2, ledgerRows: 4 });
      const all = readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as LedgerCheckpoint);
      const last = all.at(-1) as LedgerCheckpoint;
      expect(last.heads.map((h) => h.walletId).sort()).toEqual([busy.id, quiet.id].sort());
      expect(last.heads.find((h) => h.walletId === quiet.id)?.rowId).toBe((await service.listTransactions({ walletId: quiet.id, limit: 1 })).items[0]?.id);
      expect(paid.transaction.walletId).toBe(busy.id);
      expect(readCheckpoints(KEYS, all).broken).toEqual([]);
    });

    it('reports a checkpoint edited in the file, or one missing from the chain of checkpoints', async () => {
      const lines = readFileSync(file, 'utf8').trim().split('\n');
      const edited = JSON.parse(lines[0] as string) as LedgerCheckpoint;
      const forged = { ...edited, heads: edited.heads.slice(1) };
      writeFileSync(file, [JSON.stringify(forged), ...lines.slice(1)].join('\n') + '\n');
      const report = await service.reconcile();
      const invalid = report.problems.filter((p) => p.kind === 'checkpoint_invalid');
      expect(invalid.map((p) => [p.id, p.detail])).toEqual([
        [edited.id, 'its signature does not verify'],
        [(JSON.parse(lines[1] as string) as LedgerCheckpoint).id, 'the checkpoint before it is missing'],
      ]);
    });
  });
}

checkpointSuite('PGlite', async (options) => {
  const store = await createPgliteStore(options);
  return { store, teardown: () => store.close() };
});

describe.runIf(adminUrl)('on PostgreSQL', () => {
  checkpointSuite('PostgreSQL', async (options) => {
    const db = await freshDatabase('checkpoints');
    const store = await createNodePostgresStore({ connectionString: db.url, max: 4, ...options });
    return {
      store,
      teardown: async () => {
        await store.close();
        await db.drop();
      },
    };
  });
});

describe.runIf(adminUrl)('checkpoint publishers racing (PostgreSQL)', () => {
  it('two instances publishing at once never fork the chain of checkpoints: the one that finds a newer checkpoint than it read publishes nothing', async () => {
    const db = await freshDatabase('checkpoint_race');
    const stores = [
      await createNodePostgresStore({ connectionString: db.url, max: 4, ledgerKeys: KEYS, settleMs: 0 }),
      await createNodePostgresStore({ connectionString: db.url, max: 4, ledgerKeys: KEYS, settleMs: 0 }),
    ];
    try {
      const [one, two] = stores.map((store) => new WalletService({ store })) as [WalletService, WalletService];
      const wallets = await Promise.all(Array.from({ length: 6 }, (_, i) => one.createWallet({ userId: `cp-race-${i}` })));
      for (let round = 0; round < 8; round++) {
        await Promise.all(wallets.map((w) => two.deposit({ walletId: w.id, amount: String(round + 1) })));
        const runs = await Promise.all([one.reconcile({ checkpoint: true }), two.reconcile({ incremental: true, checkpoint: true })]);
        for (const run of runs) expect(run.problems).toEqual([]);
      }
      const bodies = (await stores[0]!.driver.query('SELECT body FROM ledger_checkpoints ORDER BY seq')).map((r) => r.body as LedgerCheckpoint);
      expect(bodies.length).toBeGreaterThanOrEqual(8);
      // Each checkpoint signs the one before it: one line, no two naming the same predecessor.
      expect(readCheckpoints(KEYS, bodies).broken).toEqual([]);
      expect(new Set(bodies.map((b) => b.previous)).size).toBe(bodies.length);
      expect(await one.reconcile()).toMatchObject({ ok: true, problems: [] });
    } finally {
      for (const store of stores) await store.close();
      await db.drop();
    }
  }, 120_000);
});
