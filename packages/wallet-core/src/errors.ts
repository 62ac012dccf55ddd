/**
 * Typed errors with stable string codes (the domain's codes of the API contract; append-only,
 * never renamed). Callers compare `code`, not classes, so two copies of this package still agree.
 * Core knows no HTTP: the server maps codes to statuses in one table, and owns the codes of the
 * transport itself (authentication, roles, body size and media type).
 */

export const ERROR_CODES = [
  'VALIDATION_ERROR',
  'WALLET_NOT_FOUND',
  'POINT_ACCOUNT_NOT_FOUND',
  'TRANSACTION_NOT_FOUND',
  'WALLET_ALREADY_EXISTS',
  'WALLET_FROZEN',
  'WALLET_CLOSED',
  'WALLET_NOT_EMPTY',
  'IDEMPOTENCY_CONFLICT',
  'INSUFFICIENT_FUNDS',
  'INSUFFICIENT_POINTS',
  'CURRENCY_MISMATCH',
  'SAME_WALLET',
  'SERVICE_UNAVAILABLE',
  'INTERNAL_ERROR',
  'HOLD_NOT_FOUND',
  'HOLD_NOT_ACTIVE',
  'WALLET_HAS_HOLDS',
  'CAPTURE_EXCEEDS_HOLD',
  'NOT_REFUNDABLE',
  'REFUND_EXCEEDS_ORIGINAL',
  'ALLOWANCE_NOT_FOUND',
  'ALLOWANCE_EXISTS',
  'ALLOWANCE_NOT_ACTIVE',
  'ALLOWANCE_SEQ_GAP',
  'ALLOWANCE_SEQ_CONFLICT',
  'ALLOWANCE_EXCEEDED',
  'LIMIT_EXCEEDED',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The statuses of a hold that has ended (`HoldStatus` less `active`), named by HOLD_NOT_ACTIVE. */
export type EndedHoldStatus = 'captured' | 'voided' | 'expired';

const MARKER = Symbol.for('@goodgo/wallet-core/WalletError');

export interface ValidationIssue {
  path: string;
  message: string;
}

export class WalletError extends Error {
  static readonly code: ErrorCode = 'INTERNAL_ERROR';
  readonly code: ErrorCode;
  readonly [MARKER] = true;
  /**
   * The figures a caller acts on (a till resumes from `expectedSeq`), sent next to `detail` in a
   * problem body. Only what the caller may see: never an internal value.
   */
  readonly figures?: Readonly<Record<string, string | number>>;

  /** The code is the class's own static `code`: each class names its code once. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = (new.target as typeof WalletError).code;
    this.name = new.target.name;
  }
}

/** True for any error of this package, also one thrown by another copy of it. */
export function isWalletError(e: unknown): e is WalletError {
  return typeof e === 'object' && e !== null && MARKER in e && typeof (e as { code?: unknown }).code === 'string';
}

export class ValidationError extends WalletError {
  static override readonly code = 'VALIDATION_ERROR';
  constructor(
    message: string,
    readonly issues: readonly ValidationIssue[] = [{ path: '', message }],
  ) {
    super(message);
  }
}

export class WalletNotFoundError extends WalletError {
  static override readonly code = 'WALLET_NOT_FOUND';
  constructor(readonly walletId: string) {
    super(`Wallet ${walletId} not found`);
  }
}

export class PointAccountNotFoundError extends WalletError {
  static override readonly code = 'POINT_ACCOUNT_NOT_FOUND';
  constructor(readonly userId: string) {
    super(`No point account for user ${userId}`);
  }
}

export class TransactionNotFoundError extends WalletError {
  static override readonly code = 'TRANSACTION_NOT_FOUND';
  constructor(
    readonly transactionId: string,
    detail = `Transaction ${transactionId} not found`,
  ) {
    super(detail);
  }
}

export class WalletAlreadyExistsError extends WalletError {
  static override readonly code = 'WALLET_ALREADY_EXISTS';
  constructor(
    readonly userId: string,
    readonly currency: string,
  ) {
    super(`User ${userId} already has a ${currency} wallet`);
  }
}

export class WalletFrozenError extends WalletError {
  static override readonly code = 'WALLET_FROZEN';
  constructor(readonly walletId: string) {
    super(`Wallet ${walletId} is frozen`);
  }
}

export class WalletClosedError extends WalletError {
  static override readonly code = 'WALLET_CLOSED';
  constructor(readonly walletId: string) {
    super(`Wallet ${walletId} is closed`);
  }
}

export class WalletNotEmptyError extends WalletError {
  static override readonly code = 'WALLET_NOT_EMPTY';
  constructor(
    readonly walletId: string,
    readonly balance: string,
  ) {
    super(`Wallet ${walletId} still holds ${balance}; only an empty wallet can be closed`);
  }
}

export class IdempotencyConflictError extends WalletError {
  static override readonly code = 'IDEMPOTENCY_CONFLICT';
  constructor(readonly idempotencyKey: string) {
    super(`Idempotency key ${JSON.stringify(idempotencyKey)} was already used for a different request`);
  }
}

/** `available`: what the wallet may pay now (its balance less what holds and allowances reserve). */
export class InsufficientFundsError extends WalletError {
  static override readonly code = 'INSUFFICIENT_FUNDS';
  override readonly figures: { available: string; requested: string };
  constructor(
    readonly walletId: string,
    readonly available: string,
    readonly requested: string,
  ) {
    super(`Wallet ${walletId} has ${available} available, less than the ${requested} requested`);
    this.figures = { available, requested };
  }
}

export class InsufficientPointsError extends WalletError {
  static override readonly code = 'INSUFFICIENT_POINTS';
  override readonly figures: { available: number; requested: number };
  constructor(
    readonly available: number,
    readonly requested: number,
  ) {
    super(`${available} points available, ${requested} requested`);
    this.figures = { available, requested };
  }
}

export class CurrencyMismatchError extends WalletError {
  static override readonly code = 'CURRENCY_MISMATCH';
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`Currency ${actual} does not match ${expected}`);
  }
}

