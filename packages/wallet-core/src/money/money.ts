import { CurrencyMismatchError, ValidationError } from '../errors.js';
import { currencyOf, storedCurrencyOf, type Currency } from './currency.js';

/** The strict wire form: digits, optionally a point and digits; no sign, exponent or spaces. */
export const AMOUNT_PATTERN = /^(0|[1-9][0-9]*)(\.[0-9]+)?$/;
/** An amount with no fraction: what `AMOUNT_PATTERN`'s whole part alone takes. */
const WHOLE_PATTERN = /^(0|[1-9][0-9]*)$/;
/** What a maximum amount may be: the wire form, above zero, with a whole part of at least 1. */
export const MAX_AMOUNT_PATTERN = /^[1-9][0-9]*(\.[0-9]+)?$/;
/** The largest amount one command may move, in major units, unless configured otherwise. */
export const DEFAULT_MAX_AMOUNT = '1000000000000';
/** What PostgreSQL's numeric prints: the strict form, possibly signed (never for a balance). */
const STORED = /^-?[0-9]+(\.[0-9]+)?$/;

export interface ParseOptions {
  /** The largest amount accepted, in major units (a decimal string or Money). */
  max?: string | Money;
  /** Field name used in validation issues. Default `amount`. */
  field?: string;
}

/** A decimal string's digits as an integer count of `10^-scale`: `"12.5"` at scale 2 is 1250n. */
function scaled(whole: string, fraction: string, scale: number): bigint {
  return BigInt(whole + fraction.padEnd(scale, '0'));
}

