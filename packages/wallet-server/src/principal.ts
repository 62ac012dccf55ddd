/** Who is calling, from a verified token. Every caller is a user; roles add to that. */
export interface Principal {
  readonly sub: string;
  readonly roles: ReadonlySet<string>;
}

/** From least to most: each role may do everything the ones before it may. */
export const ROLES = ['user', 'service', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** `admin` may do everything `service` may, and `service` everything a user may, on anyone. */
export function hasRole(p: Principal, role: Role): boolean {
  if (role === 'user') return true;
  if (p.roles.has('admin')) return true;
  return role === 'service' && p.roles.has('service');
}

/** The most a caller may do: what the audit trail records and what its rate limit is counted under. */
export function highestRole(p: Principal): Role {
  return hasRole(p, 'admin') ? 'admin' : hasRole(p, 'service') ? 'service' : 'user';
}

/** A claim named by a dot path (`realm_access.roles`): each segment one level into the payload. */
export function claimAt(claims: Record<string, unknown>, path: string): unknown {
  let value: unknown = claims;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** A dot path of claim names: what `JWT_ROLES_CLAIM` and `JWT_USER_CLAIM` accept. */
export const CLAIM_PATH = /^[A-Za-z0-9_:-]+(\.[A-Za-z0-9_:-]+)*$/;

function addRoles(roles: Set<string>, value: unknown): void {
  if (typeof value === 'string') roles.add(value);
  else if (Array.isArray(value)) for (const r of value) if (typeof r === 'string') roles.add(r);
}

/**
 * The roles a token carries: from the claim at `rolesClaim` (a dot path such as
 * `realm_access.roles`, Keycloak's realm roles), an array of strings or one string; without
 * one, from `roles` (array) and `role` (string). Names other than user/service/admin are kept
 * but grant nothing.
 */
export function rolesFromClaims(claims: Record<string, unknown>, rolesClaim?: string): Set<string> {
  const roles = new Set<string>();
  if (rolesClaim !== undefined) {
    addRoles(roles, claimAt(claims, rolesClaim));
    return roles;
  }
  if (Array.isArray(claims.roles)) addRoles(roles, claims.roles);
  if (typeof claims.role === 'string') roles.add(claims.role);
  return roles;
}
