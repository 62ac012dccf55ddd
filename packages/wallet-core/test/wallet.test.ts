import { describe, expect, it } from 'vitest';
import { Money, Wallet, currencyOf, type ChangeContext } from '../src/index.js';

let seq = 0;
const ctx: ChangeContext = { now: new Date('2030-01-01T00:00:00Z'), newId: () => `id-${++seq}` };
const vnd = currencyOf('VND');
const m = (s: string, c = 'VND') => Money.parse(s, c);
const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return (e as { code: string }).code;
  }
  return 'none';
};

function opened(balance = '0'): Wallet {
  const w = Wallet.open(ctx, { userId: 'u', currency: vnd });
  if (balance !== '0') w.deposit(ctx, m(balance));
  w.pullChanges();
  return w;
}

describe('Wallet', () => {
  it('opens active and empty, recording WalletCreated', () => {
    const w = Wallet.open(ctx, { userId: 'u', currency: vnd });
    expect(w.status).toBe('active');
    expect(w.balance.format()).toBe('0');
    expect(w.isNew).toBe(true);
    expect(w.pullChanges().events.map((e) => e.type)).toEqual(['WalletCreated']);
  });

  it('records a ledger row with balanceAfter and a BalanceChanged event for every movement', () => {
    const w = opened();
    const dep = w.deposit(ctx, m('300'), { reference: 'r' });
    const wd = w.withdraw(ctx, m('120'));
    expect([dep.balanceAfter.format(), wd.balanceAfter.format(), w.balance.format()]).toEqual(['300', '180', '180']);
    const changes = w.pullChanges();
    expect(changes.transactions.map((t) => t.type)).toEqual(['deposit', 'withdrawal']);
    expect(changes.events.map((e) => [e.type, (e.payload as { amount: string }).amount])).toEqual([
      ['BalanceChanged', '300'],
      ['BalanceChanged', '120'],
    ]);
    expect(w.pullChanges().transactions).toEqual([]);
  });

  it('rejects a withdrawal that would overdraw, leaving the wallet unchanged', () => {
    const w = opened('100');
    expect(codeOf(() => w.withdraw(ctx, m('101')))).toBe('INSUFFICIENT_FUNDS');
    expect(w.balance.format()).toBe('100');
    expect(w.pullChanges().transactions).toEqual([]);
  });

  it('rejects a movement in another currency', () => {
    expect(codeOf(() => opened().deposit(ctx, m('1', 'USD')))).toBe('CURRENCY_MISMATCH');
  });

  it('accepts no money in or out while frozen, and nothing once closed', () => {
    const w = opened('5');
    w.freeze(ctx, 'audit');
    expect(codeOf(() => w.deposit(ctx, m('1')))).toBe('WALLET_FROZEN');
    expect(codeOf(() => w.withdraw(ctx, m('1')))).toBe('WALLET_FROZEN');
    w.unfreeze(ctx);
    expect(codeOf(() => w.close(ctx))).toBe('WALLET_NOT_EMPTY');
    w.withdraw(ctx, m('5'));
    w.close(ctx);
    expect(w.closedAt).toEqual(ctx.now);
    expect(codeOf(() => w.deposit(ctx, m('1')))).toBe('WALLET_CLOSED');
    expect(codeOf(() => w.unfreeze(ctx))).toBe('WALLET_CLOSED');
    expect(w.pullChanges().events.map((e) => e.type)).toEqual(['WalletFrozen', 'WalletUnfrozen', 'BalanceChanged', 'WalletClosed']);
  });

  it('bumps the version on every change and not on a no-op freeze', () => {
    const w = opened();
    const v = w.version;
    w.freeze(ctx);
    w.freeze(ctx);
    expect(w.version).toBe(v + 1);
  });
});

describe('transfer', () => {
  it('moves money with two ledger rows sharing one transfer id', () => {
    const a = opened('1000');
    const b = opened();
    const r = a.transferTo(ctx, b, m('400'), { description: 'rent' });
    expect([a.balance.format(), b.balance.format()]).toEqual(['600', '400']);
    expect(r.debit.transferId).toBe(r.transferId);
    expect(r.credit).toMatchObject({ type: 'transfer_in', transferId: r.transferId, description: 'rent' });
  });

  it('checks both sides before changing either', () => {
    const a = opened('1000');
    const b = opened();
    b.freeze(ctx);
    b.pullChanges();
    expect(codeOf(() => a.transferTo(ctx, b, m('1')))).toBe('WALLET_FROZEN');
    expect(a.balance.format()).toBe('1000');
    expect(a.pullChanges().transactions).toEqual([]);
    expect(codeOf(() => a.transferTo(ctx, a, m('1')))).toBe('SAME_WALLET');
    const usd = Wallet.open(ctx, { userId: 'u', currency: currencyOf('USD') });
    expect(codeOf(() => a.transferTo(ctx, usd, m('1')))).toBe('CURRENCY_MISMATCH');
  });

  it("checks the source (its status, then its available balance) before the target's status", () => {
    const target = opened();
    target.freeze(ctx);
    target.pullChanges();
    const frozenSource = opened();
    frozenSource.freeze(ctx);
    frozenSource.pullChanges();
    // An empty source sending to a frozen target: the source's balance is checked first.
    expect(codeOf(() => opened().transferTo(ctx, target, m('1')))).toBe('INSUFFICIENT_FUNDS');
    expect(codeOf(() => frozenSource.transferTo(ctx, target, m('1')))).toBe('WALLET_FROZEN');
    const closedTarget = opened();
    closedTarget.close(ctx);
    expect(codeOf(() => opened().transferTo(ctx, closedTarget, m('1')))).toBe('INSUFFICIENT_FUNDS');
    expect(codeOf(() => opened('5').transferTo(ctx, closedTarget, m('1')))).toBe('WALLET_CLOSED');
  });
});
