import { ERROR_CODES, IDEMPOTENCY_KEY_PATTERN, LIMIT_KINDS, LIMIT_PERIODS } from '@goodgo/wallet-core';
import { z } from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from 'zod-openapi';
import { TRANSPORT_CODES } from './errors.js';
import { access, problemCodes, type AnyRoute } from './route.js';
import { ROUTES } from './routes/index.js';

/**
 * The OpenAPI 3.1 document, generated from the route table (`routes/*.ts`): the very zod schemas
 * that validate the requests, the roles that authorise them and the statuses they answer, so the
 * document cannot drift from what the service does.
 */

const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    code: z.enum([...ERROR_CODES, ...TRANSPORT_CODES]),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    available: z
      .union([z.string(), z.int()])
      .optional()
      .meta({ description: 'INSUFFICIENT_FUNDS: what the wallet may pay now, a decimal string; INSUFFICIENT_POINTS: the points available, an integer' }),
    requested: z.union([z.string(), z.int()]).optional().meta({
      description:
        'What was asked: INSUFFICIENT_FUNDS, CAPTURE_EXCEEDS_HOLD, REFUND_EXCEEDS_ORIGINAL, LIMIT_EXCEEDED (a decimal string), INSUFFICIENT_POINTS (an integer), ALLOWANCE_EXCEEDED (what the spends need)',
    }),
    remaining: z.string().optional().meta({ description: 'REFUND_EXCEEDS_ORIGINAL: what is left to give back of the original, a decimal string' }),
    held: z.string().optional().meta({ description: 'CAPTURE_EXCEEDS_HOLD: what the hold reserves, a decimal string' }),
    holdStatus: z.enum(['captured', 'voided', 'expired']).optional().meta({ description: 'HOLD_NOT_ACTIVE: how the hold ended' }),
    expectedSeq: z.int().optional().meta({ description: 'ALLOWANCE_SEQ_GAP: the seq the allowance takes next' }),
    seq: z.int().optional().meta({ description: 'ALLOWANCE_SEQ_CONFLICT: the seq booked with other content (or the lastSeq a settle named)' }),
    lastSeq: z.int().optional().meta({ description: 'ALLOWANCE_SEQ_CONFLICT: the last seq booked' }),
    allowanceStatus: z.enum(['settled', 'expired']).optional().meta({ description: 'ALLOWANCE_NOT_ACTIVE: what the allowance is' }),
    cap: z.enum(['amount', 'maxSpendAmount', 'maxSpends']).optional().meta({ description: 'ALLOWANCE_EXCEEDED: the cap the spends would pass' }),
    limit: z
      .string()
      .optional()
      .meta({ description: 'ALLOWANCE_EXCEEDED: what the cap allows (an amount, or a count); LIMIT_EXCEEDED: the limit, a decimal string' }),
    period: z.enum(LIMIT_PERIODS).optional().meta({ description: 'LIMIT_EXCEEDED: the period of the limit (`balance` for maxBalance)' }),
    kind: z.enum(LIMIT_KINDS).optional().meta({ description: 'LIMIT_EXCEEDED: what the limit caps' }),
    used: z.string().optional().meta({ description: 'LIMIT_EXCEEDED: what the period already used (for `balance`, the balance), a decimal string' }),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details, with the figures a caller acts on next to `detail`' });

const idempotencyKey = z
  .string()
  .regex(IDEMPOTENCY_KEY_PATTERN)
  .meta({ description: 'Makes a retry safe: scoped to the caller, kept at least 24 h. A replay answers the first response with `Idempotent-Replayed: true`.' });

function operation(r: AnyRoute): ZodOpenApiOperationObject {
  const open = r.role === 'anyone';
  const requestParams = {
    ...(r.params ? { path: r.params } : {}),
    ...(r.query ? { query: r.query } : {}),
    ...(r.method !== 'get' && !open ? { header: z.object({ 'Idempotency-Key': idempotencyKey.optional() }) } : {}),
  };
  const responses: ZodOpenApiOperationObject['responses'] = {
    [`${r.response.status}`]: {
      description: r.response.description ?? 'OK',
      content: { [r.response.mediaType ?? 'application/json']: { schema: r.response.schema } },
    },
  };
  for (const other of r.otherResponses ?? []) {
    responses[`${other.status}`] = { description: other.description, content: { 'application/json': { schema: other.schema } } };
  }
  if (!open) {
    // Each status's problem names the codes this route can answer with it, as an enumeration.
    for (const [status, codes] of problemCodes(r)) {
      const schema = problemSchema.and(z.object({ code: z.enum(codes) }));
      responses[`${status}`] = { description: `Problem: ${codes.join(', ')}`, content: { 'application/problem+json': { schema } } };
    }
  }
  return {
    summary: r.summary,
    ...(open ? {} : { description: `Allowed for: ${access(r).allowedFor}.`, security: [{ bearer: [] }] }),
    ...(Object.keys(requestParams).length ? { requestParams } : {}),
    ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: r.body } } } } : {}),
    responses,
  };
}

/** The document of `routes` (default: every route of the service), labelled with `version`. */
export function openApiDocument(version: string, routes: readonly AnyRoute[] = ROUTES): ReturnType<typeof createDocument> {
  const paths: ZodOpenApiPathsObject = {};
  for (const r of routes) paths[r.path] = { ...paths[r.path], [r.method]: operation(r) };
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'GoodGo wallet service',
      version,
      description: 'Wallets and loyalty points of the GoodGo POS platform. Amounts are decimal strings; errors are RFC 9457 problem+json with a stable `code`.',
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    paths,
  });
}
