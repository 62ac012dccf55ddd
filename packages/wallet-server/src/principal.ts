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

export function rolesFromClaims(claims: Record<string, unknown>): Set<string> {
  const roles = new Set<string>();
  if (Array.isArray(claims.roles)) for (const r of claims.roles) if (typeof r === 'string') roles.add(r);
  if (typeof claims.role === 'string') roles.add(claims.role);
  return roles;
}