/** `units` of `10^-scale`, written with exactly `scale` fraction digits: 1250n at 2 is `"12.50"`. */
function written(units: bigint, scale: number): string {
  const sign = units < 0n ? '-' : '';
  const digits = (units < 0n ? -units : units).toString().padStart(scale + 1, '0');
  return scale === 0 ? sign + digits : `${sign}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

/** Splits a decimal string into its whole part and its fraction without trailing zeros. */
function parts(decimal: string): { sign: string; whole: string; fraction: string } {
  const negative = decimal.startsWith('-');
  const [whole = '0', fraction = ''] = (negative ? decimal.slice(1) : decimal).split('.');
  return { sign: negative ? '-' : '', whole, fraction: fraction.replace(/0+$/, '') };
}

const ZEROS = new WeakMap<Currency, Money>();
/** Per currency, per maximum as written: the most minor units an amount may have. */
const LIMITS = new WeakMap<Currency, Map<string, bigint>>();

/**
 * The largest count of `currency`'s minor units at or below `max` (a decimal string). Compared at
 * the finer of the two scales, since a maximum may carry more digits than the currency: an amount
 * of `minor` units is within it when `minor * 10^(scale - exponent) <= max at scale`, that is when
 * `minor <= floor(max at scale / 10^(scale - exponent))`. Kept, as every command parses against
 * the one configured maximum.
 */
function limitOf(max: string, currency: Currency): bigint {
  let limits = LIMITS.get(currency);
  if (limits === undefined) LIMITS.set(currency, (limits = new Map()));
  let limit = limits.get(max);
  if (limit === undefined) {
    const { whole, fraction } = parts(max);
    const scale = Math.max(currency.exponent, fraction.length);
    limit = scaled(whole, fraction, scale) / 10n ** BigInt(scale - currency.exponent);
    // A few maximums are configured; a caller passing a new one every time must not grow this.
    if (limits.size < 16) limits.set(max, limit);
  }
  return limit;
}

/**
 * An immutable amount of one currency, held as a bigint count of its minor units (dong, cents):
 * exact, and cheap to add and compare. Arithmetic only between equal currencies; every operation
 * returns a new value; no `number` ever enters or leaves.
 */
export class Money {
  /**
   * The written form, made at the first `format`: a command writes the same amount and balance
   * into its event, its row's view and its wallet's view. A private field, so the value stays
   * frozen and equal to any Money of the same amount.
   */
  #text: string | undefined = undefined;

  private constructor(
    /** The amount in minor units: 12.50 USD is 1250n. */
    private readonly minor: bigint,
    readonly currency: Currency,
  ) {
    Object.freeze(this);
  }

  /**
   * Parses a positive amount in the strict decimal-string form of the API: `"125000"`,
   * `"12.50"`. Rejects non-strings, empty, whitespace, signs, exponent or hex notation, more
   * fraction digits than the currency's minor units, zero, and values above `max`.
   */
  static parse(input: unknown, currency: Currency | string, options: ParseOptions = {}): Money {
    const cur = typeof currency === 'string' ? currencyOf(currency) : currency;
    const field = options.field ?? 'amount';
    const fail = (message: string): never => {
      throw new ValidationError(`Invalid ${field}: ${message}`, [{ path: field, message }]);
    };
    if (typeof input !== 'string') return fail('must be a decimal string such as "125000" or "12.50"');
    // Most amounts are whole: tested, not matched (a match builds an array and its parts); the
    // whole input is then what the pattern's whole part would take.
    let whole = input;
    let fraction = '';
    if (!WHOLE_PATTERN.test(input)) {
      const m = AMOUNT_PATTERN.exec(input);
      if (!m) return fail('must be a plain decimal string such as "125000" or "12.50"');
      whole = m[1] as string;
      fraction = m[2] ? m[2].slice(1) : '';
    }
    if (fraction.length > cur.exponent) {
      return fail(`${cur.code} allows at most ${cur.exponent} fraction digit${cur.exponent === 1 ? '' : 's'}`);
    }
    const minor = scaled(whole, fraction, cur.exponent);
    if (minor === 0n) return fail('must be greater than zero');
    if (options.max !== undefined) {
      const maxText = options.max instanceof Money ? options.max.format() : options.max;
      if (minor > limitOf(maxText, cur)) {
        const max = parts(maxText);
        return fail(`must not exceed ${max.fraction === '' ? max.whole : `${max.whole}.${max.fraction}`}`);
      }
    }
    return new Money(minor, cur);
  }

  /** Reads an amount as a database returns it (`"125000.0000"`); trusts the storage, not a client. */
  static fromStorage(stored: string, currency: Currency | string): Money {
    const cur = typeof currency === 'string' ? storedCurrencyOf(currency) : currency;
    if (!STORED.test(stored)) throw new TypeError(`Not a stored amount: ${JSON.stringify(stored)}`);
    const { sign, whole, fraction } = parts(stored);
    if (fraction.length > cur.exponent) throw new TypeError(`Stored amount ${stored} has more digits than ${cur.code} allows`);
    const minor = scaled(whole, fraction, cur.exponent);
    return new Money(sign === '-' ? -minor : minor, cur);
  }

  static zero(currency: Currency | string): Money {
    const cur = typeof currency === 'string' ? currencyOf(currency) : currency;
    // Immutable, so one zero per currency serves every caller (sums start from it on every command).
    let zero = ZEROS.get(cur);
    if (zero === undefined) ZEROS.set(cur, (zero = new Money(0n, cur)));
    return zero;
  }

  add(other: Money): Money {
    this.assertSameCurrency(other);
    return new Money(this.minor + other.minor, this.currency);
  }

  subtract(other: Money): Money {
    this.assertSameCurrency(other);
    return new Money(this.minor - other.minor, this.currency);
  }

  compare(other: Money): -1 | 0 | 1 {
    this.assertSameCurrency(other);
    return this.minor < other.minor ? -1 : this.minor > other.minor ? 1 : 0;
  }

  equals(other: Money): boolean {
    return this.currency.code === other.currency.code && this.minor === other.minor;
  }

  lessThan(other: Money): boolean {
    return this.compare(other) < 0;
  }

  isZero(): boolean {
    return this.minor === 0n;
  }

  /** Exactly the currency's minor-unit digits: `"12.50"`, `"125000"`, `"1.500"`. */
  format(): string {
    return (this.#text ??= written(this.minor, this.currency.exponent));
  }

  toString(): string {
    return this.format();
  }

  toJSON(): string {
    return this.format();
  }

  private assertSameCurrency(other: Money): void {
    if (other.currency.code !== this.currency.code) throw new CurrencyMismatchError(this.currency.code, other.currency.code);
  }
}
