import { describe, expect, it } from 'vitest';
import { PointAccount, type ChangeContext } from '../src/index.js';

let seq = 0;
const at = (iso: string): ChangeContext => ({ now: new Date(iso), newId: () => `id-${String(++seq).padStart(6, '0')}` });
const t0 = at('2030-01-01T00:00:00Z');
const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return (e as { code: string }).code;
  }
  return 'none';
};

describe('PointAccount', () => {
  it('spends the earliest-expiring lots first and lots without expiry last', () => {
    const a = PointAccount.open(t0, 'u');
    a.earn(t0, { points: 10, source: 'never' });
    a.earn(t0, { points: 10, source: 'late', expiresAt: new Date('2030-06-01Z') });
    a.earn(t0, { points: 10, source: 'soon', expiresAt: new Date('2030-02-01Z') });
    a.spend(t0, { points: 15, source: 'order' });
    expect(a.openLots.map((l) => [l.source, l.remaining])).toEqual([
      ['late', 5],
      ['never', 10],
    ]);
    expect(a.availablePoints).toBe(15);
  });

  it('refuses to spend more than is available and changes nothing', () => {
    const a = PointAccount.open(t0, 'u');
    a.earn(t0, { points: 5, source: 's' });
    a.pullChanges();
    expect(codeOf(() => a.spend(t0, { points: 6, source: 'o' }))).toBe('INSUFFICIENT_POINTS');
    expect(a.availablePoints).toBe(5);
    expect(a.pullChanges().transactions).toEqual([]);
  });

  it('validates points and expiry', () => {
    const a = PointAccount.open(t0, 'u');
    expect(codeOf(() => a.earn(t0, { points: 0, source: 's' }))).toBe('VALIDATION_ERROR');
    expect(codeOf(() => a.earn(t0, { points: 1.5, source: 's' }))).toBe('VALIDATION_ERROR');
    expect(codeOf(() => a.earn(t0, { points: 1, source: 's', expiresAt: new Date('2029-01-01Z') }))).toBe('VALIDATION_ERROR');
    expect(codeOf(() => a.adjust(t0, { points: 0, source: 's' }))).toBe('VALIDATION_ERROR');
    a.earn(t0, { points: Number.MAX_SAFE_INTEGER, source: 's' });
    expect(codeOf(() => a.earn(t0, { points: 1, source: 's' }))).toBe('VALIDATION_ERROR');
  });

  it('holds pending points apart until confirmed or cancelled', () => {
    const a = PointAccount.open(t0, 'u');
    const p = a.earn(t0, { points: 30, source: 'order:1', pending: true });
    expect([a.totalPoints, a.availablePoints, a.pendingPoints]).toEqual([0, 0, 30]);
    const c = a.confirm(t0, p.id);
    expect(c).toMatchObject({ type: 'confirm', points: 30, balanceAfter: 30 });
    expect([a.totalPoints, a.availablePoints, a.pendingPoints]).toEqual([30, 30, 0]);
    expect(codeOf(() => a.confirm(t0, p.id))).toBe('TRANSACTION_NOT_FOUND');
    const q = a.earn(t0, { points: 7, source: 'order:2', pending: true });
    expect(a.cancel(t0, q.id)).toMatchObject({ type: 'cancel', points: -7, balanceAfter: 30 });
    expect([a.totalPoints, a.availablePoints, a.pendingPoints]).toEqual([30, 30, 0]);
  });

  it('expires what is left of each due lot, one ledger row per lot, and nothing twice', () => {
    const a = PointAccount.open(t0, 'u');
    a.earn(t0, { points: 10, source: 'a', expiresAt: new Date('2030-02-01Z') });
    a.earn(t0, { points: 20, source: 'b', expiresAt: new Date('2030-03-01Z') });
    a.spend(t0, { points: 4, source: 'o' });
    const later = at('2030-03-05T00:00:00Z');
    expect(a.expirableAt(later.now)).toBe(26);
    const rows = a.expire(later, new Date('2030-02-15Z'));
    expect(rows.map((r) => r.points)).toEqual([-6]);
    expect(a.expire(later, new Date('2030-02-15Z'))).toEqual([]);
    expect(a.availablePoints).toBe(20);
    expect(a.totalPoints).toBe(30);
  });

  it('expires due lots before a spend, so expired points are never spent', () => {
    const a = PointAccount.open(t0, 'u');
    a.earn(t0, { points: 10, source: 'a', expiresAt: new Date('2030-02-01Z') });
    expect(codeOf(() => a.spend(at('2030-02-02T00:00:00Z'), { points: 1, source: 'o' }))).toBe('INSUFFICIENT_POINTS');
  });

  it('debits a negative adjustment from the lots like a spend, never below zero', () => {
    const a = PointAccount.open(t0, 'u');
    a.adjust(t0, { points: 12, source: 'admin' });
    a.adjust(t0, { points: -2, source: 'admin' });
    expect([a.totalPoints, a.availablePoints]).toEqual([12, 10]);
    expect(codeOf(() => a.adjust(t0, { points: -11, source: 'admin' }))).toBe('INSUFFICIENT_POINTS');
    expect(a.pullChanges().events.map((e) => e.type)).toEqual(['PointAccountCreated', 'PointsAdjusted', 'PointsAdjusted']);
  });
});
