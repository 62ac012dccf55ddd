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
  | { kind: 'tick'; days: number }
  | { kind: 'tickHours'; hours: number }
  | { kind: 'hold'; w: number; amount: number; hours: number; key?: string | undefined }
  | { kind: 'capture'; h: number; amount?: number | undefined; to?: number | undefined; key?: string | undefined }
  | { kind: 'void'; h: number }
  | { kind: 'refund'; t: number; amount?: number | undefined; key?: string | undefined }
  | { kind: 'refundPoints'; t: number; points?: number | undefined }
  | { kind: 'reversePoints'; t: number; points?: number | undefined }
  | { kind: 'pay'; w: number; amount: number; points?: number | undefined; to?: number | undefined; key?: string | undefined }
  | { kind: 'increment'; h: number; amount: number; key?: string | undefined }
  | { kind: 'reverseDeposit'; t: number; amount?: number | undefined; key?: string | undefined }
  | { kind: 'limits'; w: number; maxBalance?: number | undefined; daySpend?: number | undefined; monthDeposit?: number | undefined };

const key = fc.option(fc.constantFrom('k1', 'k2', 'k3'), { nil: undefined });
const w = fc.integer({ min: 0, max: 2 });
const u = fc.integer({ min: 0, max: 2 });
const amount = fc.integer({ min: 1, max: 500 });
const pick = fc.nat({ max: 20 });
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constantFrom('deposit' as const, 'withdraw' as const), w, amount, key }, { requiredKeys: ['kind', 'w', 'amount'] }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('transfer' as const), from: w, to: w, amount, key }, { requiredKeys: ['kind', 'from', 'to', 'amount'] }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('freeze' as const, 'unfreeze' as const, 'close' as const), w }) },
  {
    weight: 2,
    arbitrary: fc.record(
      { kind: fc.constant('earn' as const), u, points: amount, days: fc.integer({ min: 1, max: 30 }), pending: fc.boolean() },
      { requiredKeys: ['kind', 'u', 'points', 'pending'] },
    ),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('spend' as const), u, points: amount, key }, { requiredKeys: ['kind', 'u', 'points'] }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('adjust' as const), u, points: fc.integer({ min: -300, max: 300 }).filter((n) => n !== 0) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('settle' as const), u, confirm: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'expire' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('tick' as const), days: fc.integer({ min: 1, max: 20 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('tickHours' as const), hours: fc.integer({ min: 1, max: 30 }) }) },
  {
    weight: 3,
    arbitrary: fc.record(
      { kind: fc.constant('hold' as const), w, amount, hours: fc.integer({ min: 1, max: 48 }), key },
      { requiredKeys: ['kind', 'w', 'amount', 'hours'] },
    ),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('capture' as const), h: pick, amount: maybe(amount), to: maybe(w), key }, { requiredKeys: ['kind', 'h'] }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('void' as const), h: pick }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('refund' as const), t: pick, amount: maybe(amount), key }, { requiredKeys: ['kind', 't'] }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('refundPoints' as const), t: pick, points: maybe(amount) }, { requiredKeys: ['kind', 't'] }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reversePoints' as const), t: pick, points: maybe(amount) }, { requiredKeys: ['kind', 't'] }) },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('pay' as const), w, amount, points: maybe(amount), to: maybe(w), key }, { requiredKeys: ['kind', 'w', 'amount'] }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('increment' as const), h: pick, amount, key }, { requiredKeys: ['kind', 'h', 'amount'] }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('reverseDeposit' as const), t: pick, amount: maybe(amount), key }, { requiredKeys: ['kind', 't'] }),
  },
  {
    weight: 1,
    arbitrary: fc.record(
      { kind: fc.constant('limits' as const), w, maxBalance: maybe(fc.integer({ min: 1, max: 5000 })), daySpend: maybe(amount), monthDeposit: maybe(amount) },
      { requiredKeys: ['kind', 'w'] },
    ),
  },
);

/** The service's defaults: tight enough that sequences meet every limit, and days and months pass by `tick`. */
const LIMITS = { VND: { maxBalance: '2500', daily: { deposit: '1500', spend: '1000' }, monthly: { deposit: '4000', spend: '3000' } } };
/** Ho Chi Minh keeps UTC+7 all year: a row's local day and month, computed apart from the service's Intl. */
const localDay = (iso: string) => new Date(Date.parse(iso) + 7 * 3_600_000).toISOString().slice(0, 10);
const COUNTED: Record<string, 'deposit' | 'spend' | undefined> = { deposit: 'deposit', withdrawal: 'spend', transfer_out: 'spend' };

