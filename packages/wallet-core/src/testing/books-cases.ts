/**
 * The contract of reading the books, for every store: balances at an instant, statements of a
 * period, history filtered by reference and period, and the admin search of wallets. The cases
 * run a service whose clock they set, so that every ledger row has a known time.
 */
import { expect, it } from 'vitest';
import { WalletService } from '../facade.js';
import type { WalletStore } from '../store.js';
import type { WalletTransactionView } from '../views.js';
import { codeOf, uniqueUser } from './support.js';

const CREDITS = new Set(['deposit', 'transfer_in', 'refund_in']);

/** Minor units of a formatted amount ("12.50" → 1250n), for exact sums in the assertions. */
const units = (amount: string) => BigInt(amount.replace('.', ''));

export function booksCases(get: () => { store: WalletStore }): void {
  /** A service on the suite's store whose clock stands where the case puts it. */
  function clocked(start: string) {
    let now = new Date(start);
    const service = new WalletService({ store: get().store, defaultCurrency: 'VND', clock: () => now });
    return {
      service,
      at: (iso: string) => {
        now = new Date(iso);
      },
    };
  }

  it('answers the balance at an instant from the ledger: zero before the first row, each row counted from its own instant', async () => {
    const { service, at } = clocked('2026-03-01T10:00:00.000Z');
    const userId = uniqueUser();
    const wallet = await service.createWallet({ userId });
    await service.deposit({ walletId: wallet.id, amount: '100000' });
    at('2026-03-01T11:00:00.000Z');
    await service.withdraw({ walletId: wallet.id, amount: '30000' });
    at('2026-03-02T09:00:00.000Z');
    await service.deposit({ walletId: wallet.id, amount: '5000' });

    const balanceAt = async (when: string | Date) => (await service.getBalanceAt({ walletId: wallet.id, at: when })).balance;
    expect(await balanceAt('2026-03-01T09:59:59.999Z')).toBe('0');
    expect(await balanceAt('2026-03-01T10:00:00.000Z')).toBe('100000');
    expect(await balanceAt(new Date('2026-03-01T10:59:59.999Z'))).toBe('100000');
    expect(await balanceAt('2026-03-01T18:00:00+07:00')).toBe('70000');
    expect(await balanceAt('2026-03-02T09:00:00.000Z')).toBe('75000');
    expect(await service.getBalanceAt({ walletId: wallet.id.toUpperCase(), at: '2026-03-01T11:00:00Z' }, { asUser: userId })).toEqual({
      walletId: wallet.id,
      at: '2026-03-01T11:00:00.000Z',
      balance: '70000',
    });

    expect(await codeOf(service.getBalanceAt({ walletId: wallet.id, at: '2026-03-02T09:00:00.001Z' }))).toBe('VALIDATION_ERROR');
    expect(await codeOf(service.getBalanceAt({ walletId: wallet.id, at: 'yesterday' }))).toBe('VALIDATION_ERROR');
    expect(await codeOf(service.getBalanceAt({ walletId: wallet.id, at: '2026-03-01T11:00:00Z' }, { asUser: uniqueUser() }))).toBe('WALLET_NOT_FOUND');
    expect(await codeOf(service.getBalanceAt({ walletId: '00000000-0000-4000-8000-00000000beef', at: '2026-03-01T11:00:00Z' }))).toBe('WALLET_NOT_FOUND');
  });

  it('resolves rows of one instant in ledger order: the balance then is the last of them', async () => {
    const { service } = clocked('2026-03-03T12:00:00.000Z');
    const a = await service.createWallet({ userId: uniqueUser() });
    const b = await service.createWallet({ userId: uniqueUser() });
    await service.deposit({ walletId: a.id, amount: '1000' });
    await service.withdraw({ walletId: a.id, amount: '400' });
    await service.transfer({ fromWalletId: a.id, toWalletId: b.id, amount: '100' });
    await service.deposit({ walletId: a.id, amount: '7' });
    expect((await service.getBalanceAt({ walletId: a.id, at: '2026-03-03T12:00:00.000Z' })).balance).toBe('507');
    expect((await service.getBalanceAt({ walletId: b.id, at: '2026-03-03T12:00:00.000Z' })).balance).toBe('100');
    const statement = await service.getStatement({ walletId: a.id, from: '2026-03-03T12:00:00.000Z', to: '2026-03-03T12:00:00.001Z' });
    expect(statement).toMatchObject({ openingBalance: '0', closingBalance: '507', count: 4 });
  });

  it('books a row whose command waited behind a later one at that later instant: time order and ledger order agree', async () => {
    const first = clocked('2026-09-01T09:00:00.000Z');
    const wallet = await first.service.createWallet({ userId: uniqueUser() });
    // Two commands: the one that took its time later got the wallet first.
    first.at('2026-09-01T10:00:01.000Z');
    await first.service.deposit({ walletId: wallet.id, amount: '500' });
    const waited = clocked('2026-09-01T10:00:00.000Z');
    const late = await waited.service.deposit({ walletId: wallet.id, amount: '70' });
    expect(late.transaction.createdAt).toBe('2026-09-01T10:00:01.000Z');
    expect(late.wallet.updatedAt).toBe('2026-09-01T10:00:01.000Z');
    const [newest] = (await first.service.listTransactions({ walletId: wallet.id, limit: 1 })).items;
    expect(newest).toMatchObject({ id: late.transaction.id, createdAt: '2026-09-01T10:00:01.000Z', balanceAfter: '570' });

    expect((await first.service.getBalanceAt({ walletId: wallet.id, at: '2026-09-01T10:00:00.500Z' })).balance).toBe('0');
    expect((await first.service.getBalanceAt({ walletId: wallet.id, at: '2026-09-01T10:00:01.000Z' })).balance).toBe('570');
    const statement = await first.service.getStatement({ walletId: wallet.id, from: '2026-09-01T10:00:00.500Z', to: '2026-09-01T10:00:02.000Z' });
    expect(statement).toMatchObject({ openingBalance: '0', closingBalance: '570', count: 2, totals: { deposit: '570' } });
    // A later command on its own clock is booked at its own time again.
    first.at('2026-09-01T10:00:05.000Z');
    expect((await first.service.withdraw({ walletId: wallet.id, amount: '1' })).transaction.createdAt).toBe('2026-09-01T10:00:05.000Z');
  });

  it('makes a statement of a period: opening before from, rows in [from, to), closing before to, totals per type in the currency', async () => {
    const { service, at } = clocked('2026-04-01T00:00:00.000Z');
    const userId = uniqueUser();
    const wallet = await service.createWallet({ userId, currency: 'USD' });
    const other = await service.createWallet({ userId: uniqueUser(), currency: 'USD' });
    await service.deposit({ walletId: other.id, amount: '50.00' });
    at('2026-04-15T08:00:00.000Z');
    await service.deposit({ walletId: wallet.id, amount: '100.25' }); // before the period
    at('2026-05-01T00:00:00.000Z'); // exactly at `from`: in the period, not in the opening balance
    await service.deposit({ walletId: wallet.id, amount: '20.00' });
    at('2026-05-03T10:00:00.000Z');
    const paid = await service.withdraw({ walletId: wallet.id, amount: '12.50', reference: 'order-1' });
    at('2026-05-04T10:00:00.000Z');
    await service.transfer({ fromWalletId: wallet.id, toWalletId: other.id, amount: '7.05' });
    await service.transfer({ fromWalletId: other.id, toWalletId: wallet.id, amount: '3.10' });
    at('2026-05-05T10:00:00.000Z');
    await service.refund({ transactionId: paid.transaction.id, amount: '2.50' });
    at('2026-06-01T00:00:00.000Z'); // exactly at `to`: after the period
    await service.deposit({ walletId: wallet.id, amount: '1000.00' });

    const statement = await service.getStatement(
      { walletId: wallet.id, from: new Date('2026-05-01T00:00:00.000Z'), to: '2026-06-01T07:00:00+07:00' },
      { asUser: userId },
    );
    expect(statement).toEqual({
      walletId: wallet.id,
      currency: 'USD',
      from: '2026-05-01T00:00:00.000Z',
      to: '2026-06-01T00:00:00.000Z',
      openingBalance: '100.25',
      closingBalance: '106.30',
      totals: {
        deposit: '20.00',
        withdrawal: '12.50',
        transfer_in: '3.10',
        transfer_out: '7.05',
        refund_in: '2.50',
        refund_out: '0.00',
        deposit_reversal: '0.00',
      },
      count: 5,
    });
    const signed = Object.entries(statement.totals).reduce((sum, [type, amount]) => sum + (CREDITS.has(type) ? units(amount) : -units(amount)), 0n);
    expect(units(statement.openingBalance) + signed).toBe(units(statement.closingBalance));
    expect((await service.getBalanceAt({ walletId: wallet.id, at: '2026-05-31T23:59:59.999Z' })).balance).toBe(statement.closingBalance);

    const empty = await service.getStatement({ walletId: wallet.id, from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' });
    expect(empty).toMatchObject({ openingBalance: '0.00', closingBalance: '0.00', count: 0, totals: { deposit: '0.00' } });
    const running = await service.getStatement({ walletId: wallet.id, from: '2026-05-20T00:00:00Z', to: '2027-01-01T00:00:00Z' });
    expect(running).toMatchObject({ openingBalance: '106.30', closingBalance: '1106.30', count: 1 });
  });

  it('refuses a statement whose period is empty, reversed or longer than 366 days, and hides wallets of others', async () => {
    const { service } = clocked('2026-04-01T00:00:00.000Z');
    const userId = uniqueUser();
    const wallet = await service.createWallet({ userId });
    const statement = (from: string, to: string, asUser?: string) => codeOf(service.getStatement({ walletId: wallet.id, from, to }, { asUser }));
    expect(await statement('2026-05-01T00:00:00Z', '2026-05-01T00:00:00Z')).toBe('VALIDATION_ERROR');
    expect(await statement('2026-05-02T00:00:00Z', '2026-05-01T00:00:00Z')).toBe('VALIDATION_ERROR');
    expect(await statement('2025-01-01T00:00:00Z', '2026-01-02T00:00:01Z')).toBe('VALIDATION_ERROR');
    expect(await statement('2026-05-01', '2026-06-01')).toBe('VALIDATION_ERROR');
    expect(await statement('2026-05-01T00:00:00Z', '2026-06-01T00:00:00Z', uniqueUser())).toBe('WALLET_NOT_FOUND');
    const year = await service.getStatement({ walletId: wallet.id, from: '2024-01-01T00:00:00Z', to: '2025-01-01T00:00:00Z' });
    expect(year.count).toBe(0);
    expect(await codeOf(service.getStatement({ walletId: wallet.id, from: '2026-05-01T00:00:00Z' } as never))).toBe('VALIDATION_ERROR');
  });

  it('filters history by reference and by period, with type, page by page without a gap or a repeat', async () => {
    const { service, at } = clocked('2026-07-01T00:00:00.000Z');
    const userId = uniqueUser();
    const wallet = await service.createWallet({ userId });
    const rows: { id: string; createdAt: string; type: string; reference: string | null }[] = [];
    for (let day = 1; day <= 9; day++) {
      at(`2026-07-0${day}T12:00:00.000Z`);
      const d = await service.deposit({ walletId: wallet.id, amount: '1000', reference: `top-up-${day % 3}` });
      rows.push({ id: d.transaction.id, createdAt: d.transaction.createdAt, type: 'deposit', reference: `top-up-${day % 3}` });
      // Two rows of one instant: ledger order decides between them, in every kind of page.
      const w = await service.withdraw({ walletId: wallet.id, amount: '10', reference: `order-${day}` });
      rows.push({ id: w.transaction.id, createdAt: w.transaction.createdAt, type: 'withdrawal', reference: `order-${day}` });
    }
    const newestFirst = [...rows].reverse();

    async function all(filter: { type?: 'deposit' | 'withdrawal'; reference?: string; from?: string | Date; to?: string | Date }, limit: number) {
      const seen: WalletTransactionView[] = [];
      let cursor: string | null = null;
      do {
        const page = await service.listTransactions({ walletId: wallet.id, limit, cursor, ...filter }, { asUser: userId });
        expect(page.items.length).toBeLessThanOrEqual(limit);
        seen.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor !== null);
      return seen.map((t) => t.id);
    }

    expect(await all({ reference: 'order-4' }, 50)).toEqual([rows[7]?.id]);
    expect(await all({ reference: 'top-up-1' }, 1)).toEqual(newestFirst.filter((r) => r.reference === 'top-up-1').map((r) => r.id));
    expect(await all({ reference: 'top-up-1', type: 'withdrawal' }, 50)).toEqual([]);
    expect(await all({ reference: 'nobody' }, 50)).toEqual([]);

    const inPeriod = (r: { createdAt: string }) => r.createdAt >= '2026-07-03T12:00:00.000Z' && r.createdAt < '2026-07-07T12:00:00.000Z';
    const period = { from: '2026-07-03T12:00:00.000Z', to: new Date('2026-07-07T12:00:00.000Z') };
    expect(await all(period, 3)).toEqual(newestFirst.filter(inPeriod).map((r) => r.id));
    expect(await all({ ...period, type: 'withdrawal' }, 2)).toEqual(newestFirst.filter((r) => inPeriod(r) && r.type === 'withdrawal').map((r) => r.id));
    expect(await all({ ...period, reference: 'top-up-0' }, 1)).toEqual(newestFirst.filter((r) => inPeriod(r) && r.reference === 'top-up-0').map((r) => r.id));
    expect(await all({ from: '2026-07-08T00:00:00Z' }, 2)).toEqual(newestFirst.filter((r) => r.createdAt >= '2026-07-08').map((r) => r.id));
    expect(await all({ to: '2026-07-02T12:00:00.000Z' }, 1)).toEqual(newestFirst.filter((r) => r.createdAt < '2026-07-02T12').map((r) => r.id));

    expect(await codeOf(service.listTransactions({ walletId: wallet.id, from: '2026-07-05T00:00:00Z', to: '2026-07-05T00:00:00Z' }))).toBe('VALIDATION_ERROR');
    expect(await codeOf(service.listTransactions({ walletId: wallet.id, from: 'soon' }))).toBe('VALIDATION_ERROR');
    expect(await codeOf(service.listTransactions({ walletId: wallet.id, reference: 'a\u0000b' }))).toBe('VALIDATION_ERROR');
  });

  it('searches wallets for an admin by user, status and currency, newest first, by keyset', async () => {
    const { service, at } = clocked('2026-08-01T00:00:00.000Z');
    const userId = uniqueUser('search');
    const made: { id: string; createdAt: string }[] = [];
    for (const [i, currency] of ['VND', 'USD', 'EUR', 'JPY', 'KWD'].entries()) {
      // The last two at one instant: the id decides between them.
      at(`2026-08-0${Math.min(i, 3) + 1}T00:00:00.000Z`);
      const w = await service.createWallet({ userId, currency });
      made.push({ id: w.id, createdAt: w.createdAt });
    }
    const newestFirst = [...made].sort((a, b) => (a.createdAt === b.createdAt ? (a.id < b.id ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1)).map((w) => w.id);
    const ids = made.map((w) => w.id);
    await service.freeze({ walletId: ids[1] as string });

    const walk = async (filter: { userId?: string; status?: 'active' | 'frozen' | 'closed'; currency?: string }, limit: number) => {
      const ids: string[] = [];
      let cursor: string | null | undefined;
      for (let pages = 0; pages < 50; pages++) {
        const page = await service.searchWallets({ ...filter, limit, cursor });
        ids.push(...page.items.map((w) => w.id));
        cursor = page.nextCursor;
        if (cursor === null) break;
      }
      return ids;
    };
    expect(await walk({ userId }, 1)).toEqual(newestFirst);
    expect(await walk({ userId }, 2)).toEqual(newestFirst);
    expect(await walk({ userId, status: 'frozen' }, 10)).toEqual([ids[1]]);
    expect(await walk({ userId, status: 'active', currency: 'EUR' }, 10)).toEqual([ids[2]]);
    expect(await walk({ userId, currency: 'GBP' }, 10)).toEqual([]);

    const frozen = await service.searchWallets({ status: 'frozen', limit: 200 });
    expect(frozen.items.map((w) => w.id)).toContain(ids[1]);
    expect(frozen.items.every((w) => w.status === 'frozen')).toBe(true);
    const kwd = await service.searchWallets({ currency: 'KWD', limit: 200 });
    expect(kwd.items.map((w) => w.id)).toContain(ids[4]);
    expect(kwd.items.every((w) => w.currency === 'KWD')).toBe(true);
    const first = await service.searchWallets({ limit: 3 });
    const times = first.items.map((w) => w.createdAt);
    expect(times).toEqual([...times].sort().reverse());

    expect(await codeOf(service.searchWallets({ cursor: 'not-a-cursor' }))).toBe('VALIDATION_ERROR');
    // A history cursor names a ledger position, not a wallet.
    expect(await codeOf(service.searchWallets({ cursor: Buffer.from('p:1').toString('base64url') }))).toBe('VALIDATION_ERROR');
    expect(await codeOf(service.searchWallets({ status: 'gone' as never }))).toBe('VALIDATION_ERROR');
    expect(await codeOf(service.searchWallets({ currency: 'usd' }))).toBe('VALIDATION_ERROR');
    expect(await codeOf(service.searchWallets({ limit: 201 }))).toBe('VALIDATION_ERROR');
  });

  it('holds every date from year 1 to 9999 (UTC) and refuses one outside, after its offset, as VALIDATION_ERROR', async () => {
    const { service, at } = clocked('2026-09-01T00:00:00.000Z');
    const userId = uniqueUser('dates');
    const wallet = await service.createWallet({ userId });
    await service.deposit({ walletId: wallet.id, amount: '1000' });
    at('2026-09-02T00:00:00.000Z');
    const first = '0001-01-01T00:00:00.000Z';
    const last = '9999-12-31T23:59:59.999Z';
    // The edges themselves reach the store and come back.
    expect((await service.getBalanceAt({ walletId: wallet.id, at: first })).balance).toBe('0');
    expect((await service.getBalanceAt({ walletId: wallet.id, at: '0001-01-01T07:00:00+07:00' })).at).toBe(first);
    const edges = await service.getStatement({ walletId: wallet.id, from: '9999-01-01T00:00:00Z', to: '9999-12-31T23:59:59.999Z' });
    expect([edges.openingBalance, edges.closingBalance, edges.count]).toEqual(['1000', '1000', 0]);
    expect((await service.listTransactions({ walletId: wallet.id, from: first, to: last })).items.map((t) => t.amount)).toEqual(['1000']);
    const earned = await service.earnPoints({ userId, points: 5, source: 'far', expiresAt: last });
    expect(earned.transaction.expiresAt).toBe(last);
    expect((await service.expirePoints({ asOf: first })).expiredPoints).toBe(0);

    const outside = [
      '0000-01-01T00:00:00Z',
      '0000-12-31T23:59:59.999Z',
      '0001-01-01T06:59:59+07:00',
      '9999-12-31T23:59:59-10:00',
      '9999-12-31T23:59:59.999-00:01',
    ];
    for (const when of outside) {
      const refused = [
        () => service.getBalanceAt({ walletId: wallet.id, at: when }),
        () => service.getStatement({ walletId: wallet.id, from: when, to: '2026-09-01T12:00:00Z' }),
        () => service.getStatement({ walletId: wallet.id, from: '2026-09-01T00:00:00Z', to: when }),
        () => service.listTransactions({ walletId: wallet.id, from: when }),
        () => service.listTransactions({ walletId: wallet.id, to: when }),
        () => service.earnPoints({ userId, points: 1, source: 'edge', expiresAt: when }),
        () => service.expirePoints({ asOf: when }),
        () => service.placeHold({ walletId: wallet.id, amount: '1', expiresAt: when }),
        () => service.openAllowance({ walletId: wallet.id, tillId: 'till-edge', amount: '1', spendUntil: when }),
      ];
      for (const [i, call] of refused.entries()) expect([when, i, await codeOf(call())]).toEqual([when, i, 'VALIDATION_ERROR']);
      // The same instants as Dates: a Date of year 0 is as unstorable as its text.
      expect(await codeOf(service.getBalanceAt({ walletId: wallet.id, at: new Date(when) }))).toBe('VALIDATION_ERROR');
    }
    expect((await service.getWallet({ walletId: wallet.id })).balance).toBe('1000');
    expect((await service.getPointAccount({ userId })).totalPoints).toBe(5);
  });

  it('resumes every listing only after a row of that listing: a cursor naming none is VALIDATION_ERROR, with or without filters', async () => {
    const { service, at } = clocked('2026-10-01T00:00:00.000Z');
    const userId = uniqueUser('cursors');
    const wallet = await service.createWallet({ userId });
    const other = await service.createWallet({ userId: uniqueUser('cursors-other') });
    for (const w of [wallet, other]) {
      for (const amount of ['100', '200', '300']) {
        at(`2026-10-0${amount[0]}T00:00:00.000Z`);
        await service.deposit({ walletId: w.id, amount });
      }
      await service.placeHold({ walletId: w.id, amount: '1' });
      await service.placeHold({ walletId: w.id, amount: '2' });
      await service.openAllowance({ walletId: w.id, tillId: 'till-1', amount: '1' });
      await service.openAllowance({ walletId: w.id, tillId: 'till-2', amount: '1' });
    }
    await service.earnPoints({ userId, points: 1, source: 'a' });
    await service.earnPoints({ userId, points: 2, source: 'b' });
    const otherUser = uniqueUser('cursors-points');
    await service.earnPoints({ userId: otherUser, points: 1, source: 'a' });
    await service.earnPoints({ userId: otherUser, points: 2, source: 'b' });

    // Cursors of the other wallet's (or account's) listings: real positions, of another listing.
    const foreign = {
      history: (await service.listTransactions({ walletId: other.id, limit: 1 })).nextCursor as string,
      holds: (await service.listHolds({ walletId: other.id, limit: 1 })).nextCursor as string,
      allowances: (await service.listAllowances({ walletId: other.id, limit: 1 })).nextCursor as string,
      points: (await service.listPointTransactions({ userId: otherUser, limit: 1 })).nextCursor as string,
    };
    for (const c of Object.values(foreign)) expect(c).toEqual(expect.any(String));
    // A well-formed cursor of a position no row has.
    const nowhere = Buffer.from('p:9223372036854775000').toString('base64url');
    const noWallet = Buffer.from('w:00000000-0000-4000-8000-00000000dead').toString('base64url');
    const period = { from: '2026-09-01T00:00:00Z', to: '2026-11-01T00:00:00Z' };

    const refused: [string, () => Promise<unknown>][] = [];
    for (const [name, cursor] of [
      ['no row', nowhere],
      ['another listing', foreign.history],
    ] as const) {
      refused.push([`history, ${name}`, () => service.listTransactions({ walletId: wallet.id, cursor })]);
      refused.push([`history with a period, ${name}`, () => service.listTransactions({ walletId: wallet.id, cursor, ...period })]);
      refused.push([`history with a type, ${name}`, () => service.listTransactions({ walletId: wallet.id, cursor, type: 'deposit' })]);
      refused.push([`history with a reference, ${name}`, () => service.listTransactions({ walletId: wallet.id, cursor, reference: 'r' })]);
    }
    refused.push(['holds, no row', () => service.listHolds({ walletId: wallet.id, cursor: nowhere })]);
    refused.push(['holds, another listing', () => service.listHolds({ walletId: wallet.id, cursor: foreign.holds })]);
    refused.push(['active holds, another listing', () => service.listHolds({ walletId: wallet.id, cursor: foreign.holds, status: 'active' })]);
    refused.push(['allowances, no row', () => service.listAllowances({ walletId: wallet.id, cursor: nowhere })]);
    refused.push(['allowances, another listing', () => service.listAllowances({ walletId: wallet.id, cursor: foreign.allowances })]);
    refused.push(['points, no row', () => service.listPointTransactions({ userId, cursor: nowhere })]);
    refused.push(['points, another listing', () => service.listPointTransactions({ userId, cursor: foreign.points })]);
    refused.push(['points of a type, another listing', () => service.listPointTransactions({ userId, cursor: foreign.points, type: 'earn' })]);
    refused.push(['search, no wallet', () => service.searchWallets({ cursor: noWallet })]);
    refused.push(['search by user, no wallet', () => service.searchWallets({ userId, cursor: noWallet })]);
    // A real wallet's id in capitals: PostgreSQL would find the row, but ids are issued in lowercase.
    const capitals = Buffer.from(`w:${wallet.id.toUpperCase()}`).toString('base64url');
    refused.push(['search by user, a wallet named in capitals', () => service.searchWallets({ userId, cursor: capitals })]);
    for (const [name, call] of refused) expect([name, await codeOf(call())]).toEqual([name, 'VALIDATION_ERROR']);

    // The cursors each listing hands out still resume it, filters and all.
    const page = await service.listTransactions({ walletId: wallet.id, limit: 1, ...period });
    expect((await service.listTransactions({ walletId: wallet.id, limit: 5, cursor: page.nextCursor, ...period })).items.map((t) => t.amount)).toEqual([
      '200',
      '100',
    ]);
    const holds = await service.listHolds({ walletId: wallet.id, limit: 1 });
    expect((await service.listHolds({ walletId: wallet.id, cursor: holds.nextCursor })).items.map((h) => h.amount)).toEqual(['1']);
    const allowances = await service.listAllowances({ walletId: wallet.id, limit: 1 });
    expect((await service.listAllowances({ walletId: wallet.id, cursor: allowances.nextCursor })).items.map((a) => a.tillId)).toEqual(['till-1']);
    const points = await service.listPointTransactions({ userId, limit: 1 });
    expect((await service.listPointTransactions({ userId, cursor: points.nextCursor })).items.map((t) => t.points)).toEqual([1]);
    const search = await service.searchWallets({ userId, limit: 1 });
    expect(search.nextCursor).toBeNull();
    // The user's only wallet as the cursor: a wallet of the search, with nothing after it.
    const mine = Buffer.from(`w:${wallet.id}`).toString('base64url');
    expect((await service.searchWallets({ userId, cursor: mine })).items).toEqual([]);
  });

  it('refuses a feed resumed beyond its newest event; at the newest it answers an empty page', async () => {
    const { service } = clocked('2026-10-10T00:00:00.000Z');
    await service.createWallet({ userId: uniqueUser('feed') });
    let after: string | null = null;
    for (;;) {
      const page: { items: unknown[]; nextAfter: string | null } = await service.listEvents({ after, limit: 200 });
      after = page.nextAfter;
      if (page.items.length === 0) break;
    }
    const newest = after as string;
    expect(BigInt(newest)).toBeGreaterThan(0n);
    expect(await service.listEvents({ after: newest })).toEqual({ items: [], nextAfter: newest });
    for (const beyond of [(BigInt(newest) + 1n).toString(), (BigInt(newest) + 1000n).toString(), '9223372036854775807']) {
      expect([beyond, await codeOf(service.listEvents({ after: beyond }))]).toEqual([beyond, 'VALIDATION_ERROR']);
    }
    expect((await service.listEvents({ after: '0', limit: 1 })).items).toHaveLength(1);
  });
}
