import { Scalar } from '@scalar/hono-api-reference';
import { z } from 'zod';
import { ASSETS_PATH, SCALAR, asset } from '../assets.js';
import type { AppEnv } from '../deps.js';
import { TransportError } from '../errors.js';
import { route } from '../route.js';

const metrics = route({
  method: 'get',
  path: '/metrics',
  summary: 'Prometheus metrics',
  role: 'anyone',
  response: { status: 200, schema: z.string(), description: 'Prometheus text format', mediaType: 'text/plain' },
  handler: async ({ metrics: m }, _r, c) => c.body(await m.registry.metrics(), 200, { 'Content-Type': m.registry.contentType }),
});

const openapi = route({
  method: 'get',
  path: '/api/v1/wallets/openapi.json',
  summary: 'This document',
  role: 'anyone',
  response: { status: 200, schema: z.object({}).loose(), description: 'OpenAPI 3.1' },
  handler: async ({ document }, _r, c) => c.json(document()),
});

// The browsable reference of the document above (Scalar): the page and the pinned build of its
// script both come from this process (no CDN, no web fonts), so it works with no internet.
const reference = Scalar<AppEnv>({
  url: '/api/v1/wallets/openapi.json',
  pageTitle: 'GoodGo wallet API',
  cdn: `${ASSETS_PATH}/scalar-api-reference-${SCALAR.version}.js`,
  withDefaultFonts: false,
  telemetry: false,
  hideClientButton: true,
});

const docs = route({
  method: 'get',
  path: '/api/v1/wallets/docs',
  summary: 'Browsable API reference of this document',
  role: 'anyone',
  response: { status: 200, schema: z.string(), description: 'HTML page', mediaType: 'text/html' },
  handler: async (_deps, _r, c) => {
    const page = await reference(c, async () => undefined);
    if (!page) throw new Error('the API reference rendered no page');
    return page;
  },
});

const assets = route({
  method: 'get',
  path: `${ASSETS_PATH}/{file}`,
  summary: 'A script, style or image of the API reference or the console, served by this service (versioned names, cached for good)',
  role: 'anyone',
  params: z.object({ file: z.string() }),
  response: { status: 200, schema: z.string(), description: 'The file', mediaType: 'application/octet-stream' },
  otherResponses: [
    { status: 404, description: 'Not one of its assets (problem+json, code NOT_FOUND)', schema: z.object({ code: z.literal('NOT_FOUND') }).loose() },
  ],
  handler: async (_deps, _r, c) => {
    const found = asset(c.req.param('file') ?? '');
    if (!found) throw new TransportError('NOT_FOUND', `No asset ${c.req.path}`);
    const headers = { 'Content-Type': found.type, ETag: found.etag, 'Cache-Control': 'public, max-age=31536000, immutable' };
    if (c.req.header('if-none-match') === found.etag) return c.body(null, 304, headers);
    return c.body(new Uint8Array(found.body), 200, headers);
  },
});

export const metaRoutes = [metrics, openapi, docs, assets];
