import { data as iso4217 } from 'currency-codes';
import { ValidationError } from '../errors.js';

/** A currency as plain data (dinero.js style): its ISO 4217 code and minor-unit exponent. */
export interface Currency {
  readonly code: string;
  readonly exponent: number;
}

// Entries whose "countries" start with Zz are not money (gold, SDR, test codes, fund units).
const CURRENCIES: ReadonlyMap<string, Currency> = new Map(
  iso4217
    .filter((c) => !c.countries.every((country) => country.startsWith('Zz')))
    .map((c) => [c.code, Object.freeze({ code: c.code, exponent: c.digits })] as const),
);

/** The form of a currency code: three upper-case letters (ISO 4217 decides which exist). */
export const CURRENCY_CODE_PATTERN = /^[A-Z]{3}$/;
/** The currency of a wallet created without one. */
export const DEFAULT_CURRENCY = 'VND';

/** The currency of an upper-case ISO 4217 code; VALIDATION_ERROR for anything else. */
export function currencyOf(code: string): Currency {
  const currency = CURRENCY_CODE_PATTERN.test(code) ? CURRENCIES.get(code) : undefined;
  if (!currency) throw new ValidationError(`Unknown currency ${JSON.stringify(code)}`, [{ path: 'currency', message: 'not an ISO 4217 currency code' }]);
  return currency;
}

export function isCurrencyCode(code: string): boolean {
  return CURRENCY_CODE_PATTERN.test(code) && CURRENCIES.has(code);
}
