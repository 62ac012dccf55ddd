import { schemas } from '@goodgo/wallet-core';
import { z } from 'zod';

/**
 * The till's inputs, built from the library's own schemas so a sale refused by the till reads
 * exactly as the service would refuse it (amount form, clean text, UUIDs in any case).
 */
const { uuidSchema, amountSchema, referenceSchema, descriptionSchema, isoDateTimeSchema, earnPointsInput, metadataSchema } = schemas;

/** A till's name: it becomes part of idempotency keys, so visible ASCII only. */
export const tillIdSchema = z.string().regex(/^[\x21-\x7e]{1,100}$/, 'must be 1 to 100 visible ASCII characters');

export const provisionInput = z.strictObject({
  walletId: uuidSchema,
  amount: amountSchema,
  // A Date goes through the same date rule as a string (a year-10000 Date writes as "+010000-…").
  spendUntil: z
    .union([
      z
        .date()
        .transform((d) => d.toISOString())
        .pipe(isoDateTimeSchema),
      isoDateTimeSchema,
    ])
    .optional(),
  maxSpendAmount: amountSchema.optional(),
  maxSpends: z.int().positive().max(1_000_000).optional(),
  /** Kept on the allowance at the service, and on the rows of each sale that carries none of its own. */
  metadata: metadataSchema.optional(),
});

export const spendInput = z.strictObject({
  walletId: uuidSchema,
  amount: amountSchema,
  reference: referenceSchema.optional(),
  description: descriptionSchema.optional(),
  toWalletId: uuidSchema.optional(),
  /** The sale's labels (its order, cashier): kept with the sale and forwarded with it, so a replay sends the same. */
  metadata: metadataSchema.optional(),
});

export const earnInput = earnPointsInput.pick({ userId: true, points: true, source: true, description: true, metadata: true });

export const walletInput = z.strictObject({ walletId: uuidSchema });

export type ProvisionInput = z.input<typeof provisionInput>;
export type SpendInput = z.input<typeof spendInput>;
export type EarnInput = z.input<typeof earnInput>;
export type WalletInput = z.input<typeof walletInput>;