/** Rows that give back use, and the kind they give back: a refund the payment's spend, a reversal the deposit's top-up. */
const GIVES_BACK: Record<string, 'deposit' | 'spend' | undefined> = { refund_in: 'spend', deposit_reversal: 'deposit' };

/**
 * What a wallet used of the day and month `now` falls in, from its ledger alone: the counted rows
 * booked in them, less the refunds and deposit reversals booked in them of rows booked in them too.
 */
function usageFromLedger(rows: readonly { id: string; type: string; amount: string; createdAt: string; refundOf: string | null }[], now: number) {
  const today = localDay(new Date(now).toISOString());
  const used = { daily: { deposit: 0n, spend: 0n }, monthly: { deposit: 0n, spend: 0n } };
  const byId = new Map(rows.map((t) => [t.id, t]));
  for (const t of rows) {
    const day = localDay(t.createdAt);
    const kind = COUNTED[t.type];
    const back = GIVES_BACK[t.type] === undefined ? undefined : byId.get(t.refundOf as string);
    const counted = kind ?? (back ? GIVES_BACK[t.type] : undefined);
    if (counted === undefined) continue;
    const sign = kind === undefined ? -1n : 1n;
    const origin = back ? localDay(back.createdAt) : day;
    if (day.slice(0, 7) === today.slice(0, 7) && origin.slice(0, 7) === today.slice(0, 7)) used.monthly[counted] += sign * BigInt(t.amount);
    if (day === today && origin === today) used.daily[counted] += sign * BigInt(t.amount);
  }
  return used;
}

const DAY = 86_400_000;
const HOUR = 3_600_000;
const CREDITS = new Set(['deposit', 'transfer_in', 'refund_in']);
/** Points row types that change available points by their signed `points`. */
const MOVES_AVAILABLE = new Set(['earn', 'spend', 'adjust', 'expire', 'confirm', 'refund', 'reversal']);

/** Everything observable through the facade, for "a failed command changes nothing". */
async function observe(service: WalletService, store: MemoryWalletStore) {
  const wallets = (await Promise.all(USERS.map((id) => service.listWallets({ userId: id })))).flat();
  const ledgers = await Promise.all(wallets.map((x) => service.listTransactions({ walletId: x.id, limit: 200 })));
  const holds = await Promise.all(wallets.map((x) => service.listHolds({ walletId: x.id, limit: 200 })));
  const points = await Promise.all(USERS.map((id) => service.getPointAccount({ userId: id }).catch(() => null)));
  const pointLedgers = await Promise.all(USERS.map((id) => service.listPointTransactions({ userId: id, limit: 200 }).catch(() => null)));
  const events = (await store.listEvents()).length;
  const limits = await Promise.all(wallets.map((x) => service.getLimits({ walletId: x.id })));
  const stored = await Promise.all(USERS.map((id) => store.getPointAccount(id)));
  return {
    wallets,
    ledgers,
    holds,
    points,
    pointLedgers,
    events,
    limits,
    stored: stored.map((a) => (a ? { available: a.availablePoints, pending: a.pendingPoints, lots: a.openLots } : null)),
  };
}

