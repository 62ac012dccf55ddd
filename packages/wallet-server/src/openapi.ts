import { ERROR_CODES, schemas as s } from '@goodgo/wallet-core';
import { z } from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from 'zod-openapi';

/**
 * The OpenAPI 3.1 document, generated from the very zod schemas that validate the requests in
 * wallet-core, so the document cannot drift from what the service accepts.
 */

const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    code: z.enum(ERROR_CODES),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

const idempotencyKey = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x21-\x7e]+$/)
  .meta({ description: 'Makes a retry safe: scoped to the caller, kept at least 24 h. A replay answers the first response with `Idempotent-Replayed: true`.' });

const walletPath = z.object({ id: s.uuidSchema.meta({ description: 'Wallet id' }) });
const pendingPath = z.object({ transactionId: s.uuidSchema.meta({ description: 'Id of the `pending` point transaction' }) });
const userQuery = z.object({ userId: s.userIdSchema.optional().meta({ description: 'Another user (service and admin only)' }) });
const pageQuery = z.object({ limit: z.int().min(1).max(200).default(50).optional(), cursor: s.cursorSchema.optional() });

const createWalletBody = z.strictObject({
  currency: s.currencySchema.optional(),
  userId: s.userIdSchema.optional().meta({ description: 'Whose wallet (service and admin only); default the caller' }),
});
const statusBody = z.strictObject({ reason: s.reasonSchema.optional() });
const spendBody = s.spendPointsInput.partial({ userId: true });

function errors(...codes: number[]): ZodOpenApiOperationObject['responses'] {
  const out: Record<string, unknown> = {};
  for (const code of [400, 401, ...codes, 500, 503]) {
    out[String(code)] = { description: `Problem (${code})`, content: { 'application/problem+json': { schema: problemSchema } } };
  }
  return out as ZodOpenApiOperationObject['responses'];
}

function op(
  summary: string,
  who: string,
  ok: { status?: number; schema: z.ZodType },
  extra: Partial<ZodOpenApiOperationObject> & { body?: z.ZodType; codes?: number[]; mutating?: boolean } = {},
): ZodOpenApiOperationObject {
  const { body, codes = [], mutating = false, ...rest } = extra;
  const headers = mutating ? { header: z.object({ 'Idempotency-Key': idempotencyKey.optional() }) } : {};
  const requestParams = { ...(rest.requestParams ?? {}), ...headers };
  return {
    summary,
    description: `Allowed for: ${who}.`,
    security: [{ bearer: [] }],
    ...rest,
    ...(Object.keys(requestParams).length ? { requestParams } : {}),
    ...(body ? { requestBody: { required: true, content: { 'application/json': { schema: body } } } } : {}),
    responses: {
      [String(ok.status ?? 200)]: { description: 'OK', content: { 'application/json': { schema: ok.schema } } },
      ...errors(...codes, ...(mutating ? [409, 413, 415] : [])),
    },
  };
}

