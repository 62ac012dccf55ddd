import type { z } from 'zod';
import { ValidationError } from './errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whether `text` is a UUID in its hyphenated form, of any version and in either case: what
 * PostgreSQL's `uuid` type reads. Text that is to meet a `uuid` column is checked with this before
 * it reaches SQL, where anything else would fail the statement (and a batch's neighbours with it).
 * The contract's ids are checked stricter, by the schemas (`z.uuid()`).
 */
export function isUuid(text: string): boolean {
  return UUID.test(text);
}

/** The schemas' fast paths: an answer, or undefined to let the schema decide. */
const FAST_PATHS = new WeakMap<z.ZodType, (input: unknown) => unknown>();

/**
 * Puts `fast` in front of `schema` in `parseInput`: for the hottest inputs (a deposit, a
 * transfer), whose zod parse was a tenth of a command's time on the memory path (docs/DESIGN.md,
 * "Memory path"). `fast` must answer exactly what the schema answers for what it accepts, and
 * undefined for anything else, so that zod refuses it with its own issues. Returns the schema itself.
 */
export function withFastPath<S extends z.ZodType>(schema: S, fast: (input: unknown) => z.output<S> | undefined): S {
  FAST_PATHS.set(schema, fast);
  return schema;
}

/**
 * Validates `input` with one of the exported schemas; a failure is a ValidationError listing every
 * issue by its dotted path. The facade and the HTTP server both validate through this, so a bad
 * request reads the same whether it came through the library or over HTTP.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const fast = FAST_PATHS.get(schema);
  if (fast !== undefined) {
    const answer = fast(input);
    if (answer !== undefined) return answer as z.output<S>;
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
  const first = issues[0];
  throw new ValidationError(first ? `Invalid ${first.path || 'input'}: ${first.message}` : 'Invalid input', issues);
}

/** Milliseconds in a day: periods and time limits are said in days. */
export const DAY_MS = 86_400_000;

/** An input whose time fields take a `Date` as well as an ISO 8601 string. */
export type WithTimes<T, K extends keyof T> = Omit<T, K> & { [P in K]?: T[P] | Date };

/**
 * Writes the `Date`s of a command's time fields as ISO strings, the one form its schema (shared
 * with the HTTP API) reads. An invalid Date is left as it is, so validation reports the field.
 */
export function isoTimes(input: unknown, ...keys: string[]): unknown {
  if (input === null || typeof input !== 'object') return input;
  const fields = input as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  for (const key of keys) {
    const value = fields[key];
    if (value instanceof Date && !Number.isNaN(value.getTime())) {
      out ??= { ...fields };
      out[key] = value.toISOString();
    }
  }
  return out ?? input;
}

/** A period [`from`, `to`) runs forward: `from` before `to` (either may be open). */
export function assertPeriod(from: Date | undefined, to: Date | undefined): void {
  if (from !== undefined && to !== undefined && from.getTime() >= to.getTime()) {
    throw new ValidationError('from must be before to', [{ path: 'to', message: 'must be after from' }]);
  }
}

/** A period of at most `days` days. */
export function assertPeriodWithin(from: Date, to: Date, days: number): void {
  if (to.getTime() - from.getTime() > days * DAY_MS) {
    throw new ValidationError(`A statement covers at most ${days} days`, [{ path: 'to', message: `must be at most ${days} days after from` }]);
  }
}

/** An instant nobody can know yet is refused: `field` must not be after `now`. */
export function assertNotFuture(field: string, at: Date, now: Date): void {
  if (at.getTime() > now.getTime()) {
    throw new ValidationError(`${field} must not be in the future`, [{ path: field, message: 'must not be in the future' }]);
  }
}

/** An expiry must lie ahead: `field` must be after `now`. */
export function assertInFuture(field: string, at: Date, now: Date): void {
  if (at.getTime() <= now.getTime()) {
    throw new ValidationError(`${field} must be in the future`, [{ path: field, message: 'must be in the future' }]);
  }
}

/** An expiry must lie ahead of `now`, at most `maxMs` ahead (said in days). */
export function assertAhead(path: string, at: Date, now: Date, maxMs: number): void {
  assertInFuture(path, at, now);
  if (at.getTime() - now.getTime() > maxMs) {
    const days = `${maxMs / DAY_MS} days`;
    throw new ValidationError(`${path} must be at most ${days} ahead`, [{ path, message: `must be at most ${days} ahead` }]);
  }
}

/** The instant `given` names, or `ttlMs` after `now` when it names none; ahead of `now`, at most `maxMs` ahead. */
export function deadline(path: string, given: string | undefined, now: Date, ttlMs: number, maxMs: number): Date {
  const at = given === undefined ? new Date(now.getTime() + ttlMs) : new Date(given);
  assertAhead(path, at, now, maxMs);
  return at;
}
