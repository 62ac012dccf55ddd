import fc from 'fast-check';
import { LedgerKeyring, WalletService, type Actor } from '@goodgo/wallet-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodePostgresStore } from '../src/node-postgres/index.js';
import { createPgliteStore } from '../src/pglite/index.js';
import type { SqlWalletStore } from '../src/sql-store.js';
import { adminUrl, freshDatabase } from './support/postgres.js';

/**
 * The writer keys each ledger row in the process from its wallet's chain head; reconciliation
 * reads the rows back as the database returns them and recomputes every hash with the same
 * canonical encoder. They must agree on every kind of row, whatever the text, the amount's
 * digits, the actor, and whether the row was written alone or in a batch with others.
 */
const KEYS = LedgerKeyring.parse('test-2:a-second-key-of-the-property-test,test-1:the-first-key-of-the-property-test');

const TEXTS = [undefined, 'plain', 'a "quoted" \\ back\\slash', 'tab\there\nand a line', 'Tiếng Việt – ✓ 😀', '{"json":["looking"]}', "it's", ' spaced '];
const ACTORS: (Actor | undefined)[] = [undefined, { sub: 'user-1', role: 'user' }, { sub: 'pos-7', role: 'service' }, { sub: 'ádmin "x"', role: 'admin' }];

type Op =
  | { kind: 'deposit' | 'withdraw'; w: number; cents: number; text: number; actor: number }
  | { kind: 'transfer'; from: number; to: number; cents: number; text: number; actor: number }
  | { kind: 'capture'; w: number; to: number | null; cents: number; part: boolean; text: number; actor: number }
  | { kind: 'refund'; nth: number; part: boolean; actor: number };

const wallet = fc.integer({ min: 0, max: 3 });
const cents = fc.integer({ min: 1, max: 50_000 });
const text = fc.integer({ min: 0, max: TEXTS.length - 1 });
const actor = fc.integer({ min: 0, max: ACTORS.length - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constantFrom('deposit' as const, 'withdraw' as const), w: wallet, cents, text, actor }),
  fc.record({ kind: fc.constant('transfer' as const), from: wallet, to: wallet, cents, text, actor }),
  fc.record({ kind: fc.constant('capture' as const), w: wallet, to: fc.option(wallet, { nil: null }), cents, part: fc.boolean(), text, actor }),
  fc.record({ kind: fc.constant('refund' as const), nth: fc.nat(), part: fc.boolean(), actor }),
);

