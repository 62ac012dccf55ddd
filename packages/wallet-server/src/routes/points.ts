import { schemas as s } from '@goodgo/wallet-core';
import { z } from 'zod';
import { metadataQuery } from './wallets.js';
import { route } from '../route.js';

const API = '/api/v1/wallets/points';

const pendingPath = z.object({ transactionId: s.uuidSchema.meta({ description: 'Id of the `pending` point transaction' }) });

// Point accounts are addressed by user id, not by a resource id: a role that is too low is told so
// (FORBIDDEN) without looking anything up, which discloses nothing about any account.

const getAccount = route({
  method: 'get',
  path: API,
  summary: 'Point account',
  role: 'user',
  owner: { user: (r) => r.query.userId },
  query: z.object({ userId: s.userIdSchema.optional().meta({ description: 'Another user (service and admin only)' }) }),
  response: { status: 200, schema: s.pointAccountResource },
  codes: ['POINT_ACCOUNT_NOT_FOUND'],
  handler: ({ service }, r) => service.getPointAccount({ userId: r.userId }),
});

const listTransactions = route({
  method: 'get',
  path: `${API}/transactions`,
  summary: 'Point history, newest first',
  role: 'user',
  owner: { user: (r) => r.query.userId },
  query: z
    .object(s.listPointTransactionsInput.shape)
    .extend({ userId: s.userIdSchema.optional().meta({ description: 'Another user (service and admin only)' }), metadata: metadataQuery }),
  response: { status: 200, schema: s.pointTransactionPage },
  codes: ['POINT_ACCOUNT_NOT_FOUND'],
  handler: ({ service }, r) => service.listPointTransactions({ ...r.query, userId: r.userId }),
});

const earn = route({
  method: 'post',
  path: `${API}/earn`,
  summary: 'Earn points (creates the account on first earn)',
  role: 'service',
  body: s.earnPointsInput,
  response: { status: 200, schema: s.pointsResult },
  counts: (m, result) => m.countPoints(result),
  handler: ({ service }, r) => service.earnPoints(r.body, r.options),
});

const spend = route({
  method: 'post',
  path: `${API}/spend`,
  summary: 'Spend points, earliest-expiring first',
  role: 'user',
  owner: { user: (r) => r.body.userId },
  body: s.spendPointsInput.partial({ userId: true }),
  response: { status: 200, schema: s.pointsResult },
  codes: ['POINT_ACCOUNT_NOT_FOUND', 'INSUFFICIENT_POINTS'],
  counts: (m, result) => m.countPoints(result),
  handler: ({ service }, r) => service.spendPoints({ ...r.body, userId: r.userId }, r.options),
});

const adjust = route({
  method: 'post',
  path: `${API}/adjust`,
  summary: 'Adjust points (signed)',
  role: 'admin',
  body: s.adjustPointsInput,
  response: { status: 200, schema: s.pointsResult },
  codes: ['INSUFFICIENT_POINTS'],
  counts: (m, result) => m.countPoints(result),
  handler: ({ service }, r) => service.adjustPoints(r.body, r.options),
});

const settlePending = (
  [
    ['confirm', 'Confirm pending points', 'confirmPendingPoints'],
    ['cancel', 'Cancel pending points', 'cancelPendingPoints'],
  ] as const
).map(([op, title, command]) =>
  route({
    method: 'post',
    path: `${API}/pending/{transactionId}/${op}`,
    summary: title,
    role: 'service',
    params: pendingPath,
    body: s.pendingPointsInput.omit({ transactionId: true }),
    response: { status: 200, schema: s.pointsResult },
    codes: ['TRANSACTION_NOT_FOUND'],
    counts: (m, result) => m.countPoints(result),
    handler: ({ service }, r) => service[command]({ ...r.body, transactionId: r.params.transactionId }, r.options),
  }),
);

const expire = route({
  method: 'post',
  path: `${API}/expire`,
  summary: 'Expire due points',
  role: 'service',
  body: s.expirePointsInput,
  response: { status: 200, schema: s.expireResult },
  handler: ({ service }, r) => service.expirePoints(r.body, r.options),
});

export const pointRoutes = [getAccount, listTransactions, earn, spend, adjust, ...settlePending, expire];
