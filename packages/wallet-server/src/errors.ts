/**
 * Every error the server answers, in one place: the transport's own problems (who is calling,
 * with what role, and what they sent over the wire), the one table from codes to HTTP statuses,
 * the problem+json body, and the answer to requests Node's HTTP parser refuses.
 *
 * The transport's errors are the server's, not the domain's (wallet-core knows no HTTP); like the
 * domain's errors they carry a stable `code` of the API contract, and `STATUS_OF` maps both.
 */
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorCode, ValidationIssue } from '@goodgo/wallet-core';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export const TRANSPORT_CODES = [
  'UNAUTHORIZED',
  'FORBIDDEN',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  // Answered by the routing and the HTTP parser, before any route runs.
  'NOT_FOUND',
  'HEADERS_TOO_LARGE',
  // Over the caller's rate limit (WALLET_RATE_LIMIT), before the route runs.
  'RATE_LIMITED',
] as const;

export type TransportCode = (typeof TRANSPORT_CODES)[number];

/** Seconds a client should wait before retrying a 503 (the database blinked or is away, or the server drains): the `Retry-After` of every 503. */
export const RETRY_AFTER = '1';

export class TransportError extends Error {
  constructor(
    readonly code: TransportCode,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** 401: no usable bearer token. The answer carries `WWW-Authenticate`. */
export class UnauthorizedError extends TransportError {
  /**
   * Which check failed, for the log only (the operator's question when an IAM's tokens are
   * refused): `message` goes to the client, this may say more.
   */
  readonly reason: string;
  constructor(message = 'Authentication required', reason: string = message) {
    super('UNAUTHORIZED', message);
    this.reason = reason;
  }
}

/** 403: a role too low for an operation on a resource the caller may see. */
export class ForbiddenError extends TransportError {
  constructor(message = 'This operation needs a higher role') {
    super('FORBIDDEN', message);
  }
}

/** 413: a body over the configured limit, refused before it is read in full. */
export class PayloadTooLargeError extends TransportError {
  constructor(message = 'Request body too large') {
    super('PAYLOAD_TOO_LARGE', message);
  }
}

/** 415: a body that is not JSON. */
export class UnsupportedMediaTypeError extends TransportError {
  constructor(message = 'Request body must be application/json') {
    super('UNSUPPORTED_MEDIA_TYPE', message);
  }
}

/** 429: the caller used up its rate limit; the answer carries `Retry-After` and the `RateLimit` headers. */
export class RateLimitedError extends TransportError {
  constructor(message = 'Too many requests for this caller: retry after the time in Retry-After') {
    super('RATE_LIMITED', message);
  }
}

/**
 * Every code a problem can carry: the domain's (wallet-core) and the transport's (this server).
 */
export type ProblemCode = ErrorCode | TransportCode;

/**
 * The one table from error codes to HTTP statuses. Typed as a full Record, so a code added to
 * wallet-core or to the transport without a status here fails to compile.
 */
export const STATUS_OF: Record<ProblemCode, Exclude<ContentfulStatusCode, -1>> = {
  NOT_FOUND: 404,
  HEADERS_TOO_LARGE: 431,
  RATE_LIMITED: 429,
  VALIDATION_ERROR: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  WALLET_NOT_FOUND: 404,
  POINT_ACCOUNT_NOT_FOUND: 404,
  TRANSACTION_NOT_FOUND: 404,
  WALLET_ALREADY_EXISTS: 409,
  WALLET_FROZEN: 409,
  WALLET_CLOSED: 409,
  WALLET_NOT_EMPTY: 409,
  IDEMPOTENCY_CONFLICT: 409,
  INSUFFICIENT_FUNDS: 422,
  INSUFFICIENT_POINTS: 422,
  CURRENCY_MISMATCH: 422,
  SAME_WALLET: 422,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  SERVICE_UNAVAILABLE: 503,
  INTERNAL_ERROR: 500,
  HOLD_NOT_FOUND: 404,
  HOLD_NOT_ACTIVE: 409,
  WALLET_HAS_HOLDS: 409,
  CAPTURE_EXCEEDS_HOLD: 422,
  NOT_REFUNDABLE: 422,
  REFUND_EXCEEDS_ORIGINAL: 422,
  ALLOWANCE_NOT_FOUND: 404,
  ALLOWANCE_EXISTS: 409,
  ALLOWANCE_NOT_ACTIVE: 409,
  ALLOWANCE_SEQ_GAP: 409,
  ALLOWANCE_SEQ_CONFLICT: 409,
  ALLOWANCE_EXCEEDED: 422,
  LIMIT_EXCEEDED: 422,
};

const TITLES: Record<ProblemCode, string> = {
  NOT_FOUND: 'No such route',
  HEADERS_TOO_LARGE: 'Request headers too large',
  RATE_LIMITED: 'Too many requests',
  VALIDATION_ERROR: 'The request is not valid',
  UNAUTHORIZED: 'Authentication required',
  FORBIDDEN: 'Not allowed for this role',
  WALLET_NOT_FOUND: 'Wallet not found',
  POINT_ACCOUNT_NOT_FOUND: 'Point account not found',
  TRANSACTION_NOT_FOUND: 'Transaction not found',
  WALLET_ALREADY_EXISTS: 'Wallet already exists',
  WALLET_FROZEN: 'Wallet is frozen',
  WALLET_CLOSED: 'Wallet is closed',
  WALLET_NOT_EMPTY: 'Wallet is not empty',
  IDEMPOTENCY_CONFLICT: 'Idempotency key reused with a different request',
  INSUFFICIENT_FUNDS: 'Insufficient funds',
  INSUFFICIENT_POINTS: 'Insufficient points',
  CURRENCY_MISMATCH: 'Currency mismatch',
  SAME_WALLET: 'Source and target are the same wallet',
  PAYLOAD_TOO_LARGE: 'Payload too large',
  UNSUPPORTED_MEDIA_TYPE: 'Unsupported media type',
  SERVICE_UNAVAILABLE: 'Service unavailable',
  INTERNAL_ERROR: 'Internal error',
  HOLD_NOT_FOUND: 'Hold not found',
  HOLD_NOT_ACTIVE: 'Hold is not active',
  WALLET_HAS_HOLDS: 'Wallet has active holds',
  CAPTURE_EXCEEDS_HOLD: 'Capture exceeds the hold',
  NOT_REFUNDABLE: 'Transaction cannot be refunded',
  REFUND_EXCEEDS_ORIGINAL: 'Refund exceeds what is left of the original',
  ALLOWANCE_NOT_FOUND: 'Allowance not found',
  ALLOWANCE_EXISTS: 'The till already has an active allowance on this wallet',
  ALLOWANCE_NOT_ACTIVE: 'Allowance is not active',
  ALLOWANCE_SEQ_GAP: 'A spend is missing before this seq',
  ALLOWANCE_SEQ_CONFLICT: 'This seq was booked with other content',
  ALLOWANCE_EXCEEDED: 'The spends exceed the allowance',
  LIMIT_EXCEEDED: 'The command would pass a limit of the wallet',
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ProblemCode;
  instance?: string;
  requestId?: string;
  errors?: readonly ValidationIssue[];
}

export function problem(
  code: ProblemCode,
  detail: string,
  extra: Partial<Problem> & {
    /** The figures the caller acts on, sent as fields next to `detail` (a till resumes from `expectedSeq`). */
    figures?: Readonly<Record<string, string | number>> | undefined;
  } = {},
): Problem {
  const { figures, ...rest } = extra;
  return {
    type: `urn:goodgo:wallet:problem:${code.toLowerCase().replace(/_/g, '-')}`,
    title: TITLES[code],
    status: STATUS_OF[code],
    detail,
    ...figures,
    code,
    ...rest,
  };
}

/**
 * Requests that never reach the app because Node's HTTP parser refused them: headers over the
 * limit (431) or a request that is not HTTP (400). Node would answer these with a bare status
 * line and no body; every error of this service is problem+json, these included. The connection
 * is closed after the answer: the parser cannot find where the next request would start.
 */
export function answerParserErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // The client went away, or an answer is already on its way: nothing to say.
    if (err.code === 'ECONNRESET' || err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || !socket.writable) {
      socket.destroy();
      return;
    }
    const body: Problem =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? problem('HEADERS_TOO_LARGE', 'The request headers are larger than the server accepts')
        : problem('VALIDATION_ERROR', 'The request is not valid HTTP');
    const json = JSON.stringify(body);
    const reason = body.status === 431 ? 'Request Header Fields Too Large' : 'Bad Request';
    socket.end(
      `HTTP/1.1 ${body.status} ${reason}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
    );
  });
}
