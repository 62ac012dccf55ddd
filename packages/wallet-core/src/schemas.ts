/**
 * zod schemas for the input of every command and query. The server validates requests with these
 * very schemas and generates its OpenAPI document from them, so the library, the HTTP API and its
 * documentation cannot drift apart. Amount strings are checked here for their form; the digits a
 * currency allows and the configured maximum are checked against the wallet's currency by `Money`.
 */
import { z } from 'zod';
import { MAX_POSITION } from './cursor.js';
import { eventEnvelopeSchema } from './event-schemas.js';
import { METADATA_KEY_PATTERN, METADATA_MAX_KEYS, METADATA_MAX_VALUE_LENGTH, metadataOf, type Metadata } from './metadata.js';
import { CURRENCY_CODE_PATTERN } from './money/currency.js';
import { AMOUNT_PATTERN } from './money/money.js';
import { POINT_TRANSACTION_TYPES } from './points/ledger.js';
export { reconciliationReport } from './reconciliation.js';
import { ALLOWANCE_STATUSES } from './wallet/allowance.js';
import { HOLD_STATUSES } from './wallet/hold.js';
import { WALLET_TRANSACTION_TYPES } from './wallet/ledger.js';
import { WALLET_STATUSES } from './wallet/wallet.js';
import { withFastPath } from './validate.js';

/** C0 controls and DEL: never part of data. */
const CONTROL = /[\u0000-\u001f\u007f]/;
/** The same, except tab and line breaks, which free text (`description`, `reason`) may hold. */
const CONTROL_EXCEPT_LAYOUT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
/** A UTF-16 surrogate without its partner: not a character, and not storable as itself. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * True for text that may become data: well-formed Unicode (no lone surrogate, which a database
 * would silently turn into U+FFFD and so make two different inputs one) and no NUL or other C0
 * control; `freeText` allows tab and line breaks. Nothing is ever normalised: a value that fails
 * is refused, so an identity is always exactly what the caller sent.
 */
export function isCleanText(value: string, options: { freeText?: boolean } = {}): boolean {
  return !LONE_SURROGATE.test(value) && !(options.freeText ? CONTROL_EXCEPT_LAYOUT : CONTROL).test(value);
}

const CLEAN_MESSAGE = 'must be well-formed Unicode without control characters';
const FREE_MESSAGE = 'must be well-formed Unicode without control characters other than tab and line breaks';

/** A string schema for text that becomes data (see `isCleanText`). */
export function cleanText(options: { min?: number; max: number; freeText?: boolean }) {
  const free = options.freeText === true;
  return z
    .string()
    .min(options.min ?? 0)
    .max(options.max)
    .refine((v) => isCleanText(v, { freeText: free }), free ? FREE_MESSAGE : CLEAN_MESSAGE);
}

/** A decimal string: digits, optionally a point and digits. No sign, exponent, hex or spaces. */
export const amountSchema = z
  .string()
  .regex(AMOUNT_PATTERN, 'must be a plain decimal string such as "125000" or "12.50"')
  .max(40)
  .meta({ description: "A positive decimal string with at most the currency's minor-unit digits", examples: ['125000', '12.50'] });

export const currencySchema = z
  .string()
  .regex(CURRENCY_CODE_PATTERN, 'must be an upper-case ISO 4217 code')
  .meta({ description: 'ISO 4217 currency code, upper case', examples: ['VND'] });

/** A UUID in any letter case, always continued in lower case: an id names one thing however it is written. */
export const uuidSchema = z.uuid().overwrite((id) => id.toLowerCase());
export const userIdSchema = cleanText({ min: 1, max: 255 })
  .refine((s) => s.trim() === s, 'must not have surrounding whitespace')
  .meta({ description: "The user id: the `sub` of the user's token" });

export const descriptionSchema = cleanText({ max: 500, freeText: true });
export const referenceSchema = cleanText({ max: 255 }).meta({ description: "The caller's own reference, such as an order number" });
export const reasonSchema = cleanText({ max: 500, freeText: true });
export const sourceSchema = cleanText({ min: 1, max: 100 }).meta({ description: 'Where the points come from or go to, such as "order:1234"' });

/**
 * A command's metadata (see metadata.ts). A key is 1-40 of `A-Z a-z 0-9 _ . -`; a value is clean
 * text (no NUL or other control, no lone surrogate: a database refuses both in jsonb, and one
 * command must never fail the batch it is committed with) of at most 200 characters, counted as
 * Unicode code points. Continued as an own-property object with its keys sorted.
 */
