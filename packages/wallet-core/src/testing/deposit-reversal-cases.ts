/**
 * The store contract for taking back a mistaken deposit (API.md, "What a till needs next"): a
 * `deposit_reversal` row naming the deposit in `refundOf`, capped by what is left of the deposit
 * and by the available balance. Registered by `describeStoreContract`, so that every store runs them. @internal
 */
import { expect, it } from 'vitest';
import type { WalletService } from '../facade.js';
import type { WalletStore } from '../store.js';
import { allEvents, codeOf, figuresOf, uniqueUser } from './support.js';

export function depositReversalCases(get: () => { store: WalletStore; service: WalletService }, n: number): void {
  async function toppedUp(service: WalletService, amount: string, currency = 'VND') {
    const wallet = await service.createWallet({ userId: uniqueUser(), currency });
    const { transaction: deposit } = await service.deposit({ walletId: wallet.id, amount, reference: 'topup-1' });
    return { wallet, deposit };
  }

  it('takes back a mistaken deposit as a deposit_reversal naming it; partial reversals add up to at most the deposit', async () => {
    const { service, store } = get();
    const { wallet, deposit } = await toppedUp(service, '100000');
    const after = (await allEvents(store)).at(-1)?.position;
    const first = await service.reverseDeposit({ transactionId: deposit.id, amount: '30000', reason: 'cashier typed 100000 for 70000' });
    expect(first.wallet).toMatchObject({ id: wallet.id, balance: '70000', availableBalance: '70000' });
    expect(first.transaction).toMatchObject({
      walletId: wallet.id,
      type: 'deposit_reversal',
      amount: '30000',
      balanceAfter: '70000',
      refundOf: deposit.id,
      description: 'cashier typed 100000 for 70000',
      transferId: null,
      holdId: null,
    });
    expect(await figuresOf(service.reverseDeposit({ transactionId: deposit.id, amount: '70001', reason: 'again' }))).toEqual({
      code: 'REFUND_EXCEEDS_ORIGINAL',
      figures: { remaining: '70000', requested: '70001' },
    });
    // Without an amount: all that is left of the deposit.
    const rest = await service.reverseDeposit({ transactionId: deposit.id, reason: 'the whole top-up was a mistake' });
    expect(rest.transaction).toMatchObject({ type: 'deposit_reversal', amount: '70000', balanceAfter: '0', refundOf: deposit.id });
    expect(await figuresOf(service.reverseDeposit({ transactionId: deposit.id, amount: '1', reason: 'once more' }))).toEqual({
      code: 'REFUND_EXCEEDS_ORIGINAL',
      figures: { remaining: '0', requested: '1' },
    });
    expect(await service.getWallet({ walletId: wallet.id })).toMatchObject({ balance: '0', availableBalance: '0' });
    const history = (await service.listTransactions({ walletId: wallet.id })).items;
    expect(history.map((t) => [t.type, t.amount, t.balanceAfter])).toEqual([
      ['deposit_reversal', '70000', '0'],
      ['deposit_reversal', '30000', '70000'],
      ['deposit', '100000', '100000'],
    ]);
    expect((await service.listTransactions({ walletId: wallet.id, type: 'deposit_reversal' })).items).toHaveLength(2);
    const changed = (await allEvents(store, after)).map((e) => e.row).filter((e) => e.aggregateId === wallet.id);
    expect(changed.map((e) => [e.type, e.payload])).toEqual([
      [
        'BalanceChanged',
        expect.objectContaining({ transactionType: 'deposit_reversal', transactionId: first.transaction.id, amount: '30000', refundOf: deposit.id }),
      ],
      [
        'BalanceChanged',
        expect.objectContaining({ transactionType: 'deposit_reversal', transactionId: rest.transaction.id, amount: '70000', refundOf: deposit.id }),
      ],
    ]);
    const day = 86_400_000;
    const statement = await service.getStatement({ walletId: wallet.id, from: new Date(Date.now() - day), to: new Date(Date.now() + day) });
    expect(statement).toMatchObject({ openingBalance: '0', closingBalance: '0', count: 3 });
    expect(statement.totals).toMatchObject({ deposit: '100000', deposit_reversal: '100000' });
  });

  it('never takes back more than is available: what was spent or is held stays where it went', async () => {
    const { service } = get();
    const { wallet, deposit } = await toppedUp(service, '100000');
    await service.withdraw({ walletId: wallet.id, amount: '60000' });
    await service.placeHold({ walletId: wallet.id, amount: '10000' });
    expect(await figuresOf(service.reverseDeposit({ transactionId: deposit.id, reason: 'mistake' }))).toEqual({
      code: 'INSUFFICIENT_FUNDS',
      figures: { available: '30000', requested: '100000' },
    });
    expect(await figuresOf(service.reverseDeposit({ transactionId: deposit.id, amount: '30001', reason: 'mistake' }))).toEqual({
      code: 'INSUFFICIENT_FUNDS',
      figures: { available: '30000', requested: '30001' },
    });
    expect(await service.getWallet({ walletId: wallet.id })).toMatchObject({ balance: '40000', heldAmount: '10000', availableBalance: '30000' });
    const taken = await service.reverseDeposit({ transactionId: deposit.id, amount: '30000', reason: 'mistake' });
    expect(taken.wallet).toMatchObject({ balance: '10000', heldAmount: '10000', availableBalance: '0' });
    // The rest of the deposit stays reversible once money comes back.
    await service.deposit({ walletId: wallet.id, amount: '5000' });
    expect(await figuresOf(service.reverseDeposit({ transactionId: deposit.id, amount: '70000', reason: 'mistake' }))).toEqual({
      code: 'INSUFFICIENT_FUNDS',
      figures: { available: '5000', requested: '70000' },
    });
    expect((await service.reverseDeposit({ transactionId: deposit.id, amount: '5000', reason: 'mistake' })).wallet).toMatchObject({
      balance: '10000',
      availableBalance: '0',
    });
  });

  it('reverses deposits only, not on a frozen or closed wallet, and a refusal changes nothing', async () => {
    const { service } = get();
    const { wallet, deposit } = await toppedUp(service, '10.00', 'USD');
    const paid = await service.withdraw({ walletId: wallet.id, amount: '1.25' });
    expect(await codeOf(service.reverseDeposit({ transactionId: paid.transaction.id, reason: 'not a deposit' }))).toBe('NOT_REFUNDABLE');
    const reversal = await service.reverseDeposit({ transactionId: deposit.id, amount: '0.75', reason: 'typo' });
    expect(reversal.transaction).toMatchObject({ amount: '0.75', balanceAfter: '8.00' });
    // A reversal is neither reversed nor refunded; a deposit is not refunded.
    expect(await codeOf(service.reverseDeposit({ transactionId: reversal.transaction.id, reason: 'undo' }))).toBe('NOT_REFUNDABLE');
    expect(await codeOf(service.refund({ transactionId: reversal.transaction.id }))).toBe('NOT_REFUNDABLE');
    expect(await codeOf(service.refund({ transactionId: deposit.id }))).toBe('NOT_REFUNDABLE');
    expect(await codeOf(service.reverseDeposit({ transactionId: '00000000-0000-4000-8000-0000000000d1', reason: 'x' }))).toBe('TRANSACTION_NOT_FOUND');
    expect(await codeOf(service.reverseDeposit({ transactionId: deposit.id, reason: 'x' }, { asUser: uniqueUser() }))).toBe('TRANSACTION_NOT_FOUND');
    for (const input of [
      { transactionId: deposit.id, amount: '0', reason: 'x' },
      { transactionId: deposit.id, amount: '0.001', reason: 'x' },
      { transactionId: deposit.id, amount: '-1', reason: 'x' },
      { transactionId: deposit.id, reason: '' },
      { transactionId: deposit.id },
      { transactionId: deposit.id, reason: 'x', reference: 'r' },
    ]) {
      expect(await codeOf(service.reverseDeposit(input as never)), JSON.stringify(input)).toBe('VALIDATION_ERROR');
    }
    await service.freeze({ walletId: wallet.id, reason: 'review' });
    expect(await codeOf(service.reverseDeposit({ transactionId: deposit.id, amount: '1', reason: 'x' }))).toBe('WALLET_FROZEN');
    await service.unfreeze({ walletId: wallet.id });
    await service.withdraw({ walletId: wallet.id, amount: '8.00' });
    await service.close({ walletId: wallet.id });
    expect(await codeOf(service.reverseDeposit({ transactionId: deposit.id, amount: '1', reason: 'x' }))).toBe('WALLET_CLOSED');
    const rows = (await service.listTransactions({ walletId: wallet.id })).items;
    expect(rows.map((t) => t.type)).toEqual(['withdrawal', 'deposit_reversal', 'withdrawal', 'deposit']);
  });

  it('is idempotent like every command: a keyed retry replays, the same key with another body conflicts', async () => {
    const { service } = get();
    const { wallet, deposit } = await toppedUp(service, '50000');
    const key = `reverse-${deposit.id}`;
    const once = await service.reverseDeposit({ transactionId: deposit.id, amount: '20000', reason: 'double top-up' }, { idempotencyKey: key });
    const again = await service.reverseDeposit({ transactionId: deposit.id, amount: '20000', reason: 'double top-up' }, { idempotencyKey: key });
    expect(again).toEqual(once);
    expect(await codeOf(service.reverseDeposit({ transactionId: deposit.id, amount: '20001', reason: 'double top-up' }, { idempotencyKey: key }))).toBe(
      'IDEMPOTENCY_CONFLICT',
    );
    expect(await service.getWallet({ walletId: wallet.id })).toMatchObject({ balance: '30000' });
  });

  it(`lets reversals of one deposit racing ${n} at once take exactly the deposit, never more`, async () => {
    const { service } = get();
    const { wallet, deposit } = await toppedUp(service, '5000');
    await service.deposit({ walletId: wallet.id, amount: '100000' });
    const results = await Promise.allSettled(
      Array.from({ length: n }, () => service.reverseDeposit({ transactionId: deposit.id, amount: '1000', reason: 'race' })),
    );
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'REFUND_EXCEEDS_ORIGINAL' });
    const passed = results.filter((r) => r.status === 'fulfilled').length;
    expect(passed).toBe(Math.min(5, n));
    expect(await service.getWallet({ walletId: wallet.id })).toMatchObject({ balance: String(105000 - 1000 * passed) });
  });
}
