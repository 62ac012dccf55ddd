import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryWalletStore, WalletService, isWalletError, type WalletView } from '../src/index.js';

const USERS = ['u1', 'u2', 'u3'] as const;

type Op =
  | { kind: 'deposit' | 'withdraw'; w: number; amount: number; key?: string | undefined }
  | { kind: 'transfer'; from: number; to: number; amount: number; key?: string | undefined }
  | { kind: 'freeze' | 'unfreeze' | 'close'; w: number }
  | { kind: 'earn'; u: number; points: number; days?: number | undefined; pending: boolean }
  | { kind: 'spend'; u: number; points: number; key?: string | undefined }
  | { kind: 'adjust'; u: number; points: number }
  | { kind: 'settle'; u: number; confirm: boolean }
  | { kind: 'expire' }
  | { kind: 'tick'; days: number };

const key = fc.option(fc.constantFrom('k1', 'k2', 'k3'), { nil: undefined });
const w = fc.integer({ min: 0, max: 2 });
const u = fc.integer({ min: 0, max: 2 });
const amount = fc.integer({ min: 1, max: 500 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constantFrom('deposit' as const, 'withdraw' as const), w, amount, key }, { requiredKeys: ['kind', 'w', 'amount'] }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('transfer' as const), from: w, to: w, amount, key }, { requiredKeys: ['kind', 'from', 'to', 'amount'] }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('freeze' as const, 'unfreeze' as const, 'close' as const), w }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('earn' as const), u, points: amount, days: fc.integer({ min: 1, max: 30 }), pending: fc.boolean() }, { requiredKeys: ['kind', 'u', 'points', 'pending'] }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('spend' as const), u, points: amount, key }, { requiredKeys: ['kind', 'u', 'points'] }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('adjust' as const), u, points: fc.integer({ min: -300, max: 300 }).filter((n) => n !== 0) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('settle' as const), u, confirm: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'expire' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('tick' as const), days: fc.integer({ min: 1, max: 20 }) }) },
);

const DAY = 86_400_000;

/** Everything observable through the facade, for "a failed command changes nothing". */
async function observe(service: WalletService, store: MemoryWalletStore) {
  const wallets = (await Promise.all(USERS.map((id) => service.listWallets({ userId: id })))).flat();
  const ledgers = await Promise.all(wallets.map((x) => service.listTransactions({ walletId: x.id, limit: 200 })));
  const points = await Promise.all(USERS.map((id) => service.getPointAccount({ userId: id }).catch(() => null)));
  const pointLedgers = await Promise.all(USERS.map((id) => service.listPointTransactions({ userId: id, limit: 200 }).catch(() => null)));
  const events = (await store.listEvents()).length;
  const stored = await Promise.all(USERS.map((id) => store.getPointAccount(id)));
  return { wallets, ledgers, points, pointLedgers, events, stored: stored.map((a) => (a ? { available: a.availablePoints, lots: a.openLots } : null)) };
}

