/**
 * The lot predicates of the core (`isOpenLot`, `isLotDue`) as SQL, over the columns named, for
 * the statements and for the partial indexes that serve them. lot-predicates.test.ts runs each
 * against the core's over every kind of lot, so the two cannot drift. @internal
 */
export interface LotColumns {
  readonly status: string;
  readonly remaining: string;
  readonly expiresAt: string;
}

/** The bare column names, for statements that read `point_lots` alone. */
export const LOT_COLUMN_NAMES: LotColumns = { status: 'status', remaining: 'remaining', expiresAt: 'expires_at' };

/** `isOpenLot`. */
export const openLotSql = (c: LotColumns = LOT_COLUMN_NAMES): string => `${c.status} = 'pending' OR (${c.status} = 'active' AND ${c.remaining} > 0)`;

/** Lots that may ever become due: what the expiry index holds. `isLotDue` is this and an expiry at or before the time. */
export const expiringLotSql = (c: LotColumns = LOT_COLUMN_NAMES): string => `${c.status} = 'active' AND ${c.remaining} > 0 AND ${c.expiresAt} IS NOT NULL`;

/** `isLotDue(lot, asOf)`, with `asOf` the SQL expression given. */
export const dueLotSql = (asOf: string, c: LotColumns = LOT_COLUMN_NAMES): string => `${expiringLotSql(c)} AND ${c.expiresAt} <= ${asOf}`;

/** `isOpenLot` over `point_lots` read alone, parenthesised for a WHERE clause. */
export const OPEN_LOT = `(${openLotSql()})`;
