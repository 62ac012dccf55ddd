import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryWalletStore, Money, NOT_CURRENCY_CODES, WalletService, currencyOf, isCurrencyCode, storedCurrencyOf } from '../src/index.js';

/**
 * Which ISO 4217 codes are a currency a wallet may hold. The answer comes from ISO's List One as
 * shipped by `currency-codes` (the data the code uses for exponents): an entry without minor
 * units ("N.A.") or flagged `IsFund` is no currency, and neither is UYW (a unit of account).
 */
const listOne = readFileSync(join(dirname(createRequire(import.meta.url).resolve('currency-codes/package.json')), 'iso-4217-list-one.xml'), 'utf8');
const entries = [...listOne.matchAll(/<CcyNtry>([\s\S]*?)<\/CcyNtry>/g)].flatMap(([, entry]) => {
  const code = /<Ccy>([A-Z]{3})<\/Ccy>/.exec(entry as string)?.[1];
  return code === undefined
    ? []
    : [{ code, fund: /IsFund="true"/.test(entry as string), noMinorUnits: /<CcyMnrUnts>N\.A\.<\/CcyMnrUnts>/.test(entry as string) }];
});

describe('currencies from ISO 4217', () => {
  it('refuses exactly the List One entries without minor units or flagged as a fund, and UYW', () => {
    const marked = new Set(entries.filter((e) => e.fund || e.noMinorUnits).map((e) => e.code));
    expect(marked.size).toBeGreaterThan(15);
    expect([...NOT_CURRENCY_CODES].sort()).toEqual([...marked, 'UYW'].sort());
    for (const code of NOT_CURRENCY_CODES) expect(isCurrencyCode(code), code).toBe(false);
    const money = new Set(entries.map((e) => e.code).filter((c) => !marked.has(c) && c !== 'UYW'));
    for (const code of money) expect(isCurrencyCode(code), code).toBe(true);
  });

  it.each(['XDR', 'XSU', 'XUA', 'BOV', 'CHE', 'CHW', 'CLF', 'COU', 'MXV', 'USN', 'UYI', 'UYW', 'XAU', 'XAG', 'XPD', 'XPT', 'XTS', 'XXX', 'XBA'])(
    'opens no wallet in %s and parses no amount of it',
    async (code) => {
      const service = new WalletService({ store: new MemoryWalletStore() });
      await expect(service.createWallet({ userId: 'u', currency: code })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
      expect(() => currencyOf(code)).toThrow(expect.objectContaining({ code: 'VALIDATION_ERROR' }));
      expect(() => Money.parse('1', code)).toThrow(expect.objectContaining({ code: 'VALIDATION_ERROR' }));
      expect(await service.listWallets({ userId: 'u' })).toEqual([]);
    },
  );

  it('opens wallets in real currencies, the CFA francs and the East Caribbean dollar among them', async () => {
    const service = new WalletService({ store: new MemoryWalletStore() });
    for (const code of ['VND', 'USD', 'KWD', 'XOF', 'XAF', 'XCD', 'XPF', 'CHF', 'CLP', 'UYU']) {
      expect((await service.createWallet({ userId: 'u', currency: code })).currency).toBe(code);
    }
  });

  it('still reads an amount stored in a code refused since (a wallet opened by an older release)', () => {
    expect(storedCurrencyOf('XDR')).toEqual({ code: 'XDR', exponent: 0 });
    expect(Money.fromStorage('12.0000', 'CLF').format()).toBe('12.0000');
    expect(() => storedCurrencyOf('ABC')).toThrow(TypeError);
  });
});
