import { parseInput, wasReplayed, type CommandOptions } from '@goodgo/wallet-core';
import type { Context, Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import type { AppEnv, Deps } from './env.js';
import { ForbiddenError } from './errors.js';
import { commandOptions, jsonBody, ownerScope, subjectUser } from './http.js';
import { hasRole, type Principal, type Role } from './principal.js';

/**
 * One route, declared once: its path, request and response schemas, who may call it and whose
 * resource it touches. The router, the validator, the authorisation check and the OpenAPI
 * document all read this declaration (see `bindRoutes` and `openApiDocument`), so none of them
 * can drift from the others.
 *
 * Adding a route: write one `route({...})` next to its neighbours in `routes/*.ts` and add it to
 * that file's list (order matters only where a static path shadows a `{param}` one). The handler
 * receives the validated, typed request; it returns the response body, which must match
 * `response.schema` at compile time.
 */
export interface RouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, R extends z.ZodType> {
  method: 'get' | 'post';
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
   * - `user`: the user it names (`undefined`: the caller), handed to the handler as `userId`.
   *   Naming someone else is FORBIDDEN.
   */
  owner?: { wallet: (req: Validated<P, Q, B>) => string } | { user: (req: Validated<P, Q, B>) => string | undefined };
  params?: P;
  query?: Q;
  body?: B;
  response: { status: 200 | 201; schema: R; description?: string; mediaType?: string };
  /** Other answers documented besides the derived ones (problem+json), e.g. 404 or 422 of the domain. */
  errors?: readonly Status[];
  /** Answers that are not problems (health's 503): documented with their own schema. */
  otherResponses?: readonly { status: Status; description: string; schema: z.ZodType }[];
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
   * route's owner is a wallet and the caller is no service, so that someone else's is hidden.
   */
  options: CommandOptions;
}

/** An HTTP status that can carry a body (hono's list without its `-1` for unofficial codes). */
export type Status = Exclude<ContentfulStatusCode, -1>;

const NONE = z.object({});
type None = typeof NONE;
const NO_BODY = z.strictObject({});

/** Declares a route; the type parameters come from the schemas, so the handler is typed by them. */
export function route<P extends z.ZodType = None, Q extends z.ZodType = None, B extends z.ZodType = None, R extends z.ZodType = z.ZodType>(
  spec: RouteSpec<P, Q, B, R>,
): RouteSpec<P, Q, B, R> {
  return spec;
}

// A list of routes of different shapes; each was type-checked against its own schemas by `route()`.
export type AnyRoute = RouteSpec<any, any, any, any>;

/** `/api/v1/wallets/{id}` → `/api/v1/wallets/:id` */
export const honoPath = (path: string): string => path.replace(/\{(\w+)\}/g, ':$1');

/** Registers each route on the app: validate, authorise, run, send. */
export function bindRoutes(app: Hono<AppEnv>, routes: readonly AnyRoute[], deps: Deps): void {
  for (const r of routes) app.on(r.method.toUpperCase(), honoPath(r.path), (c) => answer(c, r, deps));
}

async function answer(c: Context<AppEnv>, r: AnyRoute, deps: Deps): Promise<Response> {
  const result = await r.handler(deps, r.role === 'anyone' ? PUBLIC : await authorise(c, r, deps), c);
  if (result instanceof Response) return result;
  if (wasReplayed(result)) c.header('Idempotent-Replayed', 'true');
  return c.json(result, r.response.status);
}

/** What a route open to anyone gets: no caller, nothing validated (such routes take no input). */
const PUBLIC: Request<None, None, None> = { params: {}, query: {}, body: {}, principal: { sub: '', roles: new Set() }, userId: '', options: {} };

/**
 * Order: a role check that needs no lookup before the body is read; then the body (415, 400),
 * the path and the query are validated; then a role too low on a wallet is FORBIDDEN only if the
 * caller can see that wallet; then a user named by the request must be the caller (or a service).
 */
async function authorise(c: Context<AppEnv>, r: AnyRoute, deps: Deps): Promise<Request<any, any, any>> {
  const principal = c.get('principal');
  const role = r.role as Role;
  const allowed = hasRole(principal, role);
  const owner = r.owner;
  if (!allowed && !(owner && 'wallet' in owner)) throw new ForbiddenError(`This operation needs the ${role} role`);
  const raw = r.method === 'post' ? await jsonBody(c) : {};
  const validated: Validated<any, any, any> = {
    params: parseInput(r.params ?? NONE, c.req.param()),
    query: parseInput(r.query ?? NONE, c.req.query()),
    // A route without a body schema takes no fields: anything sent is refused, not ignored.
    body: parseInput(r.body ?? NO_BODY, raw),
  };
  const asUser = owner && 'wallet' in owner ? ownerScope(c) : undefined;
  if (!allowed && owner && 'wallet' in owner) {
    await deps.service.getWallet({ walletId: owner.wallet(validated) }, { asUser });
    throw new ForbiddenError(`This operation needs the ${role} role`);
  }
  const userId = owner && 'user' in owner ? subjectUser(c, owner.user(validated)) : principal.sub;
  const options = r.method === 'post' ? commandOptions(c, asUser) : { asUser };
  return { ...validated, principal, userId, options };
}
