/**
 * The transport's own problems: who is calling, with what role, and what they sent over the wire.
 * They are the server's, not the domain's (wallet-core knows no HTTP); like the domain's errors
 * they carry a stable `code` of the API contract, and `STATUS_OF` maps both to HTTP statuses.
 */
export const TRANSPORT_CODES = [
  'UNAUTHORIZED',
  'FORBIDDEN',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  // Answered by the routing and the HTTP parser, before any route runs.
  'NOT_FOUND',
  'HEADERS_TOO_LARGE',
] as const;

export type TransportCode = (typeof TRANSPORT_CODES)[number];

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
  constructor(message = 'Authentication required') {
    super('UNAUTHORIZED', message);
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