export const metadataSchema = z
  .record(
    z
      .string()
      .regex(METADATA_KEY_PATTERN, 'keys must be 1-40 characters of A-Z, a-z, 0-9, "_", "." and "-"')
      // A JavaScript object cannot hold this key as data (setting it sets the prototype): refused, not dropped.
      .refine((k) => k !== '__proto__', 'keys must not be "__proto__"'),
    z
      .string()
      .refine((v) => isCleanText(v), CLEAN_MESSAGE)
      .refine((v) => [...v].length <= METADATA_MAX_VALUE_LENGTH, `must be at most ${METADATA_MAX_VALUE_LENGTH} characters`),
  )
  .refine((m) => Object.keys(m).length <= METADATA_MAX_KEYS, `must have at most ${METADATA_MAX_KEYS} keys`)
  .overwrite((m): Metadata => metadataOf(Object.entries(m)))
  .meta({
    id: 'Metadata',
    description: `Your own labels (till, store, cashier, order): at most ${METADATA_MAX_KEYS} keys of 1-40 characters A-Z a-z 0-9 _ . -, each to a string of at most ${METADATA_MAX_VALUE_LENGTH} characters. Stored on every row the command writes and carried in its events.`,
    examples: [{ store: 'S12', till: '3', cashier: 'c-0042', order: 'A-1001' }],
  });
/** A history filter: rows whose metadata holds every key given with exactly its value. */
export const metadataFilterSchema = metadataSchema.meta({
  id: 'MetadataFilter',
  description: 'Only rows whose metadata has each of these keys with exactly this value (several keys: all of them)',
});
const metadataField = metadataSchema.optional();

/** Points: a JSON integer within the safe 53-bit range. */
export const positivePointsSchema = z.int().positive().max(Number.MAX_SAFE_INTEGER);
export const signedPointsSchema = z
  .int()
  .min(-Number.MAX_SAFE_INTEGER)
  .max(Number.MAX_SAFE_INTEGER)
  .refine((n) => n !== 0, 'must not be zero');

/**
 * The instants every store can hold: years 1 to 9999 in UTC. PostgreSQL (and PGlite) reads no
 * year 0 and no five-digit year, so `0000-01-01T00:00:00Z`, or `9999-12-31T23:59:59-10:00` (year
 * 10000 once its offset is applied), would reach the database and fail there.
 */
export const EARLIEST_INSTANT = new Date('0001-01-01T00:00:00.000Z');
export const LATEST_INSTANT = new Date('9999-12-31T23:59:59.999Z');

/** True for an instant within years 1 to 9999 in UTC (see `EARLIEST_INSTANT`). */
export function isStorableInstant(at: Date): boolean {
  const t = at.getTime();
  return t >= EARLIEST_INSTANT.getTime() && t <= LATEST_INSTANT.getTime();
}

/**
 * The one date rule of every input: ISO 8601 with an offset, naming an instant within years 1 to
 * 9999 once the offset is applied. Every time field of every schema is this schema.
 */
export const isoDateTimeSchema = z.iso
  .datetime({ offset: true })
  .refine((v) => isStorableInstant(new Date(v)), 'must lie within years 1 to 9999 (UTC, after its offset)')
  .meta({ description: 'ISO 8601 date-time with an offset, within years 1 to 9999 in UTC' });

export const walletTransactionTypeSchema = z.enum(WALLET_TRANSACTION_TYPES);
export const pointTransactionTypeSchema = z.enum(POINT_TRANSACTION_TYPES);
export const holdStatusSchema = z.enum(HOLD_STATUSES);
export const allowanceStatusSchema = z.enum(ALLOWANCE_STATUSES);

/** A page's size when the caller names none, and the most one page holds. */
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/**
 * Page size: a JSON integer from a library caller, or a plain decimal string from a query string.
 * `1e2`, `0x10`, ` 5` or `5.0` are refused, not coerced.
 */
export const limitSchema = z
  .union([
    z.int(),
    z
      .string()
      .regex(/^(0|[1-9][0-9]{0,5})$/, 'must be a plain decimal integer')
      .transform(Number),
  ])
  .pipe(z.int().min(1).max(MAX_PAGE_SIZE))
  .default(DEFAULT_PAGE_SIZE);
/** A `nextCursor` as returned; `null` (the last page's) reads as the first page. */
export const cursorSchema = z.string().min(1).max(200).nullable();

export const createWalletInput = z.strictObject({ userId: userIdSchema, currency: currencySchema.optional(), metadata: metadataField });

/**
 * The fast paths of the hottest inputs (`withFastPath`): each field's check answers the schema's
 * output for a value the schema accepts, or `ZOD_DECIDES` for anything else (zod then parses the
 * whole input and reports its own issues). Metadata is always left to zod.
 */
const ZOD_DECIDES = Symbol('zod decides');
type FastField = (value: unknown) => unknown;
/** zod's own pattern for `z.uuid()`. */
const ZOD_UUID = z.regexes.uuid();
const fastUuid: FastField = (v) => (typeof v === 'string' && ZOD_UUID.test(v) ? v.toLowerCase() : ZOD_DECIDES);
const fastAmount: FastField = (v) => (typeof v === 'string' && v.length <= 40 && AMOUNT_PATTERN.test(v) ? v : ZOD_DECIDES);
const fastText =
  (max: number, freeText: boolean): FastField =>
  (v) =>
    v === undefined ? undefined : typeof v === 'string' && v.length <= max && isCleanText(v, { freeText }) ? v : ZOD_DECIDES;
