/**
 * Refunds of spends and reversals of earns, in any order, end with the same points: a reversal's
 * shortfall stays owed on its lot, and points later returned to the lot pay it first.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryWalletStore, WalletService, type PointTransactionView } from '../src/index.js';

/** One order's earns and spends, then the returns (each a part of its original), as generated. */
interface Scenario {
  earns: number[];
  /** Each spend as a share of what is available when it runs (1..available). */
  spends: number[];
  refunds: { spend: number; points: number }[];
  reversals: { earn: number; points: number }[];
}

/** Splits `total` into at most `parts` positive parts whose sum is at most `total`. */
const partsOf = (total: number, cuts: readonly number[]): number[] => {
  const out: number[] = [];
  let left = total;
  for (const c of cuts) {
    if (left === 0) break;
    const p = 1 + (c % left);
    out.push(p);
    left -= p;
  }
  return out;
};

const scenarioArb: fc.Arbitrary<{ scenario: Scenario; order: number[] }> = fc
  .record({
    earns: fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 4 }),
    spendCuts: fc.array(fc.nat({ max: 1_000 }), { minLength: 1, maxLength: 3 }),
    refundCuts: fc.array(fc.array(fc.nat({ max: 1_000 }), { maxLength: 3 }), { minLength: 3, maxLength: 3 }),
    reversalCuts: fc.array(fc.array(fc.nat({ max: 1_000 }), { maxLength: 3 }), { minLength: 4, maxLength: 4 }),
  })
  .map(({ earns, spendCuts, refundCuts, reversalCuts }) => {
    let available = earns.reduce((a, b) => a + b, 0);
    const spends: number[] = [];
    for (const c of spendCuts) {
      if (available === 0) break;
      const s = 1 + (c % available);
      spends.push(s);
      available -= s;
    }
    const refunds = spends.flatMap((s, i) => partsOf(s, refundCuts[i] ?? []).map((points) => ({ spend: i, points })));
    const reversals = earns.flatMap((e, i) => partsOf(e, reversalCuts[i] ?? []).map((points) => ({ earn: i, points })));
    return { earns, spends, refunds, reversals };
  })
  .chain((scenario) => {
    const n = scenario.refunds.length + scenario.reversals.length;
    const all = Array.from({ length: n }, (_, i) => i);
    return fc.shuffledSubarray(all, { minLength: n, maxLength: n }).map((order) => ({ scenario, order }));
  });

/** The points each lot ends with, from the rules alone: a lot keeps what was not spent, refunded back, or reversed, never below 0. */
function expectedPoints(s: Scenario): { available: number; total: number } {
  const lots = s.earns.map((points) => ({ points, net: points }));
  // Spends take the oldest lot first (no lot expires here); refunds give back to the newest the spend took first.
  const taken = s.spends.map((points) => {
    const from: { lot: number; points: number }[] = [];
    let left = points;
    for (const [i, lot] of lots.entries()) {
      const t = Math.min(left, lot.net);
      if (t === 0) continue;
      lot.net -= t;
      from.push({ lot: i, points: t });
      left -= t;
    }
    return from.reverse();
  });
  for (const [i, from] of taken.entries()) {
    let back = s.refunds.filter((r) => r.spend === i).reduce((a, r) => a + r.points, 0);
    for (const f of from) {
      const share = Math.min(back, f.points);
      (lots[f.lot] as { net: number }).net += share;
      back -= share;
    }
  }
  for (const r of s.reversals) {
    (lots[r.earn] as { net: number }).net -= r.points;
  }
  const available = lots.reduce((a, l) => a + Math.max(l.net, 0), 0);
  // Lifetime credited loses what reversals took: everything they claimed, less what is still owed.
  const owed = lots.reduce((a, l) => a + Math.max(-l.net, 0), 0);
  const reversed = s.reversals.reduce((a, r) => a + r.points, 0);
  return { available, total: s.earns.reduce((a, b) => a + b, 0) - reversed + owed };
}

describe('points returned in any order', () => {
  it('refunds and reversals of the same orders end with the same balance in every order, the ledger agreeing and never below zero', async () => {
    let tick = Date.parse('2031-01-01T00:00:00Z');
    // Every read of the clock is a new millisecond, so lots are ordered by when they were earned.
    const service = new WalletService({ store: new MemoryWalletStore(), clock: () => new Date((tick += 1)) });
    let user = 0;

    async function play(s: Scenario, order: readonly number[]) {
      const userId = `user-${(user += 1)}`;
      const earns = [];
      for (const [i, points] of s.earns.entries()) earns.push(await service.earnPoints({ userId, points, source: `earn-${i}` }));
      const spends = [];
      for (const [i, points] of s.spends.entries()) spends.push(await service.spendPoints({ userId, points, source: `spend-${i}` }));
      for (const i of order) {
        const refund = s.refunds[i];
        if (refund !== undefined) {
          await service.refundPoints({ transactionId: (spends[refund.spend] as { transaction: { id: string } }).transaction.id, points: refund.points });
        } else {
          const reversal = s.reversals[i - s.refunds.length] as { earn: number; points: number };
          await service.reversePoints({ transactionId: (earns[reversal.earn] as { transaction: { id: string } }).transaction.id, points: reversal.points });
        }
      }
      const account = await service.getPointAccount({ userId });
      const rows: PointTransactionView[] = [];
      let cursor: string | null = null;
      do {
        const p: { items: PointTransactionView[]; nextCursor: string | null } = await service.listPointTransactions({ userId, limit: 200, cursor });
        rows.push(...p.items);
        cursor = p.nextCursor;
      } while (cursor !== null);
      rows.reverse();
      return { account, rows };
    }

    await fc.assert(
      fc.asyncProperty(scenarioArb, async ({ scenario, order }) => {
        const inOrder = await play(
          scenario,
          order.map((_, i) => i),
        );
        const shuffled = await play(scenario, order);
        const expected = expectedPoints(scenario);
        for (const { account, rows } of [inOrder, shuffled]) {
          expect({ available: account.availablePoints, total: account.totalPoints }).toEqual(expected);
          // Balance = ledger: the rows sum to the balance, each balanceAfter follows, none below zero.
          let running = 0;
          for (const r of rows) {
            running += r.points;
            expect(r.balanceAfter).toBe(running);
            expect(r.balanceAfter).toBeGreaterThanOrEqual(0);
          }
          expect(running).toBe(account.availablePoints);
        }
      }),
      { numRuns: 300 },
    );
    expect((await service.reconcile()).problems).toEqual([]);
  });
});
