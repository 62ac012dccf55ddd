import { Scalar } from '@scalar/hono-api-reference';
import { z } from 'zod';
import type { AppEnv } from '../env.js';
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

// The browsable reference of the document above (Scalar). The page is HTML from this process;
// the reader's browser loads Scalar's script from the jsDelivr CDN (docs/DEPLOY.md says so).
const reference = Scalar<AppEnv>({ url: '/api/v1/wallets/openapi.json', pageTitle: 'GoodGo wallet API' });

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

export const metaRoutes = [metrics, openapi, docs];
