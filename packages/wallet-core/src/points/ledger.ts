/** The points ledger's vocabulary: its row types and the row itself. */
import type { Actor } from '../context.js';
import type { Metadata } from '../metadata.js';

/** Every points ledger row type; the TypeScript union, the zod enum and the SQL check derive from it. */
export const POINT_TRANSACTION_TYPES = ['earn', 'spend', 'adjust', 'expire', 'pending', 'confirm', 'cancel', 'refund', 'reversal'] as const;
export type PointTransactionType = (typeof POINT_TRANSACTION_TYPES)[number];

/** One append-only points ledger row. `points` is signed; `balanceAfter` is available points after it. */
export interface PointTransaction {
  readonly id: string;
  readonly accountId: string;
  readonly type: PointTransactionType;
  readonly points: number;
  readonly balanceAfter: number;
  readonly source: string;
  readonly description: string | null;
  readonly expiresAt: Date | null;
  /** The row this one gives back (a `refund` of a spend) or takes back (a `reversal` of an earn). */
  readonly refundOf: string | null;
  /** A split payment's reference, shared with its money row. */
  readonly reference: string | null;
  /** The money row paid together with this one (a split payment), and it names this row back. */
  readonly pairedWith: string | null;
  readonly actor: Actor | null;
  readonly createdAt: Date;
  /** The labels of the command that wrote it. */
  readonly metadata: Metadata | null;
}
