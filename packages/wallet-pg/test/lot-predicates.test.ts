import { PGlite } from '@electric-sql/pglite';
import { POINT_LOT_STATUSES, isLotDue, isOpenLot, type PointLotStatus } from '@goodgo/wallet-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dueLotSql, openLotSql } from '../src/sql/lots.js';

const asOf = new Date('2026-06-01T12:00:00.000Z');
const expiries = [null, new Date(asOf.getTime() - 1), asOf, new Date(asOf.getTime() + 1)];

/** Every kind of lot the predicates tell apart: each status, with and without points left, each side of the expiry. */
const lots = POINT_LOT_STATUSES.flatMap((status: PointLotStatus) =>
  [0, 5].flatMap((remaining) => expiries.map((expiresAt, e) => ({ key: `${status}/${remaining}/${e}`, status, remaining, expiresAt }))),
);

describe('the SQL lot predicates are the core ones', () => {
  let db: PGlite;
  let sqlAnswers: Map<string, { open: boolean; due: boolean }>;
  beforeAll(async () => {
    db = new PGlite();
    const result = await db.query<{ key: string; open: boolean; due: boolean }>(
      `SELECT key, (${openLotSql()}) AS open, (${dueLotSql('$2::timestamptz')}) AS due
       FROM jsonb_to_recordset($1::jsonb) AS l(key text, status text, remaining bigint, expires_at timestamptz)`,
      [
        JSON.stringify(lots.map((l) => ({ key: l.key, status: l.status, remaining: l.remaining, expires_at: l.expiresAt?.toISOString() ?? null }))),
        asOf.toISOString(),
      ],
    );
    sqlAnswers = new Map(result.rows.map((r) => [r.key, { open: r.open, due: r.due }]));
  });
  afterAll(() => db.close());

  it.each(lots)('$key', (lot) => {
    expect(sqlAnswers.get(lot.key)).toEqual({ open: isOpenLot(lot), due: isLotDue(lot, asOf) });
  });

  it('tells the kinds apart at all (some lots are open, some due, some neither)', () => {
    const answers = [...sqlAnswers.values()];
    expect(answers.filter((a) => a.open)).toHaveLength(12);
    expect(answers.filter((a) => a.due)).toHaveLength(2);
  });
});
