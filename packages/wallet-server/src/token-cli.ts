/** `npm run token -- --sub cust-42 --role admin`: prints a token the server accepts. */
import { mintToken } from './token.js';

function parseArgs(argv: readonly string[]): { sub?: string; roles: string[]; expires?: string } {
  const out: { sub?: string; roles: string[]; expires?: string } = { roles: [] };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = (argv[i] as string).split('=', 2) as [string, string | undefined];
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--sub') out.sub = value;
    else if (flag === '--role') out.roles.push(value);
    else if (flag === '--expires') out.expires = value;
    else throw new Error(`unknown option ${flag}`);
  }
  return out;
}

{
  try {
    const args = parseArgs(process.argv.slice(2));
    if (!args.sub) throw new Error('usage: npm run token -- --sub <user> [--role user|service|admin]... [--expires 1h]');
    const token = await mintToken({
      sub: args.sub,
      roles: args.roles,
      expiresIn: args.expires ?? '1h',
      ...(process.env.JWT_SECRET ? { secret: process.env.JWT_SECRET } : {}),
      issuer: process.env.JWT_ISSUER || undefined,
      audience: process.env.JWT_AUDIENCE || undefined,
    });
    process.stdout.write(`${token}\n`);
  } catch (e) {
    console.error((e as Error).message);
    process.exit(2);
  }
}