const fastNone: FastField = (v) => (v === undefined ? undefined : ZOD_DECIDES);

/**
 * A `z.strictObject` of these fields, for a plain object (its prototype Object's or none) holding
 * none but them: the fields in the schema's order, each one present in the input (an optional
 * one given as undefined included, as zod keeps it). Not `strict`: a `z.object`, whose other keys
 * are dropped.
 */
function fastObject<T>(fields: Readonly<Record<string, FastField>>, strict = true): (input: unknown) => T | undefined {
  const keys = Object.keys(fields);
  const checks = keys.map((k) => fields[k] as FastField);
  return (input) => {
    if (typeof input !== 'object' || input === null) return undefined;
    const proto: unknown = Object.getPrototypeOf(input);
    if (proto !== Object.prototype && proto !== null) return undefined;
    // Every enumerable key, inherited ones included, as zod's strict check walks them.
    if (strict) for (const key in input) if (!Object.hasOwn(fields, key)) return undefined;
    const given = input as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const value = (checks[i] as FastField)(given[key]);
      if (value === ZOD_DECIDES) return undefined;
      if (key in given) out[key] = value;
    }
    return out as T;
  };
}

const fastDescription = fastText(500, true);
const fastReference = fastText(255, false);
/** `userIdSchema`: clean text of 1 to 255 code units with no surrounding whitespace. */
const fastUserId: FastField = (v) => (typeof v === 'string' && v.length >= 1 && v.length <= 255 && v.trim() === v && isCleanText(v) ? v : ZOD_DECIDES);

// The hot reads' inputs (a wallet, a user's summary): a read's id is checked by the route, the
// facade and the store, and a zod parse costs more than the one regex of its fast path
// (docs/DESIGN.md, "Hot reads").
export const walletIdInput = withFastPath(z.strictObject({ walletId: uuidSchema }), fastObject({ walletId: fastUuid }));
export const userIdInput = withFastPath(z.strictObject({ userId: userIdSchema }), fastObject({ userId: fastUserId }));

/**
 * A resource's id in an HTTP path (`/wallets/{id}`), `description` naming what it is. Not strict,
 * as a router's params are not the caller's to add to.
 */
export function idParamsSchema(description: string) {
  return withFastPath(z.object({ id: uuidSchema.meta({ description }) }), fastObject<{ id: string }>({ id: fastUuid }, false));
}

export const depositInput = withFastPath(
  z.strictObject({
    walletId: uuidSchema,
    amount: amountSchema,
    description: descriptionSchema.optional(),
    reference: referenceSchema.optional(),
    metadata: metadataField,
  }),
  fastObject({ walletId: fastUuid, amount: fastAmount, description: fastDescription, reference: fastReference, metadata: fastNone }),
);
export const withdrawInput = depositInput;
export const transferInput = withFastPath(
  z.strictObject({
    fromWalletId: uuidSchema,
    toWalletId: uuidSchema,
    amount: amountSchema,
    description: descriptionSchema.optional(),
    reference: referenceSchema.optional(),
    metadata: metadataField,
  }),
  fastObject({
    fromWalletId: fastUuid,
    toWalletId: fastUuid,
    amount: fastAmount,
    description: fastDescription,
    reference: fastReference,
    metadata: fastNone,
  }),
);
export const walletStatusInput = z.strictObject({ walletId: uuidSchema, reason: reasonSchema.optional(), metadata: metadataField });

const periodLimitsSchema = z.strictObject({
  deposit: amountSchema.optional().meta({ description: 'What may be deposited (topped up) in the period' }),
  spend: amountSchema.optional().meta({ description: 'What may be spent (withdrawn, transferred out, captured) in the period' }),
});
/**
 * A set of limits in one currency, each field an amount: a wallet's own (PUT), or a currency's
 * defaults (`WALLET_LIMITS`). An absent field limits nothing (or, for a wallet's own, leaves the
 * currency's default).
 */
export const limitsSchema = z.strictObject({
  maxBalance: amountSchema.optional().meta({ description: 'The most the balance may be after any credit' }),
  daily: periodLimitsSchema.optional().meta({ description: 'Per local day in WALLET_LIMITS_TZ' }),
  monthly: periodLimitsSchema.optional().meta({ description: 'Per calendar month in WALLET_LIMITS_TZ' }),
});
/** `WALLET_LIMITS`: defaults per currency. */
export const limitsByCurrencySchema = z.record(currencySchema, limitsSchema);
export const setLimitsInput = limitsSchema.extend({ walletId: uuidSchema, metadata: metadataField });

