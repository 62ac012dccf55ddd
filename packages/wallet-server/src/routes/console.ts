import { z } from 'zod';
import { assetUrl } from '../assets.js';
import type { Deps } from '../deps.js';
import { route } from '../route.js';

/** JSON inside a <script> element: `<` escaped so that no text in it can close the element. */
const scriptJson = (value: unknown): string => JSON.stringify(value).replace(/</g, '\\u003c');

function page(options: Deps['console']): string {
  const config = { api: '/api/v1/wallets', oidc: options.oidc, rolesClaim: options.rolesClaim };
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>GoodGo wallet console</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="${assetUrl('console.css')}" />
    <script id="console-config" type="application/json">${scriptJson(config)}</script>
    <script type="module" src="${assetUrl('console.js')}"></script>
  </head>
  <body>
    <nav aria-label="Console"></nav>
    <main><p>Loading…</p></main>
  </body>
</html>
`;
}

/**
 * The operator console: a page of this origin whose script calls the JSON API with a bearer token
 * held in memory. The page itself carries no data and needs no token; every figure it shows
 * comes through the API's own checks. Its Content-Security-Policy lets it load nothing and call
 * nothing outside this origin, but for the IAM when it signs in through one.
 */
const consolePage = route({
  method: 'get',
  path: '/api/v1/wallets/console',
  summary: 'The operator console (HTML; its script talks to this API with a bearer token held in memory)',
  role: 'anyone',
  response: { status: 200, schema: z.string(), description: 'HTML page', mediaType: 'text/html' },
  handler: async ({ console: options }, _r, c) => {
    const iam = options.oidc ? ` ${new URL(options.oidc.authority).origin}` : '';
    c.header(
      'Content-Security-Policy',
      `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'${iam}; form-action 'self'${iam}; base-uri 'none'; frame-ancestors 'none'`,
    );
    c.header('Referrer-Policy', 'no-referrer');
    c.header('Cache-Control', 'no-store');
    return c.html(page(options));
  },
});

export const consoleRoutes = [consolePage];
