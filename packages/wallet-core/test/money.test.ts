import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Money, currencyOf, isWalletError } from '../src/index.js';

function rejects(input: unknown, currency: string, max?: string): string {
  try {
    Money.parse(input, currency, max === undefined ? {} : { max });
  } catch (e) {
    if (isWalletError(e)) return e.code;
    throw e;
  }
  return 'accepted';
}

describe('Money.parse', () => {
  it.each([
    ['125000', 'VND', '125000'],
    ['1', 'JPY', '1'],
    ['12.50', 'USD', '12.50'],
    ['12.5', 'USD', '12.50'],
    ['0.01', 'USD', '0.01'],
    ['12', 'EUR', '12.00'],
    ['1.234', 'KWD', '1.234'],
    ['0.1', 'BHD', '0.100'],
    ['999999999999999999999999.99', 'USD', '999999999999999999999999.99'],
  ])('reads %s %s and formats it as %s', (input, currency, formatted) => {
    expect(Money.parse(input, currency).format()).toBe(formatted);
  });

  it.each([
    [125000, 'VND'],
    ['', 'VND'],
    [' 1', 'VND'],
    ['1 ', 'VND'],
    ['+1', 'VND'],
    ['-1', 'VND'],
    ['0x10', 'VND'],
    ['1e3', 'VND'],
    ['1E3', 'VND'],
    ['01', 'VND'],
    ['1.', 'USD'],
    ['.5', 'USD'],
    ['1,5', 'USD'],
    ['NaN', 'USD'],
    ['Infinity', 'USD'],
    ['0', 'VND'],
    ['0.00', 'USD'],
    ['1.5', 'VND'],
    ['1.0', 'JPY'],
    ['12.345', 'USD'],
    ['1.2345', 'KWD'],
    ['١٢', 'VND'],
    [null, 'VND'],
    [{}, 'VND'],
  ])('rejects %j as a %s amount', (input, currency) => {
    expect(rejects(input, currency)).toBe('VALIDATION_ERROR');
  });

  it('rejects values above the configured maximum, accepts the maximum itself', () => {
    expect(rejects('1000001', 'VND', '1000000')).toBe('VALIDATION_ERROR');
    expect(rejects('1000000.01', 'USD', '1000000')).toBe('VALIDATION_ERROR');
    expect(Money.parse('1000000', 'VND', { max: '1000000' }).format()).toBe('1000000');
  });

  it('accepts an amount exactly when it is at most the maximum, whatever digits either has', () => {
    // The exact comparison, as fractions: amount / 10^exponent <= whole.fraction.
    const within = (minor: bigint, exponent: number, whole: bigint, fraction: string) =>
      minor * 10n ** BigInt(fraction.length) <= (whole * 10n ** BigInt(fraction.length) + BigInt(fraction || '0')) * 10n ** BigInt(exponent);
    fc.assert(
      fc.property(
        fc.constantFrom('VND', 'USD', 'KWD'),
        fc.bigInt({ min: 1n, max: 10n ** 9n }),
        fc.bigInt({ min: 1n, max: 10n ** 6n }),
        fc.stringMatching(/^[0-9]{0,5}$/),
        (code, minor, whole, fraction) => {
          const { exponent } = currencyOf(code);
          const digits = minor.toString().padStart(exponent + 1, '0');
          const amount = exponent === 0 ? digits : `${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
          const max = fraction === '' ? whole.toString() : `${whole}.${fraction}`;
          const accepted = rejects(amount, code, max) === 'accepted';
          expect(accepted).toBe(within(minor, exponent, whole, fraction));
          // Asked again, the kept limit answers alike.
          expect(rejects(amount, code, max) === 'accepted').toBe(accepted);
        },
      ),
    );
  });

  it('rejects unknown and non-money currency codes', () => {
    expect(rejects('1', 'ABC')).toBe('VALIDATION_ERROR');
    expect(rejects('1', 'vnd')).toBe('VALIDATION_ERROR');
    expect(rejects('1', 'XAU')).toBe('VALIDATION_ERROR');
    expect(currencyOf('KWD')).toEqual({ code: 'KWD', exponent: 3 });
    expect(currencyOf('VND')).toEqual({ code: 'VND', exponent: 0 });
  });
});

describe('Money arithmetic', () => {
  it('adds 0.1 and 0.2 to exactly 0.3', () => {
    const sum = Money.parse('0.1', 'USD').add(Money.parse('0.2', 'USD'));
    expect(sum.equals(Money.parse('0.3', 'USD'))).toBe(true);
    expect(sum.format()).toBe('0.30');
  });

  it('refuses to mix currencies', () => {
    expect(() => Money.parse('1', 'USD').add(Money.parse('1', 'EUR'))).toThrow(expect.objectContaining({ code: 'CURRENCY_MISMATCH' }));
  });

  it('is immutable', () => {
    const a = Money.parse('5', 'VND');
    a.add(Money.parse('1', 'VND'));
    expect(a.format()).toBe('5');
    expect(Object.isFrozen(a)).toBe(true);
  });

  it('reads stored numeric text with trailing zeros and refuses more digits than the currency has', () => {
    expect(Money.fromStorage('125000.0000', 'VND').format()).toBe('125000');
    expect(Money.fromStorage('12.5000', 'USD').format()).toBe('12.50');
    expect(() => Money.fromStorage('12.505', 'USD')).toThrow(TypeError);
  });

  const cents = fc.bigInt({ min: 1n, max: 10n ** 20n }).map((n) => Money.parse(`${n / 100n}.${(n % 100n).toString().padStart(2, '0')}`, 'USD'));
  const toCents = (m: Money) => BigInt(m.format().replace('.', ''));

  it('adds like integers of minor units (property)', () => {
    fc.assert(fc.property(cents, cents, (a, b) => toCents(a.add(b)) === toCents(a) + toCents(b)));
  });

  it('is commutative and associative, and subtract undoes add (property)', () => {
    fc.assert(
      fc.property(cents, cents, cents, (a, b, c) => {
        expect(a.add(b).equals(b.add(a))).toBe(true);
        expect(
          a
            .add(b)
            .add(c)
            .equals(a.add(b.add(c))),
        ).toBe(true);
        expect(a.add(b).subtract(b).equals(a)).toBe(true);
      }),
    );
  });

  it('formats what it parses, unchanged (property)', () => {
    fc.assert(fc.property(cents, (a) => Money.parse(a.format(), 'USD').equals(a) && Money.parse(a.format(), 'USD').format() === a.format()));
  });
});
