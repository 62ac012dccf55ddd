/**
 * The till's own refusals, in the style of the library's errors: a stable string `code` per
 * class, compared by code (`isTillError(e) && e.code === 'ALLOWANCE_EXPIRED'`), never by class, so
 * two copies of this package agree. Invalid input is the library's `ValidationError` and an
 * unreachable service the library's `ServiceUnavailableError`; an answer of the service that
 * refuses a request is a `ServerProblemError` carrying the service's own `code`.
 */

export const TILL_ERROR_CODES = ['NO_ALLOWANCE', 'ALLOWANCE_EXCEEDED', 'ALLOWANCE_EXPIRED', 'ALLOWANCE_EXISTS', 'ALLOWANCE_SEQ_CONFLICT'] as const;
export type TillErrorCode = (typeof TILL_ERROR_CODES)[number];

const MARKER = Symbol.for('@goodgo/wallet-till/TillError');

export class TillError extends Error {
  static readonly code: TillErrorCode = 'NO_ALLOWANCE';
  readonly code: TillErrorCode;
  readonly [MARKER] = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = (new.target as typeof TillError).code;
    this.name = new.target.name;
  }
}

/** True for any refusal of this package, also one thrown by another copy of it. */
export function isTillError(e: unknown): e is TillError {
  return typeof e === 'object' && e !== null && MARKER in e && typeof (e as { code?: unknown }).code === 'string';
}

export class NoAllowanceError extends TillError {
  static override readonly code = 'NO_ALLOWANCE';
  constructor(readonly walletId: string) {
    super(`This till holds no active allowance for wallet ${walletId}: provision one while online`);
  }
}

/** Which cap a sale would pass: what is left of the amount, the largest single sale, or the count. */
export type AllowanceCap = 'amount' | 'maxSpendAmount' | 'maxSpends';

export class AllowanceExceededError extends TillError {
  static override readonly code = 'ALLOWANCE_EXCEEDED';
  constructor(
    readonly walletId: string,
    readonly cap: AllowanceCap,
    readonly remaining: string,
    readonly requested: string,
  ) {
    super(
      cap === 'amount'
        ? `The allowance for wallet ${walletId} has ${remaining} left, less than the ${requested} requested`
        : `A sale of ${requested} would pass the allowance's ${cap} for wallet ${walletId}`,
    );
  }
}

export class AllowanceExpiredError extends TillError {
  static override readonly code = 'ALLOWANCE_EXPIRED';
  constructor(
    readonly walletId: string,
    readonly allowanceId: string,
  ) {
    super(`The allowance ${allowanceId} for wallet ${walletId} is past its spendUntil by this till's own clock`);
  }
}

export class AllowanceExistsError extends TillError {
  static override readonly code = 'ALLOWANCE_EXISTS';
  constructor(
    readonly walletId: string,
    readonly allowanceId: string,
  ) {
    super(`This till still holds allowance ${allowanceId} for wallet ${walletId}: settle it first`);
  }
}

export class AllowanceSeqConflictError extends TillError {
  static override readonly code = 'ALLOWANCE_SEQ_CONFLICT';
  constructor(
    readonly walletId: string,
    readonly allowanceId: string,
    detail: string,
  ) {
    super(`Allowance ${allowanceId} for wallet ${walletId}: ${detail}`);
  }
}

/** An RFC 9457 problem as the service answers it, with whatever figures it carries. */
export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  code: string;
  [field: string]: unknown;
}

/** The service refused a request: `code` is the service's (`ALLOWANCE_SEQ_CONFLICT`, `WALLET_FROZEN`, …). */
export class ServerProblemError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(readonly problem: Problem) {
    super(`${problem.status} ${problem.code}: ${problem.detail ?? problem.title ?? ''}`);
    this.code = problem.code;
    this.status = problem.status;
    this.name = 'ServerProblemError';
  }
}