export const listTransactionsInput = z.strictObject({
  walletId: uuidSchema,
  limit: limitSchema,
  cursor: cursorSchema.optional(),
  type: walletTransactionTypeSchema.optional(),
  reference: referenceSchema.optional().meta({ description: 'Only rows carrying exactly this reference' }),
  from: isoDateTimeSchema.optional().meta({ description: 'Only rows created at or after this instant (inclusive)' }),
  to: isoDateTimeSchema.optional().meta({ description: 'Only rows created before this instant (exclusive); after `from`' }),
  metadata: metadataFilterSchema.optional(),
});

// ---- reading the books ----------------------------------------------------------------------------
export const balanceAtInput = z.strictObject({
  walletId: uuidSchema,
  at: isoDateTimeSchema.meta({ description: 'The instant; not in the future. A row created exactly then counts.' }),
});
/** The longest period one statement covers: its totals are summed over every row of the period. */
export const MAX_STATEMENT_DAYS = 366;
export const statementInput = z.strictObject({
  walletId: uuidSchema,
  from: isoDateTimeSchema.meta({ description: 'Start of the period (inclusive)' }),
  to: isoDateTimeSchema.meta({ description: `End of the period (exclusive); after \`from\`, at most ${MAX_STATEMENT_DAYS} days later` }),
});
export const searchWalletsInput = z.strictObject({
  userId: userIdSchema.optional(),
  status: z.enum(WALLET_STATUSES).optional(),
  currency: currencySchema.optional(),
  limit: limitSchema,
  cursor: cursorSchema.optional(),
});

export const earnPointsInput = z.strictObject({
  userId: userIdSchema,
  points: positivePointsSchema,
  source: sourceSchema,
  description: descriptionSchema.optional(),
  expiresAt: isoDateTimeSchema.optional(),
  pending: z.boolean().optional(),
  metadata: metadataField,
});
export const spendPointsInput = z.strictObject({
  userId: userIdSchema,
  points: positivePointsSchema,
  source: sourceSchema,
  description: descriptionSchema.optional(),
  metadata: metadataField,
});
export const adjustPointsInput = z.strictObject({
  userId: userIdSchema,
  points: signedPointsSchema,
  source: sourceSchema,
  description: descriptionSchema.min(1),
  metadata: metadataField,
});
export const pendingPointsInput = z.strictObject({ transactionId: uuidSchema, metadata: metadataField });
export const expirePointsInput = z.strictObject({ asOf: isoDateTimeSchema.optional(), metadata: metadataField });
export const listPointTransactionsInput = z.strictObject({
  userId: userIdSchema,
  limit: limitSchema,
  cursor: cursorSchema.optional(),
  type: pointTransactionTypeSchema.optional(),
  metadata: metadataFilterSchema.optional(),
});

/** A position in the outbox: the decimal text of a positive 63-bit integer. */
export const positionSchema = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,18})$/, 'must be a position returned by this API')
  .refine((v) => /^[0-9]+$/.test(v) && BigInt(v) <= MAX_POSITION, 'must be a position returned by this API')
  .meta({ description: 'An event position, as returned in `position` or `nextAfter`' });

export const listEventsInput = z.strictObject({
  // null: from the start, so that an empty feed's `nextAfter: null` can be handed back as is.
  after: positionSchema.nullable().optional(),
  limit: limitSchema,
});

export const placeHoldInput = z.strictObject({
  walletId: uuidSchema,
  amount: amountSchema,
  reference: referenceSchema.optional(),
  description: descriptionSchema.optional(),
  expiresAt: isoDateTimeSchema
    .optional()
    .meta({ description: 'When the hold stops reserving money; default the configured hold TTL (7 days), at most 30 days ahead' }),
  metadata: metadataField,
});
export const holdIdInput = z.strictObject({ holdId: uuidSchema });
export const listHoldsInput = z.strictObject({
  walletId: uuidSchema,
  status: holdStatusSchema.optional(),
  limit: limitSchema,
  cursor: cursorSchema.optional(),
});
export const captureHoldInput = z.strictObject({
  holdId: uuidSchema,
  amount: amountSchema.optional().meta({ description: 'Default: all of the hold. The rest of the hold is released.' }),
  toWalletId: uuidSchema.optional().meta({ description: 'Capture as a transfer into this wallet instead of a withdrawal' }),
  description: descriptionSchema.optional(),
  metadata: metadataSchema.optional().meta({ description: "The rows' metadata; default the hold's" }),
});
export const voidHoldInput = z.strictObject({ holdId: uuidSchema, reason: reasonSchema.optional(), metadata: metadataField });
export const incrementHoldInput = z.strictObject({
  holdId: uuidSchema,
  amount: amountSchema.meta({ description: 'What to add to the hold, from the available balance; the expiry stays' }),
  metadata: metadataField,
});
export const refundInput = z.strictObject({
  transactionId: uuidSchema,
  amount: amountSchema.optional().meta({ description: 'Default: all that is left to refund of the payment' }),
  reason: reasonSchema.optional(),
  reference: referenceSchema.optional(),
  metadata: metadataField,
});
export const refundPointsInput = z.strictObject({
  transactionId: uuidSchema,
  points: positivePointsSchema.optional().meta({ description: 'Default: all that is left to give back' }),
  reason: reasonSchema.optional(),
  metadata: metadataField,
});
export const reversePointsInput = refundPointsInput;
export const reverseDepositInput = z.strictObject({
  transactionId: uuidSchema.meta({ description: 'The deposit to take back' }),
  amount: amountSchema.optional().meta({ description: 'Default: all that is left of the deposit' }),
  reason: cleanText({ min: 1, max: 500, freeText: true }).meta({ description: 'Why the deposit is taken back: the audit trail' }),
  metadata: metadataField,
});

