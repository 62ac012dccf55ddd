import Decimal from 'decimal.js';
import { CurrencyMismatchError, ValidationError } from '../errors.js';
import { currencyOf, type Currency } from './currency.js';

// A private Decimal constructor: enough digits for any numeric(38) amount, no exponent form in
// toFixed/toString, and nobody else's global configuration can change our arithmetic.
const D = Decimal.clone({ precision: 60, rounding: Decimal.ROUND_HALF_EVEN, toExpNeg: -60, toExpPos: 60 });
type D = InstanceType<typeof D>;

/** The strict wire form: digits, optionally a point and digits; no sign, exponent or spaces. */
export const AMOUNT_PATTERN = /^(0|[1-9][0-9]*)(\.[0-9]+)?$/;
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

/**
 * An immutable amount of one currency. Arithmetic only between equal currencies; every
 * operation returns a new value; no `number` ever enters or leaves.
 */
export class Money {
  private constructor(
    private readonly value: D,
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
    const m = AMOUNT_PATTERN.exec(input);
    if (!m) return fail('must be a plain decimal string such as "125000" or "12.50"');
    const fraction = m[2] ? m[2].length - 1 : 0;
    if (fraction > cur.exponent) {
      return fail(`${cur.code} allows at most ${cur.exponent} fraction digit${cur.exponent === 1 ? '' : 's'}`);
    }
    const value = new D(input);
    if (value.isZero()) return fail('must be greater than zero');
    if (options.max !== undefined) {
      const max = options.max instanceof Money ? options.max.value : new D(options.max);
      if (value.greaterThan(max)) return fail(`must not exceed ${max.toFixed()}`);
    }
    return new Money(value, cur);
  }

  /** Reads an amount as a database returns it (`"125000.0000"`); trusts the storage, not a client. */
  static fromStorage(stored: string, currency: Currency | string): Money {
    const cur = typeof currency === 'string' ? currencyOf(currency) : currency;
    if (!STORED.test(stored)) throw new TypeError(`Not a stored amount: ${JSON.stringify(stored)}`);
    const value = new D(stored);
    if (value.decimalPlaces() > cur.exponent) throw new TypeError(`Stored amount ${stored} has more digits than ${cur.code} allows`);
    return new Money(value, cur);
  }

  static zero(currency: Currency | string): Money {
    return new Money(new D(0), typeof currency === 'string' ? currencyOf(currency) : currency);
  }

  add(other: Money): Money {
    this.assertSameCurrency(other);
    return new Money(this.value.plus(other.value), this.currency);
  }

  subtract(other: Money): Money {
    this.assertSameCurrency(other);
    return new Money(this.value.minus(other.value), this.currency);
  }

  compare(other: Money): -1 | 0 | 1 {
    this.assertSameCurrency(other);
    return this.value.comparedTo(other.value) as -1 | 0 | 1;
  }

  equals(other: Money): boolean {
    return this.currency.code === other.currency.code && this.value.equals(other.value);
  }

  lessThan(other: Money): boolean {
    return this.compare(other) < 0;
  }

  isZero(): boolean {
    return this.value.isZero();
  }

  /** Exactly the currency's minor-unit digits: `"12.50"`, `"125000"`, `"1.500"`. */
  format(): string {
    return this.value.toFixed(this.currency.exponent);
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
