/** Lots: what one credit left to spend, the ledger rows' claims on them, and the predicates over them. */

export const POINT_LOT_STATUSES = ['pending', 'active', 'cancelled'] as const;
export type PointLotStatus = (typeof POINT_LOT_STATUSES)[number];

/**
 * A lot is what one credit (an earn, or a positive adjustment) left to spend. Its id is the id
 * of the ledger row that created it, so a pending earn is confirmed by that row's id.
 */
export interface PointLot {
  readonly id: string;
  readonly accountId: string;
  readonly points: number;
  readonly remaining: number;
  readonly status: PointLotStatus;
  readonly source: string;
  readonly expiresAt: Date | null;
  readonly createdAt: Date;
  /**
   * Points a reversal of this lot's credit claimed but could not take, because they had been
   * spent: they stay owed, and points later returned to the lot (a refund of such a spend) go to
   * the reversal first. Never more than 0 while `remaining` is above 0.
   */
  readonly owed: number;
  /** The credit (`earn` or `confirm`) whose reversal is owed; null until one is. */
  readonly owedTo: string | null;
}

/**
 * Which lot a ledger row moved points of, and how many: a credit's own lot, the lots a spend took
 * from, the lots a refund gave back to (or found expired), the lot a reversal claimed from. This
 * is what makes a refund go back to exactly the lots its spend consumed.
 */
export interface PointAllocation {
  readonly transactionId: string;
  readonly lotId: string;
  /** Always positive: the row's type says the direction. For a refund or a reversal, what it claimed of the original. */
  readonly points: number;
}

/** One lot of an original row, with what the original moved there and what refunds or reversals already claimed back. */
export interface LotClaim {
  readonly lotId: string;
  readonly points: number;
  readonly claimedBack: number;
}

/**
 * A lot a command must load: pending (it may be confirmed or cancelled), or active with points
 * left. The SQL stores' `open` lot predicate is tested against this one.
 */
export function isOpenLot(lot: Pick<PointLot, 'status' | 'remaining'>): boolean {
  return lot.status === 'pending' || (lot.status === 'active' && lot.remaining > 0);
}

/** Whether a lot's expiry has come at `at` (a lot expires at its `expiresAt`, not after it). */
export function hasExpiredAt(lot: Pick<PointLot, 'expiresAt'>, at: Date): boolean {
  return lot.expiresAt !== null && lot.expiresAt.getTime() <= at.getTime();
}

/**
 * A lot `expire(asOf)` takes: active, with points left, its expiry come. The SQL stores' `due`
 * lot predicate is tested against this one.
 */
export function isLotDue(lot: Pick<PointLot, 'status' | 'remaining' | 'expiresAt'>, asOf: Date): boolean {
  return lot.status === 'active' && lot.remaining > 0 && hasExpiredAt(lot, asOf);
}

/** Spend order: earliest expiry first, lots that never expire last, then oldest first. */
export function compareLotsForSpending(a: PointLot, b: PointLot): number {
  const ae = a.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY;
  const be = b.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY;
  if (ae !== be) return ae < be ? -1 : 1;
  const ac = a.createdAt.getTime();
  const bc = b.createdAt.getTime();
  if (ac !== bc) return ac < bc ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