// ---- what a till needs next ----------------------------------------------------------------------
export const payInput = z.strictObject({
  walletId: uuidSchema.meta({ description: "The payer's wallet; its owner's points are spent" }),
  amount: amountSchema.meta({ description: 'The money part' }),
  points: positivePointsSchema.optional().meta({ description: "The points part, spent from the wallet owner's account; none when absent" }),
  reference: cleanText({ min: 1, max: 255 }).meta({ description: 'Shared by the money row and the points row, such as the order number' }),
  description: descriptionSchema.optional(),
  toWalletId: uuidSchema.optional().meta({ description: "The merchant's wallet: the money part is a transfer into it instead of a withdrawal" }),
  metadata: metadataField,
});

// ---- offline allowances -------------------------------------------------------------------------
/** The most spends one sync forwards: a till sends its backlog in batches of this many. */
export const MAX_SPENDS_PER_SYNC = 500;
/** The largest seq and spend count: what a PostgreSQL integer holds. */
export const MAX_ALLOWANCE_SEQ = 2_147_483_647;
export const tillIdSchema = cleanText({ min: 1, max: 100 })
  .refine((s) => s.trim() === s, 'must not have surrounding whitespace')
  .meta({ description: 'The till (POS terminal) the allowance is set aside for', examples: ['store-12/till-3'] });
const seqSchema = z.int().min(1).max(MAX_ALLOWANCE_SEQ).meta({ description: "The till's number of the spend: 1, 2, 3 … per allowance, no gap" });

export const openAllowanceInput = z.strictObject({
  walletId: uuidSchema,
  tillId: tillIdSchema,
  amount: amountSchema.meta({ description: 'What the till may spend offline; reserved from the available balance' }),
  spendUntil: isoDateTimeSchema
    .optional()
    .meta({ description: 'When the till must stop selling; default the configured allowance TTL (24 h), at most 7 days ahead' }),
  maxSpendAmount: amountSchema.optional().meta({ description: 'The most one spend may take' }),
  maxSpends: z.int().min(1).max(MAX_ALLOWANCE_SEQ).optional().meta({ description: 'The most spends the allowance takes' }),
  metadata: metadataSchema.optional().meta({ description: "Kept on the allowance, and on each spend's rows that carries none of its own" }),
});
export const allowanceIdInput = z.strictObject({ allowanceId: uuidSchema });
export const listAllowancesInput = z.strictObject({
  walletId: uuidSchema,
  status: allowanceStatusSchema.optional(),
  limit: limitSchema,
  cursor: cursorSchema.optional(),
});
export const allowanceSpendInput = z.strictObject({
  seq: seqSchema,
  amount: amountSchema,
  occurredAt: isoDateTimeSchema.meta({ description: "When the sale was made, by the till's clock: kept on the ledger row as occurredAt" }),
  reference: referenceSchema.optional(),
  description: descriptionSchema.optional(),
  toWalletId: uuidSchema.optional().meta({ description: "The merchant's wallet: the spend is a transfer into it instead of a withdrawal" }),
  metadata: metadataSchema.optional().meta({ description: "The sale's own metadata, on its rows; default the allowance's" }),
});
export const syncAllowanceInput = z.strictObject({
  allowanceId: uuidSchema,
  spends: z
    .array(allowanceSpendInput)
    .min(1)
    .max(MAX_SPENDS_PER_SYNC)
    .refine((spends) => new Set(spends.map((x) => x.seq)).size === spends.length, 'must not name one seq twice')
    .meta({ description: `1 to ${MAX_SPENDS_PER_SYNC} spends, booked in seq order` }),
  metadata: metadataSchema.optional().meta({ description: "Carried in the sync's events; each spend's rows carry the spend's (or the allowance's)" }),
});
export const settleAllowanceInput = z.strictObject({
  allowanceId: uuidSchema,
  lastSeq: z.int().min(0).max(MAX_ALLOWANCE_SEQ).meta({ description: "The till's last seq: every spend up to it must be booked, and none after it" }),
  metadata: metadataField,
});

