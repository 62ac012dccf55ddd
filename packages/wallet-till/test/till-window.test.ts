import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalBooks } from '../src/local-books.js';
import { ManualClocks, WALLET, offlineTill } from './support/offline-till.js';

const MINUTE = 60_000;
// The service's window: spendUntil - createdAt = 10 minutes.
const tenMinutes = { createdAt: '2026-12-07T08:00:00.000Z', spendUntil: '2026-12-07T08:10:00.000Z' };

describe("the selling window, on the till's own clock", () => {
  let template: PGlite;
  beforeAll(async () => {
    template = await PGlite.create();
    await new LocalBooks(template).migrate();
  });
  afterAll(() => template.close());

  it('ends when the window has run on the monotonic clock, whatever the wall clock says', async () => {
    const clocks = new ManualClocks();
    const db = await template.clone();
    const till = await offlineTill(db, { clocks, allowance: tenMinutes });
    clocks.pass(5 * MINUTE);
    await till.spend({ walletId: WALLET, amount: '1000' });
    clocks.wall -= 60 * MINUTE; // someone sets the wall clock back an hour
    clocks.pass(4 * MINUTE);
    expect((await till.spend({ walletId: WALLET, amount: '1000' })).seq).toBe(2);
    clocks.pass(MINUTE);
    expect(till.status({ walletId: WALLET }).selling).toBe(false);
    expect(await till.spend({ walletId: WALLET, amount: '1000' }).catch((e: unknown) => e)).toMatchObject({ code: 'ALLOWANCE_EXPIRED', walletId: WALLET });
    // Business time is still the wall clock, as set: the second sale is dated from it.
    const { rows } = await db.query<{ seq: number; occurred_at: Date }>('SELECT seq, occurred_at FROM spends ORDER BY seq');
    expect(rows.map((r) => r.occurred_at.toISOString())).toEqual(['2026-12-07T08:05:00.000Z', '2026-12-07T07:09:00.000Z']);
    await till.close();
  });

  it('counts the time the till was stopped: a restart never extends the window', async () => {
    const clocks = new ManualClocks();
    const db = await template.clone();
    const first = await offlineTill(db, { clocks, allowance: tenMinutes });
    clocks.pass(3 * MINUTE);
    await first.spend({ walletId: WALLET, amount: '1000' });
    await first.close();

    clocks.wall += 4 * MINUTE; // stopped for four minutes
    clocks.restart();
    const second = await offlineTill(db, { clocks, allowance: tenMinutes });
    clocks.pass(2 * MINUTE);
    expect((await second.spend({ walletId: WALLET, amount: '1000' })).seq).toBe(2); // minute 9
    clocks.pass(MINUTE);
    expect(await second.spend({ walletId: WALLET, amount: '1000' }).catch((e: unknown) => e)).toMatchObject({ code: 'ALLOWANCE_EXPIRED' });
    await second.close();
  });

  it('counts a crash as well: the time since the last sale was written is counted on restart', async () => {
    const clocks = new ManualClocks();
    const db = await template.clone();
    const first = await offlineTill(db, { clocks, allowance: tenMinutes });
    clocks.pass(2 * MINUTE);
    await first.spend({ walletId: WALLET, amount: '1000' });
    clocks.pass(5 * MINUTE); // runs on without writing anything, then dies (no close)
    clocks.wall += 3 * MINUTE;
    clocks.restart();
    const second = await offlineTill(db, { clocks, allowance: tenMinutes });
    expect(await second.spend({ walletId: WALLET, amount: '1000' }).catch((e: unknown) => e)).toMatchObject({ code: 'ALLOWANCE_EXPIRED' });
    await second.close();
  });

  it('ends every window when the wall clock went back while the till was stopped: that time cannot be measured', async () => {
    const clocks = new ManualClocks();
    const db = await template.clone();
    const first = await offlineTill(db, { clocks, allowance: tenMinutes });
    clocks.pass(MINUTE);
    await first.spend({ walletId: WALLET, amount: '1000' });
    await first.close();

    clocks.wall -= 30 * MINUTE;
    clocks.restart();
    const second = await offlineTill(db, { clocks, allowance: tenMinutes });
    expect(second.status({ walletId: WALLET })).toMatchObject({ selling: false, unsentSpends: 1 });
    expect(await second.spend({ walletId: WALLET, amount: '1000' }).catch((e: unknown) => e)).toMatchObject({ code: 'ALLOWANCE_EXPIRED' });
    await second.close();
  });

  it('refuses a sale past the window changing nothing', async () => {
    const clocks = new ManualClocks();
    const db = await template.clone();
    const till = await offlineTill(db, { clocks, allowance: tenMinutes });
    clocks.pass(10 * MINUTE);
    await expect(till.spend({ walletId: WALLET, amount: '1000' })).rejects.toMatchObject({ code: 'ALLOWANCE_EXPIRED' });
    const { rows } = await db.query<{ spent: string; n: number }>(`SELECT spent::text AS spent, (SELECT count(*)::int FROM spends) AS n FROM allowances`);
    expect(rows).toEqual([{ spent: '0', n: 0 }]);
    await till.close();
  });
});
