/**
 * Mints a token for development and tests: `npm run token -- --sub cust-42 --role admin`.
 * Signs with JWT_SECRET when set, else with the public development secret the server accepts in
 * development mode.
 */
import { SignJWT } from 'jose';
import { DEVELOPMENT_JWT_SECRET } from './config.js';

export interface MintOptions {
  sub: string;
  roles?: readonly string[];
  secret?: string;
  expiresIn?: string | number;
  issuer?: string | undefined;
  audience?: string | undefined;
}

export async function mintToken(o: MintOptions): Promise<string> {
  let jwt = new SignJWT({ roles: [...(o.roles ?? [])] })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(o.sub)
    .setIssuedAt()
    .setExpirationTime(o.expiresIn ?? '1h');
  if (o.issuer) jwt = jwt.setIssuer(o.issuer);
  if (o.audience) jwt = jwt.setAudience(o.audience);
  return jwt.sign(new TextEncoder().encode(o.secret ?? DEVELOPMENT_JWT_SECRET));
}