export class SameWalletError extends WalletError {
  static override readonly code = 'SAME_WALLET';
  constructor(readonly walletId: string) {
    super('A transfer needs two different wallets');
  }
}

export class ServiceUnavailableError extends WalletError {
  static override readonly code = 'SERVICE_UNAVAILABLE';
  constructor(message = 'Service unavailable', options?: { cause?: unknown }) {
    super(message, options);
  }
}

export class InternalError extends WalletError {
  static override readonly code = 'INTERNAL_ERROR';
  constructor(message = 'Internal error', options?: { cause?: unknown }) {
    super(message, options);
  }
}

export class HoldNotFoundError extends WalletError {
  static override readonly code = 'HOLD_NOT_FOUND';
  constructor(readonly holdId: string) {
    super(`Hold ${holdId} not found`);
  }
}

/** A hold that was captured, voided or has expired: `holdStatus` says which (a till that lost an answer learns what happened). */
export class HoldNotActiveError extends WalletError {
  static override readonly code = 'HOLD_NOT_ACTIVE';
  override readonly figures: { holdStatus: EndedHoldStatus };
  constructor(
    readonly holdId: string,
    readonly status: EndedHoldStatus,
  ) {
    super(`Hold ${holdId} was ${status}; only an active hold can change`);
    this.figures = { holdStatus: status };
  }
}

export class WalletHasHoldsError extends WalletError {
  static override readonly code = 'WALLET_HAS_HOLDS';
  constructor(
    readonly walletId: string,
    readonly heldAmount: string,
  ) {
    super(`Wallet ${walletId} has active holds or allowances reserving ${heldAmount}; void, capture or settle them before closing`);
  }
}

export class CaptureExceedsHoldError extends WalletError {
  static override readonly code = 'CAPTURE_EXCEEDS_HOLD';
  override readonly figures: { held: string; requested: string };
  constructor(
    readonly holdId: string,
    readonly held: string,
    readonly requested: string,
  ) {
    super(`Hold ${holdId} reserves ${held}, less than the ${requested} to capture`);
    this.figures = { held, requested };
  }
}

export class NotRefundableError extends WalletError {
  static override readonly code = 'NOT_REFUNDABLE';
  constructor(
    readonly transactionId: string,
    detail: string,
  ) {
    super(detail);
  }
}

