import { data as iso4217 } from 'currency-codes';
import { ValidationError } from '../errors.js';

/** A currency as plain data (dinero.js style): its ISO 4217 code and minor-unit exponent. */
export interface Currency {
  readonly code: string;
  readonly exponent: number;
}

/**
 * The ISO 4217 codes that are no currency a wallet may hold, as ISO's own List One marks them:
 * minor units "N.A." (precious metals XAG XAU XPD XPT, the bond-market units XBA-XBD, the SDR
 * XDR, the Sucre XSU, the ADB unit of account XUA, the testing code XTS, "no currency" XXX);
 * the entries flagged `IsFund` (BOV CHE CHW CLF COU MXV USN UYI); and UYW, Uruguay's
 * wage-indexed unit of account. `currency-codes` keeps neither mark (it reads "N.A." as 0
 * digits), so the list is written here, and a test derives it again from the List One XML that
 * the package ships: a new release of the data that adds such a code fails that test.
 */
export const NOT_CURRENCY_CODES: readonly string[] = Object.freeze([
  ...['XAG', 'XAU', 'XBA', 'XBB', 'XBC', 'XBD', 'XDR', 'XPD', 'XPT', 'XSU', 'XTS', 'XUA', 'XXX'],
  ...['BOV', 'CHE', 'CHW', 'CLF', 'COU', 'MXV', 'USN', 'UYI'],
  'UYW',
]);
const NOT_CURRENCY = new Set(NOT_CURRENCY_CODES);

// Every ISO 4217 code with its exponent: a wallet stored before its code was refused stays readable.
const ISO_4217: ReadonlyMap<string, Currency> = new Map(iso4217.map((c) => [c.code, Object.freeze({ code: c.code, exponent: c.digits })] as const));

/** The form of a currency code: three upper-case letters (ISO 4217 decides which exist). */
export const CURRENCY_CODE_PATTERN = /^[A-Z]{3}$/;
/** The currency of a wallet created without one. */
export const DEFAULT_CURRENCY = 'VND';

/** The currency of an upper-case ISO 4217 code of a real currency; VALIDATION_ERROR for anything else. */
export function currencyOf(code: string): Currency {
  const currency = isCurrencyCode(code) ? ISO_4217.get(code) : undefined;
  if (!currency) throw new ValidationError(`Unknown currency ${JSON.stringify(code)}`, [{ path: 'currency', message: 'not an ISO 4217 currency code' }]);
  return currency;
}

/** True for an upper-case ISO 4217 code of a real currency: not a fund unit, metal, SDR or testing code. */
export function isCurrencyCode(code: string): boolean {
  return CURRENCY_CODE_PATTERN.test(code) && ISO_4217.has(code) && !NOT_CURRENCY.has(code);
}

/**
 * @internal The currency of a code read back from storage: any ISO 4217 code, refused or not, so
 * that a wallet opened before its code was refused (an `XDR` wallet of an older release) can still
 * be read, emptied and closed. Input never goes through here: `currencyOf` decides what opens.
 */
export function storedCurrencyOf(code: string): Currency {
  const currency = ISO_4217.get(code);
  if (!currency) throw new TypeError(`Stored currency ${JSON.stringify(code)} is not an ISO 4217 code`);
  return currency;
}
