import { parseInput, wasReplayed, type CommandOptions, type ErrorCode } from '@goodgo/wallet-core';
import type { Context, Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import type { AppEnv, Deps } from './deps.js';
import { ForbiddenError, STATUS_OF, type ProblemCode } from './errors.js';
import { commandOptions, jsonBody, ownerScope, strictQuery, subjectUser, withMetadataFilter } from './http.js';
import type { Metrics } from './metrics.js';
import { hasRole, type Principal, type Role } from './principal.js';

/**
 * One route, declared once: its path, request and response schemas, who may call it and whose
 * resource it touches. The router, the validator, the authorisation check and the OpenAPI
 * document all read this declaration (see `bindRoutes` and `openApiDocument`), so none of them
 * can drift from the others.
 *
 * Adding a route: write one `route({...})` next to its neighbours in `routes/*.ts` and add it to
 * that file's list; order does not matter (a fixed segment is matched before a `{param}`, see `bindRoutes`).
 * The handler receives the validated, typed request; it returns the response body, which must
 * match `response.schema` at compile time.
 */
export interface RouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, R extends z.ZodType> {
  /** `put` sets a resource to the body (idempotent by itself); `post` runs a command. */
  method: 'get' | 'post' | 'put';
  /** The full path in OpenAPI form: `/api/v1/wallets/{id}`. */
  path: string;
  summary: string;
  /**
   * The least role that may call it; `anyone` needs no token (health, metrics, this document).
   * A caller below the role gets FORBIDDEN, or the resource's NOT_FOUND when `owner` names a
   * wallet the caller may not see (someone else's wallet answers exactly as a missing one).
   */
  role: Role | 'anyone';
  /**
   * Whose resource the request touches, for a caller without the service role:
   * - `wallet`: the wallet it acts on. Someone else's answers WALLET_NOT_FOUND (the facade is
   *   called with `asUser`, the caller's `sub`).
   * - `hold`, `allowance`: the hold or allowance it acts on, reached by its own id; someone else's
   *   answers HOLD_NOT_FOUND or ALLOWANCE_NOT_FOUND.
   * - `user`: the user it names (`undefined`: the caller), handed to the handler as `userId`.
   *   Naming someone else is FORBIDDEN.
   */
  owner?:
    | { wallet: (req: Validated<P, Q, B>) => string }
    | { hold: (req: Validated<P, Q, B>) => string }
    | { allowance: (req: Validated<P, Q, B>) => string }
    | { user: (req: Validated<P, Q, B>) => string | undefined };
  params?: P;
  query?: Q;
  body?: B;
  response: { status: 200 | 201; schema: R; description?: string; mediaType?: string };
  /**
   * The domain's codes the handler can answer besides those the declaration implies (see
   * `problemCodes`): each becomes a problem response of its status in the OpenAPI document, its
   * `code` an enumeration of them, so a generated client knows every code a route can answer.
   */
  codes?: readonly ErrorCode[];
  /** Answers that are not problems (health's 503): documented with their own schema. */
  otherResponses?: readonly { status: Status; description: string; schema: z.ZodType }[];
  /** Counts a committed answer in the metrics (a replay was counted the first time). */
  counts?: (metrics: Metrics, result: z.output<R>) => void;
  /**
   * Returns the response body. Return a `Response` only where the status itself is the answer
   * (health) or the body is not JSON (metrics).
   */
  handler: (deps: Deps, req: Request<P, Q, B>, c: Context<AppEnv>) => Promise<z.output<R> | Response>;
}

export interface Validated<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  params: z.output<P>;
  query: z.output<Q>;
  body: z.output<B>;
}

export interface Request<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> extends Validated<P, Q, B> {
  principal: Principal;
  /** The user the request is about: `owner.user`'s answer once authorised, else the caller. */
  userId: string;
  /**
   * For the facade: the idempotency key (scoped to the caller) on a POST, and `asUser` where the
   * route's owner is a wallet or a hold and the caller is no service, so that someone else's is hidden.
   */
  options: CommandOptions;
}

/** An HTTP status that can carry a body (hono's list without its `-1` for unofficial codes). */
export type Status = Exclude<ContentfulStatusCode, -1>;

/** A route without params, a query or a body: no key is kept (the answer is `{}` whatever was sent). */
type None = z.ZodObject<Record<never, z.ZodType>>;
const NO_BODY = z.strictObject({});

/** Declares a route; the type parameters come from the schemas, so the handler is typed by them. */
export function route<P extends z.ZodType = None, Q extends z.ZodType = None, B extends z.ZodType = None, R extends z.ZodType = z.ZodType>(
  spec: RouteSpec<P, Q, B, R>,
): RouteSpec<P, Q, B, R> {
  return spec;
}

