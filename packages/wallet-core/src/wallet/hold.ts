import type { Metadata } from '../metadata.js';
import type { Money } from '../money/money.js';
import { DAY_MS, assertAhead } from '../validate.js';

/** The longest a hold may reserve money: a till's pre-authorisation, not a savings plan. */
export const MAX_HOLD_TTL_MS = 30 * DAY_MS;
/**
 * The most holds past their expiry that one change marks `expired`. A wallet can gather any number
 * of holds that lapse unmarked (placed, then left with no change to the wallet until after they
 * expired); marking them all at its next change made that change's work grow with them (160 000
 * would pass the statement timeout, and so would every retry). The rest are marked by the changes
 * after it, this many at a time, and reserve nothing meanwhile (`holdCounts`). A store loads at most
 * this many of them with a wallet, beside every hold that may still count.
 */
export const EXPIRED_HOLDS_PER_CHANGE = 100;

/** How long a hold placed without `expiresAt` lasts, unless the service is configured otherwise. */
export const DEFAULT_HOLD_TTL_MS = 7 * DAY_MS;

/** Every status a hold can have; the TypeScript union, the zod enum and the SQL check derive from it. */
export const HOLD_STATUSES = ['active', 'captured', 'voided', 'expired'] as const;
export type HoldStatus = (typeof HOLD_STATUSES)[number];

/**
 * A reservation of part of a wallet's balance: the money stays in the wallet, but withdrawals,
 * transfers and other holds can no longer use it until the hold is captured (taken, all or in
 * part, once), voided, or passes `expiresAt`.
 */
export interface Hold {
  readonly id: string;
  readonly walletId: string;
  readonly amount: Money;
  /** What a capture took; zero until then. The rest of `amount` went back to the wallet. */
  readonly capturedAmount: Money;
  /** As stored: an `active` hold past `expiresAt` may not have been marked `expired` yet. */
  readonly status: HoldStatus;
  readonly reference: string | null;
  readonly description: string | null;
  readonly expiresAt: Date;
  readonly createdAt: Date;
  /** The labels of the command that placed it; a capture that names none writes these on its rows. */
  readonly metadata: Metadata | null;
  readonly updatedAt: Date;
}

/**
 * Whether a hold reserves money at `now`: active and not yet expired. The one predicate for
 * "counts against the balance"; a hold stops counting at the very instant of `expiresAt`, whether
 * or not anything has marked it expired since.
 */
export function holdCounts(hold: Hold, now: Date): boolean {
  return hold.status === 'active' && hold.expiresAt.getTime() > now.getTime();
}

/** The status a reader sees at `now`: an active hold past its expiry reads as `expired`. */
export function holdStatusAt(hold: Hold, now: Date): HoldStatus {
  return hold.status === 'active' && !holdCounts(hold, now) ? 'expired' : hold.status;
}

/** A hold's expiry must lie after `now` and at most `MAX_HOLD_TTL_MS` ahead. */
export function assertHoldExpiry(expiresAt: Date, now: Date): void {
  assertAhead('expiresAt', expiresAt, now, MAX_HOLD_TTL_MS);
}
