#!/usr/bin/env node
/**
 * `goodgo-wallet-token --sub cust-42 --role admin` (in the repository: `npm run token -- …`):
 * prints a development token the server accepts. Signs with JWT_SECRET when set, else with the
 * public development secret; puts the roles and user id where JWT_ROLES_CLAIM / JWT_USER_CLAIM say.
 */
import { parseArgs } from 'node:util';
import { CLAIM_PATH, ROLES, type Role } from './principal.js';
import { mintToken } from './token.js';

const USAGE = `Usage: goodgo-wallet-token --sub <user> [--role user|service|admin]... [--expires 1h]

Prints an HS256 token for a development or test server of the GoodGo wallet service.

Options:
  --sub <user>      the user id (required)
  --role <role>     user, service or admin; repeat for several (default: none, i.e. a user)
  --expires <time>  lifetime such as 15m, 1h, 7d (default 1h)
  -h, --help        this text

Environment:
  JWT_SECRET        the server's shared secret (default: the public development secret, accepted
                    only by a server started without JWT settings outside production)
  JWT_ISSUER, JWT_AUDIENCE            set iss / aud as the server checks them
  JWT_ROLES_CLAIM, JWT_USER_CLAIM     dot paths where the server reads roles and the user id
`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}`);
  process.exit(2);
}

let values: { sub?: string | undefined; role?: string[] | undefined; expires?: string | undefined; help?: boolean | undefined };
try {
  ({ values } = parseArgs({
    options: {
      sub: { type: 'string' },
      role: { type: 'string', multiple: true },
      expires: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  }));
} catch (e) {
  fail((e as Error).message);
}

if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
if (!values.sub) fail('--sub is required');
const roles = values.role ?? [];
const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
if (unknown.length > 0) fail(`unknown role ${unknown.map((r) => JSON.stringify(r)).join(', ')}: the roles are ${ROLES.join(', ')}`);
const expires = values.expires ?? '1h';
if (!/^[1-9][0-9]*\s?(s|m|h|d|w)$/.test(expires)) fail(`--expires must be a lifetime such as 15m, 1h or 7d, got ${JSON.stringify(expires)}`);
const env = (name: string) => (process.env[name]?.trim() ? process.env[name].trim() : undefined);
for (const name of ['JWT_ROLES_CLAIM', 'JWT_USER_CLAIM']) {
  const value = env(name);
  if (value !== undefined && !CLAIM_PATH.test(value)) fail(`${name} must be claim names joined by dots, got ${JSON.stringify(value)}`);
}

const token = await mintToken({
  sub: values.sub,
  roles: roles as Role[],
  expiresIn: expires,
  secret: env('JWT_SECRET'),
  issuer: env('JWT_ISSUER'),
  audience: env('JWT_AUDIENCE'),
  rolesClaim: env('JWT_ROLES_CLAIM'),
  userClaim: env('JWT_USER_CLAIM'),
});
process.stdout.write(`${token}\n`);