// A list of routes of different shapes; each was type-checked against its own schemas by `route()`.
export type AnyRoute = RouteSpec<any, any, any, any>;

/**
 * Who may call a route, derived once from its declaration: the authorisation check and the OpenAPI
 * document both read this, so what is enforced and what is documented cannot part.
 */
export interface Access {
  /** `anyone`: no token, nothing validated. */
  readonly role: Role | 'anyone';
  /** Someone else's wallet or hold answers as a missing one (404), for a caller below the service role. */
  readonly hidesOthers: boolean;
  /** The request names a user, who must be the caller unless it has the service role. */
  readonly namesUser: boolean;
  /** Whether FORBIDDEN (403) can be the answer: a role above `user`, or a user named. */
  readonly mayForbid: boolean;
  /** Who may call it, in words. */
  readonly allowedFor: string;
}

export function access(r: AnyRoute): Access {
  const hidesOthers = r.owner !== undefined && !('user' in r.owner);
  const namesUser = r.owner !== undefined && 'user' in r.owner;
  const allowedFor =
    r.role === 'admin'
      ? 'admin'
      : r.role === 'service'
        ? 'service, admin'
        : namesUser
          ? 'user (own); service, admin (any user)'
          : hidesOthers
            ? 'owner; service, admin'
            : 'any authenticated caller';
  return { role: r.role, hidesOthers, namesUser, mayForbid: r.role === 'service' || r.role === 'admin' || namesUser, allowedFor };
}

/** Who answers as missing when the owner is someone else: the code of the resource the route reaches. */
const HIDDEN_AS = { wallet: 'WALLET_NOT_FOUND', hold: 'HOLD_NOT_FOUND', allowance: 'ALLOWANCE_NOT_FOUND' } as const satisfies Record<string, ErrorCode>;

/**
 * Every problem code a route can answer, by status: those any route with a token can (a bad
 * request or token, a fault, the database away), those its declaration implies (a role above
 * `user` or a user named: FORBIDDEN; someone else's resource: its not-found code; a POST: the
 * idempotency conflict and the body's own problems), and the domain's codes it lists. The OpenAPI
 * document and the tests that check every answer against it both read this.
 */
