import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';

/**
 * A small OIDC provider on loopback for the console's sign-in: discovery, JWKS, an authorization
 * endpoint that signs the user in at once (as `user`, with `roles`), and a token endpoint that
 * gives the access token only for the code it issued, to the client and redirect URI it was issued
 * for, with the PKCE verifier whose S256 challenge came with the authorization request.
 */
export class OidcProvider {
  url = '';
  /** Token requests it refused, with why. */
  readonly refusals: string[] = [];
  /** Authorization requests it saw. */
  readonly authorizations: URLSearchParams[] = [];
  private server: Server | null = null;
  private readonly codes = new Map<string, { clientId: string; redirectUri: string; challenge: string }>();
  private key: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'] | null = null;
  private jwk: object | null = null;

  constructor(private readonly options: { clientId: string; user: string; roles: string[] }) {}

  async listen(): Promise<string> {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    this.key = privateKey;
    this.jwk = { ...(await exportJWK(publicKey)), kid: 'console-test', alg: 'RS256', use: 'sig' };
    this.server = createServer((req, res) => {
      void this.answer(req).then(({ status, headers = {}, body }) => {
        res.writeHead(status, { 'access-control-allow-origin': '*', ...headers });
        res.end(body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
    return this.url;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private async answer(req: IncomingMessage): Promise<{ status: number; headers?: Record<string, string>; body?: unknown }> {
    const url = new URL(req.url ?? '/', this.url);
    const json = { 'content-type': 'application/json' };
    if (req.method === 'OPTIONS') return { status: 204, headers: { 'access-control-allow-headers': 'content-type', 'access-control-allow-methods': 'POST' } };
    if (url.pathname === '/.well-known/openid-configuration') {
      return {
        status: 200,
        headers: json,
        body: {
          issuer: this.url,
          authorization_endpoint: `${this.url}/authorize`,
          token_endpoint: `${this.url}/token`,
          jwks_uri: `${this.url}/jwks`,
          response_types_supported: ['code'],
          code_challenge_methods_supported: ['S256'],
        },
      };
    }
    if (url.pathname === '/jwks') return { status: 200, headers: json, body: { keys: [this.jwk] } };
    if (url.pathname === '/authorize') {
      const q = url.searchParams;
      this.authorizations.push(q);
      if (
        q.get('client_id') !== this.options.clientId ||
        q.get('response_type') !== 'code' ||
        q.get('code_challenge_method') !== 'S256' ||
        !q.get('code_challenge')
      ) {
        return { status: 400, body: 'bad authorization request' };
      }
      const code = randomUUID();
      this.codes.set(code, {
        clientId: q.get('client_id') as string,
        redirectUri: q.get('redirect_uri') as string,
        challenge: q.get('code_challenge') as string,
      });
      const back = new URL(q.get('redirect_uri') as string);
      back.searchParams.set('code', code);
      back.searchParams.set('state', q.get('state') ?? '');
      return { status: 302, headers: { location: back.toString() } };
    }
    if (url.pathname === '/token' && req.method === 'POST') {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const issued = this.codes.get(form.get('code') ?? '');
      this.codes.delete(form.get('code') ?? '');
      const refuse = (why: string) => {
        this.refusals.push(why);
        return { status: 400, headers: json, body: { error: 'invalid_grant', error_description: why } };
      };
      if (!issued) return refuse('unknown or used code');
      if (form.get('grant_type') !== 'authorization_code') return refuse('grant_type');
      if (form.get('client_id') !== issued.clientId) return refuse('client_id');
      if (form.get('redirect_uri') !== issued.redirectUri) return refuse('redirect_uri');
      const verifier = form.get('code_verifier') ?? '';
      if (createHash('sha256').update(verifier).digest('base64url') !== issued.challenge) return refuse('PKCE verifier');
      const accessToken = await new SignJWT({ roles: this.options.roles })
        .setProtectedHeader({ alg: 'RS256', kid: 'console-test' })
        .setSubject(this.options.user)
        .setIssuer(this.url)
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(this.key as NonNullable<OidcProvider['key']>);
      return { status: 200, headers: json, body: { access_token: accessToken, token_type: 'Bearer', expires_in: 600 } };
    }
    return { status: 404, body: 'not found' };
  }
}