describe('facade invariants over random command sequences (in-memory store)', () => {
  it('conserves money and points through holds, captures, refunds, split payments, deposit reversals and give-backs; available never negative; every split payment whole or absent; every rejection changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(opArb, { minLength: 1, maxLength: 40 }), async (seeded, ops) => {
        let now = Date.UTC(2030, 0, 1);
        const store = new MemoryWalletStore();
        const service = new WalletService({ store, clock: () => new Date(now), limits: LIMITS });
        const wallets: WalletView[] = [];
        for (const userId of USERS) wallets.push(await service.createWallet({ userId }));
        const pending: string[][] = [[], [], []];
        const holdIds: string[] = [];
        /** Payments that a refund may name: withdrawals, captures and transfers, and some that it may not. */
        const payments: string[] = [];
        const pointRows: string[] = [];
        // Money enters only by deposit and by the refund of a payment that left; it leaves only by
        // withdrawal (a split payment's without a target wallet included), by the capture of a hold
        // without a target wallet, and by a deposit's reversal.
        let deposited = 0n;
        let withdrawn = 0n;
        let refundedIn = 0n;
        let reversed = 0n;
        let payCount = 0;
        // Half the runs start with money and points on every side, so that payments, reversals and
        // captures meet money far more often than an empty store lets them. The seed is a deposit
        // like any other: within the daily deposit limit, and counted in the day's use.
        if (seeded) {
          for (const [i, userId] of USERS.entries()) {
            const topUp = await service.deposit({ walletId: (wallets[i] as WalletView).id, amount: '1000' });
            deposited += 1000n;
            payments.push(topUp.transaction.id);
            pointRows.push((await service.earnPoints({ userId, points: 500, source: 'seed' })).transaction.id);
          }
        }

        for (const op of ops) {
          const before = await observe(service, store);
          const opts = (k?: string) => (k === undefined ? {} : { idempotencyKey: `${op.kind}-${k}` });
          const walletId = (i: number) => (wallets[i] as WalletView).id;
          const nth = (list: readonly string[], i: number) => list[i % Math.max(list.length, 1)] ?? '00000000-0000-4000-8000-000000000000';
          const applied = async () => before.events !== (await store.listEvents()).length;
          try {
            switch (op.kind) {
              case 'deposit': {
                const r = await service.deposit({ walletId: walletId(op.w), amount: String(op.amount) }, opts(op.key));
                if (await applied()) deposited += BigInt(r.transaction.amount);
                payments.push(r.transaction.id);
                break;
              }
              case 'withdraw': {
                const r = await service.withdraw({ walletId: walletId(op.w), amount: String(op.amount) }, opts(op.key));
                if (await applied()) withdrawn += BigInt(r.transaction.amount);
                payments.push(r.transaction.id);
                break;
              }
              case 'transfer': {
                const r = await service.transfer({ fromWalletId: walletId(op.from), toWalletId: walletId(op.to), amount: String(op.amount) }, opts(op.key));
                payments.push(r.transaction.id);
                break;
              }
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
                pointRows.push(r.transaction.id);
                break;
              }
              case 'spend':
                pointRows.push((await service.spendPoints({ userId: USERS[op.u] as string, points: op.points, source: 'order' }, opts(op.key))).transaction.id);
                break;
              case 'adjust':
                await service.adjustPoints({ userId: USERS[op.u] as string, points: op.points, source: 'admin', description: 'fix' });
                break;
              case 'settle': {
                const id = pending[op.u]?.shift();
                if (id)
                  pointRows.push(
                    (await (op.confirm ? service.confirmPendingPoints({ transactionId: id }) : service.cancelPendingPoints({ transactionId: id }))).transaction
                      .id,
                  );
                break;
              }
              case 'expire':
                await service.expirePoints();
                break;
              case 'tick':
                now += op.days * DAY;
                break;
              case 'tickHours':
                now += op.hours * HOUR;
                break;
              case 'hold': {
                const hold = await service.placeHold(
                  { walletId: walletId(op.w), amount: String(op.amount), expiresAt: new Date(now + op.hours * HOUR) },
                  opts(op.key),
                );
                holdIds.push(hold.id);
                break;
              }
              case 'capture': {
                const r = await service.captureHold(
                  {
                    holdId: nth(holdIds, op.h),
                    ...(op.amount === undefined ? {} : { amount: String(op.amount) }),
                    ...(op.to === undefined ? {} : { toWalletId: walletId(op.to) }),
                  },
                  opts(op.key),
                );
                if ((await applied()) && r.transaction.type === 'withdrawal') withdrawn += BigInt(r.transaction.amount);
                payments.push(r.transaction.id);
                break;
              }
              case 'void':
                await service.voidHold({ holdId: nth(holdIds, op.h) });
                break;
              case 'refund': {
                const r = await service.refund(
                  { transactionId: nth(payments, op.t), ...(op.amount === undefined ? {} : { amount: String(op.amount) }) },
                  opts(op.key),
                );
                if ((await applied()) && r.transaction.transferId === null) refundedIn += BigInt(r.transaction.amount);
                payments.push(r.transaction.id);
                break;
              }
              case 'refundPoints':
                pointRows.push(
                  (await service.refundPoints({ transactionId: nth(pointRows, op.t), ...(op.points === undefined ? {} : { points: op.points }) })).transaction
                    .id,
                );
                break;
              case 'limits':
                await service.setLimits({
                  walletId: walletId(op.w),
                  ...(op.maxBalance === undefined ? {} : { maxBalance: String(op.maxBalance) }),
                  ...(op.daySpend === undefined ? {} : { daily: { spend: String(op.daySpend) } }),
                  ...(op.monthDeposit === undefined ? {} : { monthly: { deposit: String(op.monthDeposit) } }),
                });
                break;
              case 'reversePoints':
                pointRows.push(
                  (await service.reversePoints({ transactionId: nth(pointRows, op.t), ...(op.points === undefined ? {} : { points: op.points }) })).transaction
                    .id,
                );
                break;
              case 'pay': {
                const r = await service.pay(
                  {
                    walletId: walletId(op.w),
                    amount: String(op.amount),
                    reference: `order-${(payCount += 1)}`,
                    ...(op.points === undefined ? {} : { points: op.points }),
                    ...(op.to === undefined ? {} : { toWalletId: walletId(op.to) }),
                  },
                  opts(op.key),
                );
                if ((await applied()) && r.transaction.type === 'withdrawal') withdrawn += BigInt(r.transaction.amount);
                payments.push(r.transaction.id);
                if (r.pointTransaction) pointRows.push(r.pointTransaction.id);
                break;
              }
              case 'increment':
                await service.incrementHold({ holdId: nth(holdIds, op.h), amount: String(op.amount) }, opts(op.key));
                break;
              case 'reverseDeposit': {
                // `payments` holds the deposits too, among rows that are not deposits.
                const r = await service.reverseDeposit(
                  { transactionId: nth(payments, op.t), reason: 'keyed wrong', ...(op.amount === undefined ? {} : { amount: String(op.amount) }) },
                  opts(op.key),
                );
                if (await applied()) reversed += BigInt(r.transaction.amount);
                break;
              }
            }
          } catch (e) {
            if (!isWalletError(e)) throw e;
            expect(await observe(service, store)).toEqual(before);
          }

          const state = await observe(service, store);
          // No command takes a period's use (or the balance) past its limit: each is within it, or
          // did not grow (an admin may set a limit below what is already used).
          state.limits.forEach((limits, i) => {
            const was = before.limits[i];
            const figures = [
              [limits.maxBalance, was?.maxBalance, true],
              [limits.daily.deposit, was?.daily.deposit, was?.daily.period === limits.daily.period],
              [limits.daily.spend, was?.daily.spend, was?.daily.period === limits.daily.period],
              [limits.monthly.deposit, was?.monthly.deposit, was?.monthly.period === limits.monthly.period],
              [limits.monthly.spend, was?.monthly.spend, was?.monthly.period === limits.monthly.period],
            ] as const;
            for (const [figure, previous, samePeriod] of figures) {
              const usedBefore = samePeriod && previous ? BigInt(previous.used) : 0n;
              if (figure.limit !== null && BigInt(figure.used) > usedBefore) expect(BigInt(figure.used)).toBeLessThanOrEqual(BigInt(figure.limit));
            }
            // The counters are what the ledger says was used in the current day and month.
            const fromLedger = usageFromLedger(state.ledgers[i]?.items ?? [], now);
            expect([limits.daily.deposit.used, limits.daily.spend.used, limits.monthly.deposit.used, limits.monthly.spend.used]).toEqual(
              [fromLedger.daily.deposit, fromLedger.daily.spend, fromLedger.monthly.deposit, fromLedger.monthly.spend].map(String),
            );
          });
          let total = 0n;
          const rowsById = new Map(state.ledgers.flatMap((l) => l.items).map((t) => [t.id, t]));
          state.wallets.forEach((wallet, i) => {
            const balance = BigInt(wallet.balance);
            const held = BigInt(wallet.heldAmount);
            expect(balance >= 0n).toBe(true);
            expect(BigInt(wallet.availableBalance) >= 0n).toBe(true);
            expect(BigInt(wallet.availableBalance)).toBe(balance - held);
            // Held is exactly the active holds that have not expired at `now`.
            const counting = (state.holds[i]?.items ?? []).filter((h) => h.status === 'active');
            for (const h of counting) expect(Date.parse(h.expiresAt)).toBeGreaterThan(now);
            expect(counting.reduce((sum, h) => sum + BigInt(h.amount), 0n)).toBe(held);
            total += balance;
            let net = 0n;
            for (const t of state.ledgers[i]?.items ?? []) net += (CREDITS.has(t.type) ? 1n : -1n) * BigInt(t.amount);
            expect(net).toBe(balance);
            const newest = state.ledgers[i]?.items[0];
            if (newest) expect(newest.balanceAfter).toBe(wallet.balance);
          });
          expect(total).toBe(deposited - withdrawn + refundedIn - reversed);
          // All refunds of one payment never exceed it, nor the reversals of one deposit; a transfer's refund is a balanced pair.
          const refunded = new Map<string, bigint>();
          const reversals = new Map<string, bigint>();
          for (const t of rowsById.values()) {
            if (t.type === 'refund_in') refunded.set(t.refundOf as string, (refunded.get(t.refundOf as string) ?? 0n) + BigInt(t.amount));
            if (t.type === 'deposit_reversal') {
              reversals.set(t.refundOf as string, (reversals.get(t.refundOf as string) ?? 0n) + BigInt(t.amount));
              expect(rowsById.get(t.refundOf as string)?.walletId).toBe(t.walletId);
            }
            if (t.type === 'refund_out') {
              const pair = [...rowsById.values()].filter((x) => x.transferId === t.transferId);
              expect(pair.map((x) => x.type).sort()).toEqual(['refund_in', 'refund_out']);
            }
          }
          for (const [original, sum] of refunded) {
            const row = rowsById.get(original);
            expect(row && ['withdrawal', 'transfer_out'].includes(row.type)).toBe(true);
            expect(sum <= BigInt(row?.amount ?? '0')).toBe(true);
          }
          for (const [original, sum] of reversals) {
            const row = rowsById.get(original);
            expect(row?.type).toBe('deposit');
            expect(sum <= BigInt(row?.amount ?? '0')).toBe(true);
          }
          // A split payment is whole or absent: its payer row and its spend name each other and share the reference.
          const pointRowsById = new Map(state.pointLedgers.flatMap((l) => l?.items ?? []).map((t) => [t.id, t]));
          for (const t of rowsById.values()) {
            if (t.pairedWith === null) continue;
            expect(['withdrawal', 'transfer_out']).toContain(t.type);
            expect(pointRowsById.get(t.pairedWith)).toMatchObject({ type: 'spend', pairedWith: t.id, reference: t.reference });
          }
          for (const p of pointRowsById.values()) {
            if (p.pairedWith === null) continue;
            expect(rowsById.get(p.pairedWith)).toMatchObject({ pairedWith: p.id, reference: p.reference });
          }

          state.points.forEach((account, i) => {
            if (!account) return;
            const stored = state.stored[i];
            if (!stored) throw new Error('an account is readable but not stored');
            const rows = state.pointLedgers[i]?.items ?? [];
            // Read-time expiry: a lot past its expiry never counts, swept or not.
            const unswept = stored.lots
              .filter((l) => l.status === 'active' && l.expiresAt !== null && l.expiresAt.getTime() <= now)
              .reduce((n, l) => n + l.remaining, 0);
            expect(account.availablePoints).toBe(stored.available - unswept);
            expect(account.availablePoints).toBeGreaterThanOrEqual(0);
            // The ledger explains the stored balance; the open lots hold exactly it.
            expect(rows.filter((t) => MOVES_AVAILABLE.has(t.type)).reduce((n, t) => n + t.points, 0)).toBe(stored.available);
            expect(stored.lots.filter((l) => l.status === 'active').reduce((n, l) => n + l.remaining, 0)).toBe(stored.available);
            expect(stored.lots.filter((l) => l.status === 'pending').reduce((n, l) => n + l.points, 0)).toBe(stored.pending);
            for (const l of stored.lots) expect(l.remaining >= 0 && l.remaining <= l.points).toBe(true);
            const lifetime = rows.filter((t) => t.type === 'earn' || t.type === 'confirm' || t.type === 'reversal' || (t.type === 'adjust' && t.points > 0));
            expect(account.totalPoints).toBe(lifetime.reduce((n, t) => n + t.points, 0));
            expect(account.pendingPoints).toBe(
              rows.filter((t) => t.type === 'pending' || t.type === 'cancel').reduce((n, t) => n + t.points, 0) -
                rows.filter((t) => t.type === 'confirm').reduce((n, t) => n + t.points, 0),
            );
            if (rows[0]) expect(rows[0].balanceAfter).toBe(stored.available);
            // Refunds of a spend never give back more than it took; reversals never claw more than was credited.
            const byId = new Map(rows.map((t) => [t.id, t]));
            const claimed = new Map<string, number>();
            for (const t of rows)
              if (t.type === 'refund' || t.type === 'reversal')
                claimed.set(t.refundOf as string, (claimed.get(t.refundOf as string) ?? 0) + Math.abs(t.points));
            for (const [original, sum] of claimed) expect(sum).toBeLessThanOrEqual(Math.abs(byId.get(original)?.points ?? 0));
          });
        }
      }),
      { numRuns: 150 },
    );
  }, 180_000);
});