export function problemCodes(r: AnyRoute): ReadonlyMap<Status, readonly ProblemCode[]> {
  const rule = access(r);
  // RATE_LIMITED: every route with a token counts against the caller's rate limit (when one is set).
  const codes = new Set<ProblemCode>(['VALIDATION_ERROR', 'UNAUTHORIZED', 'RATE_LIMITED', 'INTERNAL_ERROR', 'SERVICE_UNAVAILABLE', ...(r.codes ?? [])]);
  if (rule.mayForbid) codes.add('FORBIDDEN');
  if (r.owner !== undefined && !('user' in r.owner)) {
    for (const kind of ['wallet', 'hold', 'allowance'] as const) if (kind in r.owner) codes.add(HIDDEN_AS[kind]);
  }
  if (r.method !== 'get') for (const code of ['IDEMPOTENCY_CONFLICT', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'] as const) codes.add(code);
  const byStatus = new Map<Status, ProblemCode[]>();
  for (const code of [...codes].sort()) {
    const status = STATUS_OF[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return new Map([...byStatus].sort(([a], [b]) => a - b));
}

/** The path as a label (metrics, logs): `/api/v1/wallets/{id}` → `/api/v1/wallets/:id`. */
export const honoPath = (path: string): string => path.replace(/\{(\w+)\}/g, ':$1');

/**
 * Where a path has a `{param}` and where a fixed segment, as a key that sorts a fixed segment
 * before a param in the same place: `/wallets/summary` → `000`, `/wallets/{id}` → `001`.
 */
const paramPlaces = (path: string): string =>
  path
    .split('/')
    .map((segment) => (segment.startsWith('{') ? '1' : '0'))
    .join('');

/**
 * Registers each route on the app: validate, authorise, run, send. Where a fixed segment and a
 * `{param}` could both match a request (`/wallets/summary`, `/wallets/{id}`), the route with the
 * fixed segment is registered first and answers: a param never takes a name that is a route's.
 * Any other value reaches the param's route, whose validation says what is wrong (a param that
 * is no UUID: 400), not the router (404).
 *
 * A param is not constrained in the router (`{id}` to a UUID pattern): the trie router tests such
 * a pattern once for every route below it, with a lookahead for the segment that follows (a GET
 * of a wallet matched in 21-31 µs, against 9-13 µs unconstrained, measured alone); the order
 * does the same work once, here.
 */
export function bindRoutes(app: Hono<AppEnv>, routes: readonly AnyRoute[], deps: Deps): void {
  const ordered = [...routes].sort((a, b) => (paramPlaces(a.path) < paramPlaces(b.path) ? -1 : paramPlaces(a.path) > paramPlaces(b.path) ? 1 : 0));
  for (const r of ordered) {
    const bound: Bound = { label: honoPath(r.path), rule: access(r) };
    app.on(r.method.toUpperCase(), bound.label, (c) => answer(c, r, bound, deps));
  }
}

/**
 * What a route's declaration says, worked out once when it is bound rather than on each request:
 * its label (a regex replace) and its access rule (an object and its words).
 */
interface Bound {
  readonly label: string;
  readonly rule: Access;
}

async function answer(c: Context<AppEnv>, r: AnyRoute, bound: Bound, deps: Deps): Promise<Response> {
  c.set('route', bound.label);
  const req = r.role === 'anyone' ? PUBLIC : authorise(c, r, bound.rule, deps);
  // A GET's request is checked without waiting: an await per request for nothing to wait on.
  const result = await r.handler(deps, req instanceof Promise ? await req : req, c);
  if (result instanceof Response) return result;
  if (wasReplayed(result)) c.header('Idempotent-Replayed', 'true');
  else r.counts?.(deps.metrics, result);
  return c.json(result, r.response.status);
}

/** What a route open to anyone gets: no caller, nothing validated (such routes take no input). */
const PUBLIC: Request<None, None, None> = { params: {}, query: {}, body: {}, principal: { sub: '', roles: new Set() }, userId: '', options: {} };

/**
 * Order: a role check that needs no lookup before the body is read; then the body (415, 400),
 * the path and the query are validated; then a role too low on a wallet or hold is FORBIDDEN only
 * if the caller can see it; then a user named by the request must be the caller (or a service).
 */
function authorise(c: Context<AppEnv>, r: AnyRoute, rule: Access, deps: Deps): Request<any, any, any> | Promise<Request<any, any, any>> {
  const principal = c.get('principal');
  const role = rule.role as Role;
  const allowed = hasRole(principal, role);
  if (!allowed && !rule.hidesOthers) throw new ForbiddenError(`This operation needs the ${role} role`);
  if (r.method === 'get') return validate(c, r, rule, deps, principal, allowed, undefined);
  return jsonBody(c).then((raw) => validate(c, r, rule, deps, principal, allowed, raw));
}

/** The rest of `authorise` once the body (a POST's) is read. */
function validate(
  c: Context<AppEnv>,
  r: AnyRoute,
  rule: Access,
  deps: Deps,
  principal: Principal,
  allowed: boolean,
  raw: unknown,
): Request<any, any, any> | Promise<never> {
  const isGet = r.method === 'get';
  // Without a params or query schema the answer is `{}` whatever the path or query held (`None`
  // keeps no key), and so is a GET's body without a body schema (a GET reads none): not asked
  // of zod per request. The query is still read, and a malformed one refused, either way.
  const params = r.params ? parseInput(r.params, c.req.param()) : {};
  const query = withMetadataFilter(strictQuery(c));
  const validated: Validated<any, any, any> = {
    params,
    query: r.query ? parseInput(r.query, query) : {},
    // A route without a body schema takes no fields: anything sent is refused, not ignored.
    body: isGet && !r.body ? {} : parseInput(r.body ?? NO_BODY, raw ?? {}),
  };
  const asUser = rule.hidesOthers ? ownerScope(c) : undefined;
  if (!allowed) return forbidden(r, validated, asUser, deps, rule.role as Role);
  const userId = r.owner && 'user' in r.owner ? subjectUser(c, r.owner.user(validated)) : principal.sub;
  const options = isGet ? { asUser } : commandOptions(c, asUser);
  // Named fields, not a spread of `validated`: the spread copied its object on every request.
  return { params: validated.params, query: validated.query, body: validated.body, principal, userId, options };
}

/** A role too low on a wallet, hold or allowance: someone else's answers as missing, one the caller can see FORBIDDEN. */
async function forbidden(r: AnyRoute, validated: Validated<any, any, any>, asUser: string | undefined, deps: Deps, role: Role): Promise<never> {
  const owner = r.owner as
    { wallet: (v: typeof validated) => string } | { hold: (v: typeof validated) => string } | { allowance: (v: typeof validated) => string };
  if ('wallet' in owner) await deps.service.getWallet({ walletId: owner.wallet(validated) }, { asUser });
  else if ('hold' in owner) await deps.service.getHold({ holdId: owner.hold(validated) }, { asUser });
  else await deps.service.getAllowance({ allowanceId: owner.allowance(validated) }, { asUser });
  throw new ForbiddenError(`This operation needs the ${role} role`);
}
