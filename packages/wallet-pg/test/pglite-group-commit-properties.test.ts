import fc from 'fast-check';
import { MemoryWalletStore, WalletService, type CommandOptions, type WalletView } from '@goodgo/wallet-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgliteStore } from '../src/pglite/index.js';
import type { SqlWalletStore } from '../src/sql-store.js';

/**
 * Group commit must not change what any command answers: bursts of random commands committed in
 * batches on PGlite answer exactly as the same commands run one after another on the memory store
 * (values, error codes, balances, points), and the books balance after every burst.
 */
type Op =
  | { kind: 'deposit' | 'withdraw' | 'hold'; w: number; amount: number; key?: string | undefined }
  | { kind: 'transfer'; from: number; to: number; amount: number; key?: string | undefined }
  | { kind: 'freeze' | 'unfreeze' | 'close'; w: number }
  | { kind: 'earn' | 'spend' | 'adjust'; u: number; points: number; key?: string | undefined }
  | { kind: 'open'; u: number };

const w = fc.integer({ min: 0, max: 3 });
const u = fc.integer({ min: 0, max: 2 });
const amount = fc.integer({ min: 1, max: 400 });
const key = fc.option(fc.constantFrom('k1', 'k2', 'k3', 'k4'), { nil: undefined });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constantFrom('deposit' as const, 'withdraw' as const, 'hold' as const), w, amount, key }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('transfer' as const), from: w, to: w, amount, key }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('freeze' as const, 'unfreeze' as const, 'close' as const), w }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constantFrom('earn' as const, 'spend' as const, 'adjust' as const), u, points: amount, key }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('open' as const), u }) },
);

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
/** An answer with its generated ids blanked (each store makes its own), everything else as given. */
function shape(outcome: PromiseSettledResult<unknown>): string {
  if (outcome.status === 'rejected') return `error ${(outcome.reason as { code?: string }).code ?? String(outcome.reason)}`;
  return JSON.stringify(outcome.value).replace(UUID, 'ID');
}

describe('group commit answers as one command after another (PGlite against the memory store)', () => {
  let store: SqlWalletStore;
  let run = 0;
  const batches: number[] = [];
  beforeAll(async () => {
    store = await createPgliteStore({ onBatch: (size) => batches.push(size) });
  });
  afterAll(async () => {
    await store.close();
  });

  it('gives every command of random bursts the answer it gets alone, in the same order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(opArb, { minLength: 2, maxLength: 25 }), { minLength: 1, maxLength: 3 }), async (bursts) => {
        run += 1;
        let now = Date.UTC(2030, 0, 1);
        const clock = () => new Date(now);
        const batched = new WalletService({ store, clock });
        const memory = new WalletService({ store: new MemoryWalletStore(), clock });
        const users = [0, 1, 2].map((i) => `p${run}-u${i}`);
        const setUp = async (service: WalletService) => {
          const wallets: WalletView[] = [];
          for (const userId of [...users, `p${run}-merchant`]) {
            const wallet = await service.createWallet({ userId });
            await service.deposit({ walletId: wallet.id, amount: '500' });
            wallets.push(wallet);
          }
          return wallets;
        };
        const sides = [
          { service: batched, wallets: await setUp(batched) },
          { service: memory, wallets: await setUp(memory) },
        ];
        const call = (side: (typeof sides)[number], op: Op, opts: CommandOptions): Promise<unknown> => {
          const { service, wallets } = side;
          const id = (i: number) => (wallets[i] as WalletView).id;
          switch (op.kind) {
            case 'deposit':
              return service.deposit({ walletId: id(op.w), amount: String(op.amount) }, opts);
            case 'withdraw':
              return service.withdraw({ walletId: id(op.w), amount: String(op.amount) }, opts);
            case 'hold':
              return service.placeHold({ walletId: id(op.w), amount: String(op.amount) }, opts);
            case 'transfer':
              return service.transfer({ fromWalletId: id(op.from), toWalletId: id(op.to), amount: String(op.amount) }, opts);
            case 'freeze':
            case 'unfreeze':
            case 'close':
              return service[op.kind]({ walletId: id(op.w) }, opts);
            case 'earn':
              return service.earnPoints({ userId: users[op.u] as string, points: op.points, source: 'order' }, opts);
            case 'spend':
              return service.spendPoints({ userId: users[op.u] as string, points: op.points, source: 'redeem' }, opts);
            case 'adjust':
              return service.adjustPoints({ userId: users[op.u] as string, points: op.points - 200, source: 'support', description: 'fix' }, opts);
            case 'open':
              return service.createWallet({ userId: users[op.u] as string, currency: 'USD' }, opts);
          }
        };
        for (const burst of bursts) {
          // A key used twice in one burst would wait for the next batch (and run after the rest):
          // the later use goes unkeyed, so that both sides run the burst in one order.
          const used = new Set<string>();
          const keyed = burst.map((op) => {
            const k = 'key' in op && op.key !== undefined && !used.has(op.key) ? `p${run}-${op.kind}-${op.key}` : undefined;
            if ('key' in op && op.key !== undefined) used.add(op.key);
            return { op, opts: k === undefined ? {} : { idempotencyKey: k } };
          });
          // The first command leaves alone; the rest, called in the same tick, queue as one batch.
          const pg = await Promise.allSettled(keyed.map(({ op, opts }) => call(sides[0] as (typeof sides)[number], op, opts)));
          const mem: PromiseSettledResult<unknown>[] = [];
          for (const { op, opts } of keyed) mem.push(...(await Promise.allSettled([call(sides[1] as (typeof sides)[number], op, opts)])));
          expect(pg.map(shape)).toEqual(mem.map(shape));
          for (const [i] of sides[0]?.wallets.entries() ?? []) {
            const [a, b] = await Promise.all(sides.map((s) => s.service.getWallet({ walletId: (s.wallets[i] as WalletView).id })));
            expect(shape({ status: 'fulfilled', value: a })).toBe(shape({ status: 'fulfilled', value: b }));
          }
          now += 3_600_000;
        }
        const report = await batched.reconcile();
        expect(report.problems).toEqual([]);
      }),
      { numRuns: 25 },
    );
    // The bursts did run as batches (a burst's first command alone, the rest together).
    expect(batches.filter((size) => size > 1).length).toBeGreaterThanOrEqual(25);
  });
});
