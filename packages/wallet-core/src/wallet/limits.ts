/**
 * E-money limits: a cap on a wallet's balance and on what is topped up (`deposit`) or paid out
 * (`spend`) in a local day or calendar month. The counters live in the wallet's own state, so the
 * store persists them with the balance in one write, under the wallet's lock: two commands can
 * never both pass a limit that only one of them fits. Pure: the time zone is data, the clock the
 * command's.
 */
import { LimitExceededError } from '../errors.js';
import { currencyOf, type Currency } from '../money/currency.js';
import { Money } from '../money/money.js';

export const LIMIT_KINDS = ['deposit', 'spend', 'balance'] as const;
export type LimitKind = (typeof LIMIT_KINDS)[number];
export const LIMIT_PERIODS = ['balance', 'daily', 'monthly'] as const;
export type LimitPeriod = (typeof LIMIT_PERIODS)[number];

/** The time zone periods roll over in when none is configured: the wallet's home market. */
export const DEFAULT_LIMITS_TIME_ZONE = 'Asia/Ho_Chi_Minh';

export interface PeriodLimits {
  readonly deposit?: Money | undefined;
  readonly spend?: Money | undefined;
}

/** A set of limits in one currency; an absent field limits nothing. */
export interface WalletLimits {
  readonly maxBalance?: Money | undefined;
  readonly daily?: PeriodLimits | undefined;
  readonly monthly?: PeriodLimits | undefined;
}

/** Limits as decimal strings: the API's body, the `WALLET_LIMITS` value of one currency, the stored form. */
export interface LimitsInput {
  readonly maxBalance?: string | undefined;
  readonly daily?: { readonly deposit?: string | undefined; readonly spend?: string | undefined } | undefined;
  readonly monthly?: { readonly deposit?: string | undefined; readonly spend?: string | undefined } | undefined;
}

/** The local day (`2026-12-07`) and month (`2026-12`) an instant falls in. */
export interface Periods {
  readonly day: string;
  readonly month: string;
}

/** What a wallet used of each period it last counted in. Amounts are never negative. */
export interface LimitUsage extends Periods {
  readonly dayDeposit: Money;
  readonly daySpend: Money;
  readonly monthDeposit: Money;
  readonly monthSpend: Money;
}

const FIFTEEN_MINUTES = 900_000;
/** The limits of a currency with no defaults and a wallet with none of its own: nothing is limited. */
const NO_LIMITS: WalletLimits = Object.freeze({});

