import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite, type PGliteInterface } from '@electric-sql/pglite';
import { isWalletError } from '@goodgo/wallet-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalBooks } from '../src/local-books.js';
import { isTillError, type Till } from '../src/index.js';
import { WALLET, offlineTill, openedAllowance } from './support/offline-till.js';

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isTillError(e) || isWalletError(e)) return e.code;
    throw e;
  }
  throw new Error('expected a refusal');
}

async function spends(db: PGliteInterface): Promise<{ seq: number; amount: string; status: string }[]> {
  return (await db.query<{ seq: number; amount: string; status: string }>('SELECT seq, amount::text AS amount, status FROM spends ORDER BY seq')).rows;
}

describe('selling offline against an allowance', () => {
  let template: PGlite;
  beforeAll(async () => {
    template = await PGlite.create();
    await new LocalBooks(template).migrate();
  });
  afterAll(() => template.close());

  async function newTill(options: Parameters<typeof offlineTill>[1] = {}): Promise<{ till: Till; db: PGliteInterface }> {
    const db = await template.clone();
    return { till: await offlineTill(db, options), db };
  }

  it('sells up to the allowance and not one dong more, each sale durable with the next seq', async () => {
    const { till, db } = await newTill();
    expect(await till.spend({ walletId: WALLET, amount: '200000', reference: 'o-1' })).toEqual({
      seq: 1,
      allowanceId: openedAllowance().id,
      remaining: '300000',
      forwarded: false,
    });
    expect((await till.spend({ walletId: WALLET, amount: '299999' })).remaining).toBe('1');
    expect(await codeOf(till.spend({ walletId: WALLET, amount: '2' }))).toBe('ALLOWANCE_EXCEEDED');
    expect(await till.spend({ walletId: WALLET, amount: '1' })).toMatchObject({ seq: 3, remaining: '0' });
    expect(await codeOf(till.spend({ walletId: WALLET, amount: '1' }))).toBe('ALLOWANCE_EXCEEDED');
    expect(await spends(db)).toEqual([
      { seq: 1, amount: '200000', status: 'unsent' },
      { seq: 2, amount: '299999', status: 'unsent' },
      { seq: 3, amount: '1', status: 'unsent' },
    ]);
    expect(till.status({ walletId: WALLET })).toMatchObject({ remaining: '0', unsentSpends: 3, online: false, selling: true });
    await till.close();
  });

  it('names the figures of a refused sale and changes nothing', async () => {
    const { till, db } = await newTill();
    await till.spend({ walletId: WALLET, amount: '450000' });
    const refused = await till.spend({ walletId: WALLET, amount: '60000' }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'ALLOWANCE_EXCEEDED', cap: 'amount', remaining: '50000', requested: '60000' });
    const { rows } = await db.query<{ spent: string; spend_count: number }>('SELECT spent::text AS spent, spend_count FROM allowances');
    expect(rows).toEqual([{ spent: '450000', spend_count: 1 }]);
    expect(await spends(db)).toHaveLength(1);
    await till.close();
  });

  it('holds the caps on the largest sale and the number of sales', async () => {
    const { till } = await newTill({ allowance: { maxSpendAmount: '100000', maxSpends: 2 } });
    expect(await till.spend({ walletId: WALLET, amount: '100001' }).catch((e: unknown) => e)).toMatchObject({
      code: 'ALLOWANCE_EXCEEDED',
      cap: 'maxSpendAmount',
    });
    await till.spend({ walletId: WALLET, amount: '100000' });
    await till.spend({ walletId: WALLET, amount: '5' });
    expect(await till.spend({ walletId: WALLET, amount: '5' }).catch((e: unknown) => e)).toMatchObject({ code: 'ALLOWANCE_EXCEEDED', cap: 'maxSpends' });
    expect(till.status({ walletId: WALLET }).remaining).toBe('399995');
    await till.close();
  });

  it('keeps the limit in the database itself: a write around the till is refused', async () => {
    const { till, db } = await newTill();
    await till.spend({ walletId: WALLET, amount: '400000' });
    await expect(db.query(`UPDATE allowances SET spent = spent + 100001`)).rejects.toMatchObject({ code: '23514', constraint: 'allowance_within_amount' });
    await expect(db.query(`UPDATE allowances SET last_sale_ms = window_start_ms + window_ms`)).rejects.toMatchObject({ constraint: 'allowance_within_window' });
    await expect(db.query(`INSERT INTO spends (allowance_id, seq, amount, occurred_at) SELECT allowance_id, seq, 1, now() FROM spends`)).rejects.toMatchObject({
      code: '23505',
    });
    await till.close();
  });

  it('gives every one of many concurrent sales its own seq, and refuses exactly those past the amount', async () => {
    const { till, db } = await newTill({ allowance: { amount: '100000' } });
    const outcomes = await Promise.allSettled(Array.from({ length: 25 }, () => till.spend({ walletId: WALLET, amount: '7000' })));
    const sold = outcomes.filter((o) => o.status === 'fulfilled');
    expect(sold).toHaveLength(14);
    for (const o of outcomes) if (o.status === 'rejected') expect((o.reason as { code: string }).code).toBe('ALLOWANCE_EXCEEDED');
    expect((await spends(db)).map((s) => s.seq)).toEqual(Array.from({ length: 14 }, (_, i) => i + 1));
    expect(till.status({ walletId: WALLET }).remaining).toBe('2000');
    await till.close();
  });

  it('refuses a wallet it holds no allowance for, and input the service would refuse', async () => {
    const { till, db } = await newTill();
    expect(await codeOf(till.spend({ walletId: '5d0c8a8e-6d2b-4f43-b5c6-0f8e2a9b7c33', amount: '1000' }))).toBe('NO_ALLOWANCE');
    for (const amount of ['12.5', '-5', '0', ' 5', '1e3', '']) {
      expect(await codeOf(till.spend({ walletId: WALLET, amount }))).toBe('VALIDATION_ERROR');
    }
    expect(await codeOf(till.spend({ walletId: WALLET, amount: '5', reference: 'a\u0000b' }))).toBe('VALIDATION_ERROR');
    expect(await codeOf(till.spend({ walletId: 'not-a-uuid', amount: '5' }))).toBe('VALIDATION_ERROR');
    expect(await spends(db)).toEqual([]);
    await till.close();
  });

  it('takes a wallet id in any case, and amounts with the currency minor units', async () => {
    const { till } = await newTill({ currency: 'USD', allowance: { amount: '50.00' } });
    expect((await till.spend({ walletId: WALLET.toUpperCase(), amount: '12.5' })).remaining).toBe('37.50');
    expect(await codeOf(till.spend({ walletId: WALLET, amount: '0.001' }))).toBe('VALIDATION_ERROR');
    await till.close();
  });

  it('queues points earned offline with a local id each', async () => {
    const { till, db } = await newTill();
    const a = await till.earnPoints({ userId: 'cust-1', points: 12, source: 'order:o-1' });
    const b = await till.earnPoints({ userId: 'cust-1', points: 3, source: 'order:o-2' });
    expect(a.forwarded).toBe(false);
    expect(a.localId).not.toBe(b.localId);
    const { rows } = await db.query<{ local_id: string; points: number; status: string }>('SELECT local_id, points, status FROM earns ORDER BY position');
    expect(rows).toEqual([
      { local_id: a.localId, points: 12, status: 'unsent' },
      { local_id: b.localId, points: 3, status: 'unsent' },
    ]);
    expect(await codeOf(till.earnPoints({ userId: 'cust-1', points: 0, source: 'x' }))).toBe('VALIDATION_ERROR');
    await till.close();
  });

  it('reports a sync with the network down as offline, everything still pending', async () => {
    const { till } = await newTill();
    await till.spend({ walletId: WALLET, amount: '1000' });
    await till.earnPoints({ userId: 'cust-1', points: 1, source: 'order:o-1' });
    expect(await till.sync()).toEqual({ booked: 0, replayed: 0, earned: 0, pending: 2, online: false, problems: [] });
    expect(till.status({ walletId: WALLET }).online).toBe(false);
    await till.close();
  });
});

describe('a till restarted mid-shift', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'till-restart-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('loses no sale and continues the seqs where it stopped', async () => {
    const first = await offlineTill(await PGlite.create(dir));
    await first.spend({ walletId: WALLET, amount: '100000' });
    await first.spend({ walletId: WALLET, amount: '50000' });
    await first.close();
    await (first as unknown as { books: LocalBooks }).books.db.close();

    const db = await PGlite.create(dir);
    const second = await offlineTill(db);
    expect(second.status({ walletId: WALLET })).toMatchObject({ remaining: '350000', unsentSpends: 2 });
    expect(await second.spend({ walletId: WALLET, amount: '350000' })).toMatchObject({ seq: 3, remaining: '0' });
    expect(await spends(db)).toEqual([
      { seq: 1, amount: '100000', status: 'unsent' },
      { seq: 2, amount: '50000', status: 'unsent' },
      { seq: 3, amount: '350000', status: 'unsent' },
    ]);
    await second.close();
    await db.close();
  });
});