const paths: ZodOpenApiPathsObject = {
  '/api/v1/wallets': {
    post: op('Create a wallet', 'user (own); service, admin (any user)', { status: 201, schema: s.walletResource }, { body: createWalletBody, codes: [403], mutating: true }),
    get: op('List wallets', 'user (own); service, admin (any user)', { schema: s.walletList }, { requestParams: { query: userQuery }, codes: [403] }),
  },
  '/api/v1/wallets/summary': {
    get: op('Wallets and points of a user', 'user (own); service, admin', { schema: s.balanceSummary }, { requestParams: { query: userQuery }, codes: [403] }),
  },
  '/api/v1/wallets/deposit': {
    post: op('Deposit (top up)', 'service, admin', { schema: s.movementResult }, { body: s.depositInput, codes: [403, 404, 422], mutating: true }),
  },
  '/api/v1/wallets/withdraw': {
    post: op('Withdraw (pay)', 'owner; service, admin', { schema: s.movementResult }, { body: s.withdrawInput, codes: [404, 422], mutating: true }),
  },
  '/api/v1/wallets/transfer': {
    post: op('Transfer to another wallet of the same currency', 'owner of the source; service, admin', { schema: s.transferResult }, { body: s.transferInput, codes: [404, 422], mutating: true }),
  },
  '/api/v1/wallets/points': {
    get: op('Point account', 'user (own); service, admin', { schema: s.pointAccountResource }, { requestParams: { query: userQuery }, codes: [403, 404] }),
  },
  '/api/v1/wallets/points/transactions': {
    get: op('Point history, newest first', 'user (own); service, admin', { schema: s.pointTransactionPage }, {
      requestParams: { query: userQuery.extend(pageQuery.shape).extend({ type: s.pointTransactionTypeSchema.optional() }) },
      codes: [403, 404],
    }),
  },
  '/api/v1/wallets/points/earn': {
    post: op('Earn points (creates the account on first earn)', 'service, admin', { schema: s.pointsResult }, { body: s.earnPointsInput, codes: [403], mutating: true }),
  },
  '/api/v1/wallets/points/spend': {
    post: op('Spend points, earliest-expiring first', 'user (own); service, admin', { schema: s.pointsResult }, { body: spendBody, codes: [403, 404, 422], mutating: true }),
  },
  '/api/v1/wallets/points/adjust': {
    post: op('Adjust points (signed)', 'admin', { schema: s.pointsResult }, { body: s.adjustPointsInput, codes: [403, 422], mutating: true }),
  },
  '/api/v1/wallets/points/pending/{transactionId}/confirm': {
    post: op('Confirm pending points', 'service, admin', { schema: s.pointsResult }, { requestParams: { path: pendingPath }, codes: [403, 404], mutating: true }),
  },
  '/api/v1/wallets/points/pending/{transactionId}/cancel': {
    post: op('Cancel pending points', 'service, admin', { schema: s.pointsResult }, { requestParams: { path: pendingPath }, codes: [403, 404], mutating: true }),
  },
  '/api/v1/wallets/points/expire': {
    post: op('Expire due points', 'service, admin', { schema: s.expireResult }, { body: s.expirePointsInput, codes: [403], mutating: true }),
  },
  '/api/v1/wallets/{id}': {
    get: op('A wallet', 'owner; service, admin', { schema: s.walletResource }, { requestParams: { path: walletPath }, codes: [404] }),
  },
  '/api/v1/wallets/{id}/transactions': {
    get: op('Wallet history, newest first', 'owner; service, admin', { schema: s.walletTransactionPage }, {
      requestParams: { path: walletPath, query: pageQuery.extend({ type: s.walletTransactionTypeSchema.optional() }) },
      codes: [404],
    }),
  },
  '/api/v1/wallets/{id}/freeze': {
    post: op('Freeze a wallet', 'admin', { schema: s.walletResource }, { requestParams: { path: walletPath }, body: statusBody, codes: [403, 404], mutating: true }),
  },
  '/api/v1/wallets/{id}/unfreeze': {
    post: op('Unfreeze a wallet', 'admin', { schema: s.walletResource }, { requestParams: { path: walletPath }, body: statusBody, codes: [403, 404], mutating: true }),
  },
  '/api/v1/wallets/{id}/close': {
    post: op('Close an empty wallet (soft delete)', 'admin', { schema: s.walletResource }, { requestParams: { path: walletPath }, body: statusBody, codes: [403, 404], mutating: true }),
  },
};

const healthBody = z.object({ status: z.enum(['ok', 'unavailable']) }).loose();
for (const [path, summary] of [
  ['/health/live', 'The process is up'],
  ['/health/ready', 'The service can take traffic (database answers)'],
  ['/health', 'Full health report'],
] as const) {
  paths[path] = {
    get: {
      summary,
      responses: {
        '200': { description: 'Healthy', content: { 'application/json': { schema: healthBody } } },
        '503': { description: 'Unhealthy', content: { 'application/json': { schema: healthBody } } },
      },
    },
  };
}
paths['/metrics'] = { get: { summary: 'Prometheus metrics', responses: { '200': { description: 'Prometheus text format', content: { 'text/plain': { schema: z.string() } } } } } };
paths['/api/v1/wallets/openapi.json'] = { get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1', content: { 'application/json': { schema: z.object({}).loose() } } } } } };

let cached: ReturnType<typeof createDocument> | undefined;

export function openApiDocument(version = '0.1.0'): ReturnType<typeof createDocument> {
  cached ??= createDocument({
    openapi: '3.1.0',
    info: {
      title: 'GoodGo wallet service',
      version,
      description: 'Wallets and loyalty points of the GoodGo POS platform. Amounts are decimal strings; errors are RFC 9457 problem+json with a stable `code`.',
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    paths,
  });
  return cached;
}
