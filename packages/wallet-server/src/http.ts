import { ValidationError, type CommandOptions } from '@goodgo/wallet-core';
import type { Context } from 'hono';
import type { AppEnv } from './deps.js';
import { ForbiddenError, UnsupportedMediaTypeError } from './errors.js';
import { hasRole, highestRole } from './principal.js';

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;.*)?$/i;

/**
 * The JSON object in a request body; an absent body reads as `{}`. A body of another media type
 * is 415, malformed JSON or a non-object is 400. The size limit is enforced before this runs.
 */
export async function jsonBody(c: Context<AppEnv>): Promise<Record<string, unknown>> {
  const isJson = JSON_TYPE.test(c.req.header('content-type') ?? '');
  // A body of the wrong type is refused before it is read (the answer then closes the connection).
  const length = c.req.header('content-length');
  const announced = (length !== undefined && length.trim() !== '0') || c.req.header('transfer-encoding') !== undefined;
  if (announced && !isJson) throw new UnsupportedMediaTypeError();
  const raw = strictUtf8(new Uint8Array(await c.req.arrayBuffer()));
  if (raw.length === 0) return {};
  if (!isJson) throw new UnsupportedMediaTypeError();
  let parsed: unknown;
  let protoKey = false;
  try {
    // An own "__proto__" key cannot become data (a JavaScript object drops or misreads it as its
    // prototype), so it is refused wherever it appears, never silently left out.
    parsed = JSON.parse(raw, (key, value: unknown) => {
      if (key === '__proto__') protoKey = true;
      return value;
    });
  } catch {
    throw new ValidationError('The body is not valid JSON', [{ path: '', message: 'malformed JSON' }]);
  }
  if (protoKey) throw new ValidationError('The body names "__proto__"', [{ path: '', message: 'must not name "__proto__" anywhere' }]);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ValidationError('The body must be a JSON object', [{ path: '', message: 'must be an object' }]);
  }
  return parsed as Record<string, unknown>;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A body as text, refused when it is not well-formed UTF-8: a lenient decoder would turn each bad
 * byte into U+FFFD, so two different requests would name one user.
 */
function strictUtf8(bytes: Uint8Array): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    throw new ValidationError('The body is not well-formed UTF-8', [{ path: '', message: 'invalid UTF-8' }]);
  }
}

/**
 * The query's parameters (the first of each name), refused when any name or value does not
 * percent-decode to well-formed UTF-8 (`%FF`, an encoded surrogate `%ED%A0%80`): hono would keep
 * such a value undecoded, and it would be looked up as text no one sent.
 */
export function strictQuery(c: Context<AppEnv>): Record<string, string> {
  const search = searchOf(c.req.url);
  const out: Record<string, string> = {};
  if (search === '') return out;
  for (const pair of search.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const [name, value] = eq < 0 ? [pair, ''] : [pair.slice(0, eq), pair.slice(eq + 1)];
    const decode = (part: string, what: string) => {
      try {
        return decodeURIComponent(part.replace(/\+/g, ' '));
      } catch {
        throw new ValidationError(`The query parameter ${what} is not well-formed UTF-8`, [{ path: what, message: 'invalid percent-encoded UTF-8' }]);
      }
    };
    const key = decode(name, 'name');
    const decoded = decode(value, key);
    if (!Object.hasOwn(out, key)) out[key] = decoded;
  }
  return out;
}

/**
 * The query of an absolute URL without its `?`: what `new URL(url).search.slice(1)` answers once
 * decoded, without parsing the whole URL on every request. The URL parser would percent-encode a
 * few characters (`'`, and what the node server lets through unencoded), which the decoding above
 * undoes alike; a fragment is not part of the query, whether it follows the query or precedes it.
 */
function searchOf(url: string): string {
  const question = url.indexOf('?');
  if (question < 0) return '';
  const hash = url.indexOf('#');
  if (hash >= 0 && hash < question) return '';
  return hash < 0 ? url.slice(question + 1) : url.slice(question + 1, hash);
}

/** `metadata.<key>` (the contract's form) or `metadata[<key>]` (OpenAPI's deepObject form). */
const METADATA_PARAM = /^metadata(?:\.(.*)|\[(.*)\])$/s;

/**
 * A query with its metadata filter gathered: every `metadata.<key>` (or `metadata[<key>]`)
 * parameter becomes one key of a `metadata` object, which the route's schema then checks like any
 * metadata. A plain `metadata` parameter next to them, or a `__proto__` key, is refused.
 */
export function withMetadataFilter(query: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const metadata = new Map<string, string>();
  for (const [name, value] of Object.entries(query)) {
    const m = METADATA_PARAM.exec(name);
    if (m === null) {
      out[name] = value;
      continue;
    }
    const key = m[1] ?? m[2] ?? '';
    if (key === '__proto__') throw new ValidationError('Invalid metadata filter', [{ path: 'metadata', message: 'keys must not be "__proto__"' }]);
    if (!metadata.has(key)) metadata.set(key, value);
  }
  if (metadata.size === 0) return out;
  if (Object.hasOwn(out, 'metadata')) {
    throw new ValidationError('Invalid metadata filter', [{ path: 'metadata', message: 'give metadata.<key>=<value> parameters, not metadata itself' }]);
  }
  out.metadata = Object.fromEntries(metadata);
  return out;
}

/** The caller's `sub` when it may only touch its own resources (no service role), else undefined. */
export function ownerScope(c: Context<AppEnv>): string | undefined {
  const p = c.get('principal');
  return hasRole(p, 'service') ? undefined : p.sub;
}

/**
 * The user a request is about: the caller, or the `userId` it names. Naming someone else needs the
 * service role; for a plain user that is FORBIDDEN (a parameter it may not use), not a lookup.
 */
export function subjectUser(c: Context<AppEnv>, requested: unknown): string {
  const p = c.get('principal');
  if (requested === undefined || requested === null || requested === p.sub) return p.sub;
  if (!hasRole(p, 'service')) throw new ForbiddenError('Only a service or admin may act for another user');
  if (typeof requested !== 'string') throw new ValidationError('Invalid userId', [{ path: 'userId', message: 'must be a string' }]);
  return requested;
}

/** Idempotency key (scoped to the caller) and ownership scope for a command. */
export function commandOptions(c: Context<AppEnv>, asUser: string | undefined = ownerScope(c)): CommandOptions {
  // The key is checked where every command's key is: in the facade.
  const key = c.req.header('idempotency-key');
  const principal = c.get('principal');
  // The audit trail: who acted, in the highest role the token gave, and the request that did it.
  return {
    idempotencyKey: key,
    idempotencyScope: principal.sub,
    asUser,
    actor: { sub: principal.sub, role: highestRole(principal) },
    requestId: c.get('requestId'),
  };
}