export type CreateWalletInput = z.input<typeof createWalletInput>;
export type WalletIdInput = z.input<typeof walletIdInput>;
export type UserIdInput = z.input<typeof userIdInput>;
export type DepositInput = z.input<typeof depositInput>;
export type WithdrawInput = z.input<typeof withdrawInput>;
export type TransferInput = z.input<typeof transferInput>;
export type WalletStatusInput = z.input<typeof walletStatusInput>;
export type SetLimitsInput = z.input<typeof setLimitsInput>;
export type ListTransactionsInput = z.input<typeof listTransactionsInput>;
export type EarnPointsInput = z.input<typeof earnPointsInput>;
export type SpendPointsInput = z.input<typeof spendPointsInput>;
export type AdjustPointsInput = z.input<typeof adjustPointsInput>;
export type PendingPointsInput = z.input<typeof pendingPointsInput>;
export type ExpirePointsInput = z.input<typeof expirePointsInput>;
export type ListPointTransactionsInput = z.input<typeof listPointTransactionsInput>;
export type ListEventsInput = z.input<typeof listEventsInput>;
/** A time may be given as a `Date` or an ISO 8601 string. */
export type ListTransactionsFilterInput = Omit<z.input<typeof listTransactionsInput>, 'from' | 'to'> & {
  from?: string | Date | undefined;
  to?: string | Date | undefined;
};
export type BalanceAtInput = Omit<z.input<typeof balanceAtInput>, 'at'> & { at: string | Date };
export type StatementInput = Omit<z.input<typeof statementInput>, 'from' | 'to'> & { from: string | Date; to: string | Date };
export type SearchWalletsInput = z.input<typeof searchWalletsInput>;
/** A time may be given as a `Date` or an ISO 8601 string. */
export type PlaceHoldInput = Omit<z.input<typeof placeHoldInput>, 'expiresAt'> & { expiresAt?: string | Date | undefined };
export type HoldIdInput = z.input<typeof holdIdInput>;
export type ListHoldsInput = z.input<typeof listHoldsInput>;
export type CaptureHoldInput = z.input<typeof captureHoldInput>;
export type VoidHoldInput = z.input<typeof voidHoldInput>;
export type IncrementHoldInput = z.input<typeof incrementHoldInput>;
export type RefundInput = z.input<typeof refundInput>;
export type RefundPointsInput = z.input<typeof refundPointsInput>;
export type ReversePointsInput = z.input<typeof reversePointsInput>;
export type ReverseDepositInput = z.input<typeof reverseDepositInput>;
export type PayInput = z.input<typeof payInput>;
/** A time may be given as a `Date` or an ISO 8601 string. */
export type OpenAllowanceInput = Omit<z.input<typeof openAllowanceInput>, 'spendUntil'> & { spendUntil?: string | Date | undefined };
export type AllowanceIdInput = z.input<typeof allowanceIdInput>;
export type ListAllowancesInput = z.input<typeof listAllowancesInput>;
/** A time may be given as a `Date` or an ISO 8601 string. */
export type AllowanceSpendInput = Omit<z.input<typeof allowanceSpendInput>, 'occurredAt'> & { occurredAt: string | Date };
export type SyncAllowanceInput = { allowanceId: string; spends: AllowanceSpendInput[]; metadata?: Record<string, string> | undefined };
export type SettleAllowanceInput = z.input<typeof settleAllowanceInput>;

// ---- resources: the shapes the facade returns and the HTTP API sends ----------------------------

const isoString = z.string().meta({ description: 'ISO 8601 UTC date-time', examples: ['2026-11-25T06:00:00.000Z'] });
export const actorResource = z
  .object({ sub: z.string(), role: z.string() })
  .nullable()
  .meta({ id: 'Actor', description: "Who caused the row: the caller's sub and role; null for a library caller that named none" });
/** A row's metadata as answered: the labels of the command that wrote it, null when it had none. */
const rowMetadata = z
  .record(z.string(), z.string())
  .nullable()
  .meta({ description: 'The metadata of the command that wrote it (see Metadata); null when it had none' });
const formattedAmount = z.string().meta({ description: "Decimal string with exactly the currency's minor-unit digits", examples: ['125000', '12.50'] });

export const walletResource = z
  .object({
    id: z.uuid(),
    userId: z.string(),
    currency: z.string(),
    balance: formattedAmount,
    heldAmount: formattedAmount.meta({ description: 'Reserved by active holds that have not expired, and what active allowances have not spent' }),
    availableBalance: formattedAmount.meta({ description: 'balance - heldAmount: what can be paid, transferred or held' }),
    status: z.enum(WALLET_STATUSES),
    version: z.int(),
    createdAt: isoString,
    updatedAt: isoString,
    closedAt: isoString.nullable(),
  })
  .meta({ id: 'Wallet' });