export class RefundExceedsOriginalError extends WalletError {
  static override readonly code = 'REFUND_EXCEEDS_ORIGINAL';
  override readonly figures: { remaining: string; requested: string };
  constructor(
    readonly transactionId: string,
    readonly remaining: string,
    readonly requested: string,
  ) {
    super(`Only ${remaining} of transaction ${transactionId} is left to give back, ${requested} requested`);
    this.figures = { remaining, requested };
  }
}

export class AllowanceNotFoundError extends WalletError {
  static override readonly code = 'ALLOWANCE_NOT_FOUND';
  constructor(readonly allowanceId: string) {
    super(`Allowance ${allowanceId} not found`);
  }
}

export class AllowanceExistsError extends WalletError {
  static override readonly code = 'ALLOWANCE_EXISTS';
  constructor(
    readonly walletId: string,
    readonly tillId: string,
  ) {
    super(`Wallet ${walletId} already has an active allowance for till ${JSON.stringify(tillId)}`);
  }
}

export class AllowanceNotActiveError extends WalletError {
  static override readonly code = 'ALLOWANCE_NOT_ACTIVE';
  override readonly figures: { allowanceStatus: string };
  constructor(
    readonly allowanceId: string,
    readonly status: string,
  ) {
    super(`Allowance ${allowanceId} is ${status}, not active`);
    this.figures = { allowanceStatus: status };
  }
}

/** A spend whose `seq` is not the next one: the till must send the missing ones first. */
export class AllowanceSeqGapError extends WalletError {
  static override readonly code = 'ALLOWANCE_SEQ_GAP';
  override readonly figures: { expectedSeq: number };
  constructor(
    readonly allowanceId: string,
    readonly expectedSeq: number,
    readonly seq: number,
  ) {
    super(`Allowance ${allowanceId} expects seq ${expectedSeq} next, got ${seq}`);
    this.figures = { expectedSeq };
  }
}

/** A `seq` already booked with other content, or a settle naming fewer spends than were booked: a till restored from an old copy. */
export class AllowanceSeqConflictError extends WalletError {
  static override readonly code = 'ALLOWANCE_SEQ_CONFLICT';
  override readonly figures: { seq: number; lastSeq: number };
  constructor(
    readonly allowanceId: string,
    readonly seq: number,
    readonly lastSeq: number,
    detail = `Seq ${seq} of allowance ${allowanceId} was booked with other content`,
  ) {
    super(detail);
    this.figures = { seq, lastSeq };
  }
}

/** Spends beyond the allowance's amount, one of its caps, or its count. */
export class AllowanceExceededError extends WalletError {
  static override readonly code = 'ALLOWANCE_EXCEEDED';
  override readonly figures: { cap: string; limit: string; requested: string };
  constructor(
    readonly allowanceId: string,
    readonly cap: 'amount' | 'maxSpendAmount' | 'maxSpends',
    readonly limit: string,
    readonly requested: string,
  ) {
    super(`Allowance ${allowanceId}: ${cap} allows ${limit}, the spends need ${requested}`);
    this.figures = { cap, limit, requested };
  }
}

/**
 * A command that would take a wallet past one of its limits (its balance, or what is deposited or
 * spent in a local day or month): `used` is what the period already used (for `balance`, the
 * balance), `requested` what the command asked for.
 */
export class LimitExceededError extends WalletError {
  static override readonly code = 'LIMIT_EXCEEDED';
  override readonly figures: { limit: string; period: 'balance' | 'daily' | 'monthly'; kind: 'deposit' | 'spend' | 'balance'; used: string; requested: string };
  constructor(
    readonly limit: string,
    readonly period: 'balance' | 'daily' | 'monthly',
    readonly kind: 'deposit' | 'spend' | 'balance',
    readonly used: string,
    readonly requested: string,
  ) {
    super(
      period === 'balance'
        ? `The balance may not exceed ${limit}: it is ${used}, the command adds ${requested}`
        : `The ${period} ${kind} limit is ${limit}: ${used} used, the command asks for ${requested}`,
    );
    this.figures = { limit, period, kind, used, requested };
  }
}
