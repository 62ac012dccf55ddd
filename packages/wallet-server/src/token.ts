/**
 * Mints a token for development and tests (`goodgo-wallet-token --sub cust-42 --role admin`).
 * Signs with `secret` when given, else with the public development secret the server accepts in
 * development mode.
 */
import { SignJWT } from 'jose';
import { DEVELOPMENT_JWT_SECRET } from './config.js';

export interface MintOptions {
  sub: string;
  roles?: readonly string[] | undefined;
  secret?: string | undefined;
  expiresIn?: string | number | undefined;
  issuer?: string | undefined;
  audience?: string | undefined;
  /** Dot path where the roles go (the server's JWT_ROLES_CLAIM). Default `roles`. */
  rolesClaim?: string | undefined;
  /** Dot path where the user id goes as well as `sub` (the server's JWT_USER_CLAIM). */
  userClaim?: string | undefined;
}

/** Sets `value` at a dot path, making the objects on the way. */
function setAt(claims: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = claims;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    node = next !== null && typeof next === 'object' ? (next as Record<string, unknown>) : (node[key] = {});
  }
  node[keys[keys.length - 1] as string] = value;
}

export async function mintToken(o: MintOptions): Promise<string> {
  const claims: Record<string, unknown> = {};
  setAt(claims, o.rolesClaim ?? 'roles', [...(o.roles ?? [])]);
  if (o.userClaim !== undefined && o.userClaim !== 'sub') setAt(claims, o.userClaim, o.sub);
  let jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(o.sub)
    .setIssuedAt()
    .setExpirationTime(o.expiresIn ?? '1h');
  if (o.issuer) jwt = jwt.setIssuer(o.issuer);
  if (o.audience) jwt = jwt.setAudience(o.audience);
  return jwt.sign(new TextEncoder().encode(o.secret ?? DEVELOPMENT_JWT_SECRET));
}