export const walletTransactionResource = z
  .object({
    id: z.uuid(),
    walletId: z.uuid(),
    type: walletTransactionTypeSchema,
    amount: formattedAmount,
    balanceAfter: formattedAmount,
    description: z.string().nullable(),
    reference: z.string().nullable(),
    transferId: z.uuid().nullable(),
    holdId: z.uuid().nullable(),
    refundOf: z.uuid().nullable(),
    actor: actorResource,
    createdAt: isoString,
    occurredAt: isoString.meta({ description: "Business time: the till's clock for a sale made offline, else createdAt" }),
    allowanceId: z.uuid().nullable().meta({ description: "The allowance a till's offline sale was spent from" }),
    allowanceSeq: z.int().nullable().meta({ description: "The till's seq of that sale" }),
    pairedWith: z.uuid().nullable().meta({ description: "A split payment's points row (paid in the same transaction; it names this row back)" }),
    metadata: rowMetadata,
  })
  .meta({ id: 'WalletTransaction' });

export const holdResource = z
  .object({
    id: z.uuid(),
    walletId: z.uuid(),
    amount: formattedAmount,
    capturedAmount: formattedAmount,
    status: holdStatusSchema.meta({ description: 'An active hold past expiresAt reads as expired, whether or not anything marked it so' }),
    reference: z.string().nullable(),
    description: z.string().nullable(),
    expiresAt: isoString,
    createdAt: isoString,
    updatedAt: isoString,
    metadata: rowMetadata,
  })
  .meta({ id: 'Hold' });

export const allowanceResource = z
  .object({
    id: z.uuid(),
    walletId: z.uuid(),
    tillId: z.string(),
    amount: formattedAmount,
    spentAmount: formattedAmount,
    spendCount: z.int(),
    lastSeq: z.int().meta({ description: 'The seq of the last spend booked; 0 before the first' }),
    status: allowanceStatusSchema.meta({ description: 'An active allowance past settleBy reads as expired, whether or not anything marked it so' }),
    spendUntil: isoString,
    settleBy: isoString.meta({ description: 'spendUntil plus the grace for forwarding: what is left stays reserved until then' }),
    maxSpendAmount: formattedAmount.nullable(),
    maxSpends: z.int().nullable(),
    createdAt: isoString,
    updatedAt: isoString,
    metadata: rowMetadata,
  })
  .meta({ id: 'Allowance' });

export const pointAccountResource = z
  .object({
    id: z.uuid(),
    userId: z.string(),
    totalPoints: z.int().meta({ description: 'Lifetime points credited: earned, confirmed and positive adjustments' }),
    availablePoints: z.int(),
    pendingPoints: z.int(),
    createdAt: isoString,
    updatedAt: isoString,
  })
  .meta({ id: 'PointAccount' });

export const pointTransactionResource = z
  .object({
    id: z.uuid(),
    accountId: z.uuid(),
    type: pointTransactionTypeSchema,
    points: z.int().meta({ description: 'Signed: spend, expire and cancel are negative' }),
    balanceAfter: z.int().meta({ description: 'Available points after this row' }),
    source: z.string(),
    description: z.string().nullable(),
    expiresAt: isoString.nullable(),
    refundOf: z.uuid().nullable(),
    reference: z.string().nullable().meta({ description: "A split payment's reference, shared with its money row" }),
    pairedWith: z.uuid().nullable().meta({ description: "A split payment's money row (paid in the same transaction; it names this row back)" }),
    actor: actorResource,
    createdAt: isoString,
    metadata: rowMetadata,
  })
  .meta({ id: 'PointTransaction' });

export const movementResult = z.object({ wallet: walletResource, transaction: walletTransactionResource }).meta({ id: 'MovementResult' });
export const transferResult = z
  .object({ transferId: z.uuid(), wallet: walletResource, transaction: walletTransactionResource })
  .meta({ id: 'TransferResult', description: "The source side only: the target wallet's balance is not disclosed" });
export const pointsResult = z.object({ account: pointAccountResource, transaction: pointTransactionResource }).meta({ id: 'PointsResult' });
export const payResult = z
  .object({
    wallet: walletResource,
    transaction: walletTransactionResource,
    account: pointAccountResource.nullable(),
    pointTransaction: pointTransactionResource.nullable(),
  })
  .meta({
    id: 'PayResult',
    description: "The payer's wallet and its withdrawal or transfer_out row; the owner's point account and its spend row (null without `points`)",
  });
export const expireResult = z.object({ expiredPoints: z.int(), accounts: z.int() }).meta({ id: 'ExpireResult' });
export const walletList = z.object({ items: z.array(walletResource) }).meta({ id: 'WalletList' });
export const walletTransactionPage = z
  .object({ items: z.array(walletTransactionResource), nextCursor: z.string().nullable() })
  .meta({ id: 'WalletTransactionPage' });
export const pointTransactionPage = z
  .object({ items: z.array(pointTransactionResource), nextCursor: z.string().nullable() })
  .meta({ id: 'PointTransactionPage' });
export const balanceSummary = z
  .object({ userId: z.string(), wallets: z.array(walletResource), points: pointAccountResource.nullable() })
  .meta({ id: 'BalanceSummary' });

