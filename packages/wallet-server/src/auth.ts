import { isCleanText } from '@goodgo/wallet-core';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import { UnauthorizedError } from './errors.js';
import { CLAIM_PATH, claimAt, rolesFromClaims, type Principal } from './principal.js';

/** Where the identity and roles are read in a verified token (`JWT_USER_CLAIM`, `JWT_ROLES_CLAIM`). */
export interface ClaimNames {
  /** Dot path of the user id claim. Default `sub`. */
  userClaim?: string | undefined;
  /** Dot path of the roles claim (e.g. `realm_access.roles`). Default: `roles`, then `role`. */
  rolesClaim?: string | undefined;
}

export type AuthConfig = ClaimNames &
  (
    | { kind: 'secret'; secret: string; issuer?: string | undefined; audience?: string | undefined }
    | {
        kind: 'authority';
        authority: string;
        issuer?: string | undefined;
        audience?: string | undefined;
        fetch?: typeof fetch;
        /** Least time between two JWKS fetches for unknown key ids (a flood of bogus kids must not flood the IAM). Default 30 s. */
        jwksCooldownMs?: number;
      }
  );

export interface Authenticator {
  verify(token: string): Promise<Principal>;
  /**
   * The caller of a token verified before and not yet expired, without waiting: a request that
   * carries it costs no promise of its own. Undefined for any other token (`verify` decides).
   */
  known?(token: string): Principal | undefined;
  readonly mode: AuthConfig['kind'];
}

// Algorithms are pinned to the kind of key: a shared secret only verifies HS256, a JWKS only
// asymmetric algorithms. That closes `alg: none` and HS256 signed with a public key as the secret.
const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const CLOCK_TOLERANCE_S = 5;

/**
 * Finds the IAM service's JWKS: OIDC discovery first (`jwks_uri`), else `/.well-known/jwks.json`.
 * A failed discovery is not cached, so an IAM that was down at start is found once it is up.
 */
function jwksFromAuthority(authority: string, fetchImpl: typeof fetch, cooldownMs: number): JWTVerifyGetKey {
  const base = authority.replace(/\/+$/, '');
  let resolved: Promise<JWTVerifyGetKey> | null = null;
  const resolve = async (): Promise<JWTVerifyGetKey> => {
    let jwksUri = `${base}/.well-known/jwks.json`;
    try {
      const res = await fetchImpl(`${base}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(5_000) });
      if (res.ok) {
        const doc = (await res.json()) as { jwks_uri?: unknown };
        if (typeof doc.jwks_uri === 'string') jwksUri = doc.jwks_uri;
      }
    } catch {
      // No discovery document: the conventional JWKS path is the fallback.
    }
    // createRemoteJWKSet caches the keys and refetches them when a token names an unknown kid.
    return createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: 5_000, cooldownDuration: cooldownMs });
  };
  return async (header, token) => {
    resolved ??= resolve().catch((e) => {
      resolved = null;
      throw e;
    });
    return (await resolved)(header, token);
  };
}

export function createAuthenticator(config: AuthConfig): Authenticator {
  const userClaim = config.userClaim ?? 'sub';
  const rolesClaim = config.rolesClaim;
  for (const path of [userClaim, rolesClaim]) {
    if (path !== undefined && !CLAIM_PATH.test(path)) throw new TypeError(`invalid claim path ${JSON.stringify(path)}: names joined by dots`);
  }
  const base: JWTVerifyOptions = {
    clockTolerance: CLOCK_TOLERANCE_S,
    // A token that never expires is not accepted from anyone; the user claim is checked below.
    requiredClaims: ['exp'],
    ...(config.issuer ? { issuer: config.issuer } : {}),
    ...(config.audience ? { audience: config.audience } : {}),
  };
  const verifyToken =
    config.kind === 'secret'
      ? (() => {
          const key = new TextEncoder().encode(config.secret);
          return (token: string) => jwtVerify(token, key, { ...base, algorithms: ['HS256'] });
        })()
      : (() => {
          const keys = jwksFromAuthority(config.authority, config.fetch ?? fetch, config.jwksCooldownMs ?? 30_000);
          return (token: string) => jwtVerify(token, keys, { ...base, algorithms: ASYMMETRIC });
        })();

  // A till or a backend sends the same token for many requests: its signature is checked once
  // and the result kept until the token expires. The key is the whole token, so a token that
  // differs in any byte is verified afresh; expiry is checked again on every use.
  const verified = new Map<string, { principal: Principal; expiresAt: number }>();
  const MAX_CACHED = 10_000;

  const known = (token: string): Principal | undefined => {
    const hit = verified.get(token);
    if (hit === undefined) return undefined;
    if (Date.now() < hit.expiresAt) return hit.principal;
    verified.delete(token);
    return undefined;
  };

  return {
    mode: config.kind,
    known,
    async verify(token: string): Promise<Principal> {
      const hit = known(token);
      if (hit) return hit;
      let payload: Record<string, unknown>;
      try {
        ({ payload } = await verifyToken(token));
      } catch (e) {
        if (e instanceof joseErrors.JWTExpired) throw new UnauthorizedError('Token expired', `token expired (exp): ${e.reason}`);
        if (e instanceof joseErrors.JWTClaimValidationFailed) {
          throw new UnauthorizedError(`Token claim "${e.claim}" is not valid`, `claim "${e.claim}" ${e.reason}: ${e.message}`);
        }
        // The signature, the keys (none matching, the key set unreachable), the algorithm, the form.
        const code = e instanceof joseErrors.JOSEError ? e.code : 'ERR_UNKNOWN';
        throw new UnauthorizedError('Token is not valid', `${code}: ${(e as Error).message}`);
      }
      const sub = claimAt(payload, userClaim);
      // The subject becomes data (owner of wallets, idempotency scope): it must be an identity as
      // the contract defines one, and it is refused, never cleaned up, when it is not.
      if (typeof sub !== 'string' || sub.length === 0 || sub.length > 255 || !isCleanText(sub) || sub.trim() !== sub) {
        throw new UnauthorizedError('Token has no usable subject');
      }
      const principal: Principal = { sub, roles: rolesFromClaims(payload, rolesClaim) };
      if (verified.size >= MAX_CACHED) verified.delete(verified.keys().next().value as string);
      // exp is required above; no tolerance is granted to a cached token.
      verified.set(token, { principal, expiresAt: (payload.exp as number) * 1000 });
      return principal;
    },
  };
}

/** Reads `Authorization: Bearer <token>`; anything else is UNAUTHORIZED. */
export function bearerToken(header: string | undefined): string {
  const m = header ? /^Bearer ([A-Za-z0-9_\-.~+/]+=*)$/.exec(header.trim()) : null;
  if (!m) throw new UnauthorizedError(header ? 'Authorization header must be "Bearer <token>"' : 'Authorization header missing');
  return m[1] as string;
}
