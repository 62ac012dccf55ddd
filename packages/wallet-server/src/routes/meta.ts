import { z } from 'zod';
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

export const metaRoutes = [metrics, openapi];