export const eventPage = z
  .object({
    items: z.array(z.object({ position: z.string(), event: eventEnvelopeSchema })),
    nextAfter: z.string().nullable().meta({
      description: "Pass back as `after` for the next page: the last item's position, or the `after` given when there was none",
    }),
  })
  .meta({ id: 'EventPage', description: 'Events in position order; each `event` is an envelope as in the event catalogue (docs/events.md)' });
export const holdPage = z.object({ items: z.array(holdResource), nextCursor: z.string().nullable() }).meta({ id: 'HoldPage' });
export const captureResult = z
  .object({ hold: holdResource, wallet: walletResource, transaction: walletTransactionResource })
  .meta({ id: 'CaptureResult', description: 'The payer side: its wallet and its withdrawal or transfer_out row' });
export const voidResult = z.object({ hold: holdResource, wallet: walletResource }).meta({ id: 'VoidResult' });
export const refundResult = z
  .object({ wallet: walletResource, transaction: walletTransactionResource })
  .meta({ id: 'RefundResult', description: 'The payer side: its wallet and its refund_in row' });
export const depositReversalResult = z
  .object({ wallet: walletResource, transaction: walletTransactionResource })
  .meta({ id: 'DepositReversalResult', description: 'The wallet after the reversal and its deposit_reversal row' });
export const pointsRefundResult = z
  .object({ account: pointAccountResource, transaction: pointTransactionResource, expiredPoints: z.int() })
  .meta({ id: 'PointsRefundResult', description: 'expiredPoints: points of lots already expired, not returned' });
export const pointsReversalResult = z.object({ account: pointAccountResource, transaction: pointTransactionResource, shortfall: z.int() }).meta({
  id: 'PointsReversalResult',
  description:
    'shortfall: points already spent or expired, not clawed back now: they stay owed, and points a refund later gives back to the lot go to this reversal first',
});

export const allowancePage = z.object({ items: z.array(allowanceResource), nextCursor: z.string().nullable() }).meta({ id: 'AllowancePage' });
export const allowanceSyncResult = z
  .object({
    allowance: allowanceResource,
    results: z.array(
      z.object({
        seq: z.int(),
        status: z.enum(['booked', 'replayed']).meta({ description: 'replayed: this seq was booked before with the same content' }),
        transactionId: z.uuid().meta({ description: "The payer's withdrawal or transfer_out row" }),
      }),
    ),
  })
  .meta({ id: 'AllowanceSyncResult', description: 'One result per spend, in seq order' });

export const walletPage = z.object({ items: z.array(walletResource), nextCursor: z.string().nullable() }).meta({ id: 'WalletPage' });
export const balanceAtResource = z
  .object({ walletId: z.uuid(), at: isoString, balance: formattedAmount })
  .meta({ id: 'BalanceAt', description: "The balance from the wallet's ledger: the balanceAfter of the last row created at or before `at`" });
export const statementResource = z
  .object({
    walletId: z.uuid(),
    currency: z.string(),
    from: isoString,
    to: isoString,
    openingBalance: formattedAmount.meta({ description: 'The balance after the last row created before `from`' }),
    closingBalance: formattedAmount.meta({ description: 'The balance after the last row created before `to`' }),
    totals: z
      .object(
        Object.fromEntries(WALLET_TRANSACTION_TYPES.map((type) => [type, formattedAmount])) as Record<
          (typeof WALLET_TRANSACTION_TYPES)[number],
          typeof formattedAmount
        >,
      )
      .meta({ description: 'Per transaction type, the sum of the amounts of the rows of the period (every type, zero when none)' }),
    count: z.int().meta({ description: 'How many ledger rows the period holds' }),
  })
  .meta({
    id: 'Statement',
    description: 'openingBalance + (deposit + transfer_in + refund_in) - (withdrawal + transfer_out + refund_out + deposit_reversal) = closingBalance',
  });

const limitFigure = z.object({
  limit: formattedAmount.nullable().meta({ description: "The limit in force (the wallet's own, else its currency's default); null: none" }),
  used: formattedAmount,
});
const periodFigures = (what: string) =>
  z.object({
    period: z.string().meta({ description: what }),
    deposit: limitFigure,
    spend: limitFigure,
  });
export const walletLimitsResource = z
  .object({
    walletId: z.uuid(),
    currency: z.string(),
    timeZone: z.string().meta({ description: 'The time zone days and months are counted in (WALLET_LIMITS_TZ)' }),
    own: limitsSchema.nullable().meta({ description: "The wallet's own limits as set by PUT; null: its currency's defaults" }),
    maxBalance: limitFigure.meta({ description: '`used` is the balance' }),
    daily: periodFigures('The current local day, such as 2026-12-07'),
    monthly: periodFigures('The current calendar month, such as 2026-12'),
  })
  .meta({ id: 'WalletLimits', description: "A wallet's limits in force and what it used of each in the current period" });