/** Whether `name` is a time zone Intl knows by an IANA name (`Asia/Ho_Chi_Minh`, `UTC`); offsets such as `+07:00` are not names. */
export function isTimeZone(name: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(name)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/**
 * Where the limits of a wallet come from: per currency defaults (`WALLET_LIMITS`), overridden field
 * by field by a wallet's own, and the time zone its days and months are counted in.
 */
export class LimitPolicy {
  readonly timeZone: string;
  private readonly defaults: ReadonlyMap<string, WalletLimits>;
  private readonly format: Intl.DateTimeFormat;
  // Every zone in use is offset from UTC by a whole number of quarter hours, so a local date can
  // only change on a UTC quarter hour: one formatting per quarter hour serves every command.
  private cachedQuarter = Number.NaN;
  private cachedPeriods: Periods = { day: '', month: '' };

  /** Throws a TypeError naming the bad value: a zone Intl does not know, a currency or an amount that does not parse. */
  constructor(options: { defaults?: Readonly<Record<string, LimitsInput>> | undefined; timeZone?: string | undefined } = {}) {
    this.timeZone = options.timeZone ?? DEFAULT_LIMITS_TIME_ZONE;
    if (!isTimeZone(this.timeZone)) {
      throw new TypeError(`limits time zone must be an IANA time zone such as Asia/Ho_Chi_Minh, got ${JSON.stringify(this.timeZone)}`);
    }
    try {
      this.format = new Intl.DateTimeFormat('en-US', { timeZone: this.timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hourCycle: 'h23' });
    } catch {
      throw new TypeError(`limits time zone must be an IANA time zone such as Asia/Ho_Chi_Minh, got ${JSON.stringify(this.timeZone)}`);
    }
    const defaults = new Map<string, WalletLimits>();
    for (const [code, input] of Object.entries(options.defaults ?? {})) {
      try {
        defaults.set(code, parseLimits(input, currencyOf(code)));
      } catch (e) {
        throw new TypeError(`limits of ${code}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    this.defaults = defaults;
  }

  /** The local day and month of `at` in this policy's time zone. */
  periodsAt(at: Date): Periods {
    const quarter = Math.floor(at.getTime() / FIFTEEN_MINUTES);
    if (quarter !== this.cachedQuarter) {
      const parts: Record<string, string> = {};
      for (const p of this.format.formatToParts(at)) parts[p.type] = p.value;
      const month = `${parts.year}-${parts.month}`;
      this.cachedPeriods = { day: `${month}-${parts.day}`, month };
      this.cachedQuarter = quarter;
    }
    return this.cachedPeriods;
  }

  /** A wallet's limits: each field its own when set, else its currency's default. */
  limitsOf(currency: Currency, own: WalletLimits | null | undefined): WalletLimits {
    const fallback = this.defaults.get(currency.code);
    if (!own) return fallback ?? NO_LIMITS;
    if (!fallback) return own;
    return {
      maxBalance: own.maxBalance ?? fallback.maxBalance,
      daily: { deposit: own.daily?.deposit ?? fallback.daily?.deposit, spend: own.daily?.spend ?? fallback.daily?.spend },
      monthly: { deposit: own.monthly?.deposit ?? fallback.monthly?.deposit, spend: own.monthly?.spend ?? fallback.monthly?.spend },
    };
  }
}

/** Parses limits given as decimal strings in `currency` (each a positive amount); throws VALIDATION_ERROR naming the field. */
export function parseLimits(input: LimitsInput, currency: Currency): WalletLimits {
  const amount = (value: string | undefined, field: string) => (value === undefined ? undefined : Money.parse(value, currency, { field }));
  const period = (p: LimitsInput['daily'], name: string): PeriodLimits | undefined =>
    p === undefined ? undefined : { deposit: amount(p.deposit, `${name}.deposit`), spend: amount(p.spend, `${name}.spend`) };
  return { maxBalance: amount(input.maxBalance, 'maxBalance'), daily: period(input.daily, 'daily'), monthly: period(input.monthly, 'monthly') };
}

/** Limits as decimal strings, absent fields left out: the stored and the answered form. */
export function formatLimits(limits: WalletLimits): LimitsInput {
  const period = (p: PeriodLimits | undefined) => {
    if (!p || (p.deposit === undefined && p.spend === undefined)) return undefined;
    return { ...(p.deposit && { deposit: p.deposit.format() }), ...(p.spend && { spend: p.spend.format() }) };
  };
  const daily = period(limits.daily);
  const monthly = period(limits.monthly);
  return { ...(limits.maxBalance && { maxBalance: limits.maxBalance.format() }), ...(daily && { daily }), ...(monthly && { monthly }) };
}

/** No use yet in `periods`. */
export function noUsage(currency: Currency, periods: Periods): LimitUsage {
  const zero = Money.zero(currency);
  return { day: periods.day, month: periods.month, dayDeposit: zero, daySpend: zero, monthDeposit: zero, monthSpend: zero };
}

/** `usage` as of `periods`: a counter of a day or month that has ended starts again from zero. */
export function usageIn(usage: LimitUsage | null | undefined, currency: Currency, periods: Periods): LimitUsage {
  if (!usage) return noUsage(currency, periods);
  if (usage.day === periods.day && usage.month === periods.month) return usage;
  const zero = Money.zero(currency);
  const sameMonth = usage.month === periods.month;
  const sameDay = sameMonth && usage.day === periods.day;
  return {
    day: periods.day,
    month: periods.month,
    dayDeposit: sameDay ? usage.dayDeposit : zero,
    daySpend: sameDay ? usage.daySpend : zero,
    monthDeposit: sameMonth ? usage.monthDeposit : zero,
    monthSpend: sameMonth ? usage.monthSpend : zero,
  };
}

/** Throws LIMIT_EXCEEDED when `amount` more of `kind` would pass a daily or monthly limit. */
export function assertUseFits(limits: WalletLimits, usage: LimitUsage, kind: 'deposit' | 'spend', amount: Money): void {
  const day = kind === 'deposit' ? usage.dayDeposit : usage.daySpend;
  const month = kind === 'deposit' ? usage.monthDeposit : usage.monthSpend;
  const dayLimit = limits.daily?.[kind];
  if (dayLimit && dayLimit.lessThan(day.add(amount))) throw new LimitExceededError(dayLimit.format(), 'daily', kind, day.format(), amount.format());
  const monthLimit = limits.monthly?.[kind];
  if (monthLimit && monthLimit.lessThan(month.add(amount))) {
    throw new LimitExceededError(monthLimit.format(), 'monthly', kind, month.format(), amount.format());
  }
}

/** Throws LIMIT_EXCEEDED when crediting `amount` to `balance` would pass `maxBalance`. */
export function assertBalanceFits(limits: WalletLimits, balance: Money, amount: Money): void {
  const max = limits.maxBalance;
  if (max && max.lessThan(balance.add(amount))) throw new LimitExceededError(max.format(), 'balance', 'balance', balance.format(), amount.format());
}

/** `usage` with `amount` more of `kind` in its current day and month. */
export function addUse(usage: LimitUsage, kind: 'deposit' | 'spend', amount: Money): LimitUsage {
  // Written out, not spread: every deposit, withdrawal and transfer counts.
  const deposit = kind === 'deposit';
  return {
    day: usage.day,
    month: usage.month,
    dayDeposit: deposit ? usage.dayDeposit.add(amount) : usage.dayDeposit,
    daySpend: deposit ? usage.daySpend : usage.daySpend.add(amount),
    monthDeposit: deposit ? usage.monthDeposit.add(amount) : usage.monthDeposit,
    monthSpend: deposit ? usage.monthSpend : usage.monthSpend.add(amount),
  };
}

/**
 * `usage` given back `amount` of `kind` counted in `countedIn` (the periods of the refunded or
 * reversed row): only to a day or month still current, and never below zero (what was counted
 * before the counters existed is not there to give back).
 */
export function giveBackUse(usage: LimitUsage, kind: 'deposit' | 'spend', amount: Money, countedIn: Periods): LimitUsage {
  const less = (used: Money) => (used.lessThan(amount) ? Money.zero(used.currency) : used.subtract(amount));
  const sameMonth = countedIn.month === usage.month;
  const sameDay = sameMonth && countedIn.day === usage.day;
  if (!sameMonth) return usage;
  return kind === 'deposit'
    ? { ...usage, dayDeposit: sameDay ? less(usage.dayDeposit) : usage.dayDeposit, monthDeposit: less(usage.monthDeposit) }
    : { ...usage, daySpend: sameDay ? less(usage.daySpend) : usage.daySpend, monthSpend: less(usage.monthSpend) };
}

/** Usage as stored (a JSON object of decimal strings). */
export function formatUsage(usage: LimitUsage): Record<keyof LimitUsage, string> {
  return {
    day: usage.day,
    month: usage.month,
    dayDeposit: usage.dayDeposit.format(),
    daySpend: usage.daySpend.format(),
    monthDeposit: usage.monthDeposit.format(),
    monthSpend: usage.monthSpend.format(),
  };
}

/** Reads stored usage; null stays null (a wallet that never counted). */
export function usageFromStorage(stored: unknown, currency: Currency): LimitUsage | null {
  if (stored === null || stored === undefined) return null;
  const u = stored as Record<keyof LimitUsage, string>;
  const money = (v: string) => Money.fromStorage(v, currency);
  return {
    day: u.day,
    month: u.month,
    dayDeposit: money(u.dayDeposit),
    daySpend: money(u.daySpend),
    monthDeposit: money(u.monthDeposit),
    monthSpend: money(u.monthSpend),
  };
}

/** Reads a wallet's stored own limits; null stays null (the currency's defaults apply). */
export function limitsFromStorage(stored: unknown, currency: Currency): WalletLimits | null {
  if (stored === null || stored === undefined) return null;
  const l = stored as LimitsInput;
  const money = (v: string | undefined) => (v === undefined ? undefined : Money.fromStorage(v, currency));
  return {
    maxBalance: money(l.maxBalance),
    daily: l.daily && { deposit: money(l.daily.deposit), spend: money(l.daily.spend) },
    monthly: l.monthly && { deposit: money(l.monthly.deposit), spend: money(l.monthly.spend) },
  };
}