function agreementSuite(name: string, setup: () => Promise<{ store: SqlWalletStore; teardown: () => Promise<void> }>) {
  describe(`the writer and reconciliation agree on every row (${name})`, () => {
    let store: SqlWalletStore;
    let teardown: () => Promise<void>;
    let service: WalletService;
    let run = 0;
    beforeAll(async () => {
      ({ store, teardown } = await setup());
      service = new WalletService({ store });
    }, 60_000);
    afterAll(async () => teardown());

    it('keys deposits, withdrawals, transfer legs, captures and refunds, alone and in batches, so that every row verifies', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.array(opArb, { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 4 }), async (bursts) => {
          run += 1;
          // Two USD wallets (two fraction digits) and two VND wallets (none); transfers stay within a currency.
          const ids: string[] = [];
          for (const [i, currency] of ['USD', 'USD', 'VND', 'VND'].entries()) {
            const w = await service.createWallet({ userId: `chain-${run}-${i}`, currency });
            await service.deposit({ walletId: w.id, amount: currency === 'USD' ? '1000.00' : '100000' });
            ids.push(w.id);
          }
          const amountOf = (w: number, c: number) => (w < 2 ? `${Math.floor(c / 100)}.${String(c % 100).padStart(2, '0')}` : String(c));
          const payments: { id: string; usd: boolean }[] = [];
          for (const burst of bursts) {
            // Each burst at once: group commit puts what arrives together in one batch.
            await Promise.allSettled(
              burst.map(async (op) => {
                const options = { actor: ACTORS[op.actor] ?? null };
                if (op.kind === 'deposit' || op.kind === 'withdraw') {
                  const description = TEXTS[op.text];
                  const r = await service[op.kind](
                    { walletId: ids[op.w] as string, amount: amountOf(op.w, op.cents), description, reference: description },
                    options,
                  );
                  if (op.kind === 'withdraw') payments.push({ id: r.transaction.id, usd: op.w < 2 });
                } else if (op.kind === 'transfer') {
                  const to = (op.from < 2 ? 0 : 2) + (op.to % 2);
                  const r = await service.transfer(
                    { fromWalletId: ids[op.from] as string, toWalletId: ids[to] as string, amount: amountOf(op.from, op.cents), description: TEXTS[op.text] },
                    options,
                  );
                  payments.push({ id: r.transaction.id, usd: op.from < 2 });
                } else if (op.kind === 'capture') {
                  const hold = await service.placeHold({ walletId: ids[op.w] as string, amount: amountOf(op.w, op.cents) }, options);
                  const to = op.to === null ? undefined : (op.w < 2 ? 0 : 2) + (op.to % 2);
                  const r = await service.captureHold(
                    {
                      holdId: hold.id,
                      amount: op.part && op.cents > 1 ? amountOf(op.w, Math.floor(op.cents / 2)) : undefined,
                      toWalletId: to === undefined || ids[to] === ids[op.w] ? undefined : ids[to],
                      description: TEXTS[op.text],
                    },
                    options,
                  );
                  payments.push({ id: r.transaction.id, usd: op.w < 2 });
                } else if (op.kind === 'refund') {
                  const paid = payments[op.nth % Math.max(payments.length, 1)];
                  if (paid === undefined) return;
                  const amount = op.part ? (paid.usd ? '0.01' : '1') : undefined;
                  await service.refund({ transactionId: paid.id, reason: 'returned', amount }, options);
                }
              }),
            );
          }
          const report = await service.reconcile();
          expect(report.problems).toEqual([]);
          const rows = await store.driver.query(
            'SELECT t.key_id, count(*)::int AS n FROM wallet_transactions t WHERE t.wallet_id = ANY($1::uuid[]) GROUP BY t.key_id',
            [ids],
          );
          // Every row of the run keyed with the current key (the first one named).
          expect(rows.map((r) => [r.key_id, Number(r.n) > 0])).toEqual([['test-2', true]]);
          // Each wallet's chain head is its last row's hash.
          const heads = await store.driver.query(
            `SELECT w.id FROM wallets w WHERE w.id = ANY($1::uuid[])
               AND w.chain_head IS DISTINCT FROM (SELECT t.hash FROM wallet_transactions t WHERE t.wallet_id = w.id ORDER BY t.seq DESC LIMIT 1)`,
            [ids],
          );
          expect(heads).toEqual([]);
        }),
        { numRuns: 8 },
      );
    }, 240_000);

    it("keys a till's offline sales (business time, allowance and seq on the row) as the verifier reads them back", async () => {
      const payer = await service.createWallet({ userId: `chain-till-${run}`, currency: 'USD' });
      const shop = await service.createWallet({ userId: `chain-shop-${run}`, currency: 'USD' });
      await service.deposit({ walletId: payer.id, amount: '50.00' });
      const allowance = await service.openAllowance({
        walletId: payer.id,
        tillId: 'store-1/till-1',
        amount: '20.00',
        spendUntil: new Date(Date.now() + 3_600_000),
      });
      await service.syncAllowance({
        allowanceId: allowance.id,
        spends: [
          { seq: 1, amount: '3.50', occurredAt: new Date(Date.now() - 60_000), reference: 'sale-1' },
          { seq: 2, amount: '1.25', occurredAt: new Date(Date.now() - 30_000), reference: 'sale-2', toWalletId: shop.id },
        ],
      });
      await service.settleAllowance({ allowanceId: allowance.id, lastSeq: 2 });
      const rows = await store.driver.query('SELECT count(*)::int AS n FROM wallet_transactions WHERE allowance_id = $1 AND occurred_at IS NOT NULL', [
        allowance.id,
      ]);
      // One withdrawal, and a transfer pair for the sale to the shop.
      expect(rows[0]?.n).toBe(3);
      expect((await service.reconcile()).problems).toEqual([]);
    });

    it('keys a refund of a refunded transfer and a partial capture the same way alone (no batch)', async () => {
      const a = await service.createWallet({ userId: `chain-alone-a-${run}`, currency: 'USD' });
      const b = await service.createWallet({ userId: `chain-alone-b-${run}`, currency: 'USD' });
      await service.deposit({ walletId: a.id, amount: '10.10' }, { actor: { sub: 'svc', role: 'service' } });
      const paid = await service.transfer({ fromWalletId: a.id, toWalletId: b.id, amount: '3.30', description: 'Tiếng Việt' });
      await service.refund({ transactionId: paid.transaction.id, amount: '1.10' });
      await service.refund({ transactionId: paid.transaction.id });
      const hold = await service.placeHold({ walletId: a.id, amount: '2.00' });
      await service.captureHold({ holdId: hold.id, amount: '0.50' });
      expect((await service.reconcile()).problems).toEqual([]);
    });
  });
}

agreementSuite('PGlite', async () => {
  const store = await createPgliteStore({ ledgerKeys: KEYS });
  return { store, teardown: () => store.close() };
});

describe.runIf(adminUrl)('on PostgreSQL', () => {
  agreementSuite('PostgreSQL', async () => {
    const db = await freshDatabase('chain_agree');
    const store = await createNodePostgresStore({ connectionString: db.url, max: 8, ledgerKeys: KEYS });
    return {
      store,
      teardown: async () => {
        await store.close();
        await db.drop();
      },
    };
  });
});