describe('facade invariants over random command sequences (in-memory store)', () => {
  it('keeps every balance non-negative and equal to its ledger, conserves money and points, and rolls back every rejection', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), async (ops) => {
        let now = Date.UTC(2030, 0, 1);
        const store = new MemoryWalletStore();
        const service = new WalletService({ store, clock: () => new Date(now) });
        const wallets: WalletView[] = [];
        for (const userId of USERS) wallets.push(await service.createWallet({ userId }));
        const pending: string[][] = [[], [], []];
        let deposited = 0n;
        let withdrawn = 0n;

        for (const op of ops) {
          const before = await observe(service, store);
          const opts = (k?: string) => (k === undefined ? {} : { idempotencyKey: `${k}` });
          const walletId = (i: number) => (wallets[i] as WalletView).id;
          try {
            switch (op.kind) {
              case 'deposit': {
                const r = await service.deposit({ walletId: walletId(op.w), amount: String(op.amount) }, opts(op.key));
                if (before.events !== (await store.listEvents()).length) deposited += BigInt(r.transaction.amount);
                break;
              }
              case 'withdraw': {
                const r = await service.withdraw({ walletId: walletId(op.w), amount: String(op.amount) }, opts(op.key));
                if (before.events !== (await store.listEvents()).length) withdrawn += BigInt(r.transaction.amount);
                break;
              }
              case 'transfer':
                await service.transfer({ fromWalletId: walletId(op.from), toWalletId: walletId(op.to), amount: String(op.amount) }, opts(op.key));
                break;
              case 'freeze':
              case 'unfreeze':
              case 'close':
                await service[op.kind]({ walletId: walletId(op.w) });
                break;
              case 'earn': {
                const r = await service.earnPoints({
                  userId: USERS[op.u] as string,
                  points: op.points,
                  source: 'order',
                  pending: op.pending,
                  ...(op.days === undefined ? {} : { expiresAt: new Date(now + op.days * DAY).toISOString() }),
                });
                if (op.pending) pending[op.u]?.push(r.transaction.id);
                break;
              }
              case 'spend':
                await service.spendPoints({ userId: USERS[op.u] as string, points: op.points, source: 'order' }, opts(op.key));
                break;
              case 'adjust':
                await service.adjustPoints({ userId: USERS[op.u] as string, points: op.points, source: 'admin', description: 'fix' });
                break;
              case 'settle': {
                const id = pending[op.u]?.shift();
                if (id) await (op.confirm ? service.confirmPendingPoints({ transactionId: id }) : service.cancelPendingPoints({ transactionId: id }));
                break;
              }
              case 'expire':
                await service.expirePoints();
                break;
              case 'tick':
                now += op.days * DAY;
                break;
            }
          } catch (e) {
            if (!isWalletError(e)) throw e;
            expect(await observe(service, store)).toEqual(before);
          }

          const state = await observe(service, store);
          let total = 0n;
          state.wallets.forEach((wallet, i) => {
            const balance = BigInt(wallet.balance);
            expect(balance >= 0n).toBe(true);
            total += balance;
            let net = 0n;
            for (const t of state.ledgers[i]?.items ?? []) net += (t.type === 'deposit' || t.type === 'transfer_in' ? 1n : -1n) * BigInt(t.amount);
            expect(net).toBe(balance);
            const newest = state.ledgers[i]?.items[0];
            if (newest) expect(newest.balanceAfter).toBe(wallet.balance);
          });
          // Money only enters by deposit and leaves by withdrawal; transfers move it.
          expect(total).toBe(deposited - withdrawn);

          state.points.forEach((account, i) => {
            if (!account) return;
            const stored = state.stored[i];
            if (!stored) throw new Error('an account is readable but not stored');
            // Read-time expiry: a lot past its expiry never counts, swept or not.
            const unswept = stored.lots.filter((l) => l.status === 'active' && l.expiresAt !== null && l.expiresAt.getTime() <= now).reduce((n, l) => n + l.remaining, 0);
            expect(account.availablePoints).toBe(stored.available - unswept);
            const rows = state.pointLedgers[i]?.items ?? [];
            let credited = 0;
            let debited = 0;
            let pendingSum = 0;
            for (const t of rows) {
              if (t.type === 'earn' || t.type === 'confirm' || (t.type === 'adjust' && t.points > 0)) credited += t.points;
              if (t.type === 'spend' || t.type === 'expire' || (t.type === 'adjust' && t.points < 0)) debited -= t.points;
              if (t.type === 'pending' || t.type === 'cancel') pendingSum += t.points;
              if (t.type === 'confirm') pendingSum -= t.points;
            }
            expect(account.availablePoints).toBeGreaterThanOrEqual(0);
            expect(account.totalPoints).toBe(credited);
            // Stored available plus spent plus expired equals credited.
            expect(stored.available + debited).toBe(credited);
            expect(account.pendingPoints).toBe(pendingSum);
            if (rows[0]) expect(rows[0].balanceAfter).toBe(stored.available);
          });
        }
      }),
      { numRuns: 150 },
    );
  }, 120_000);
});
