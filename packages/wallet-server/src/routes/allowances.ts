/**
 * Offline allowances: money a till may spend while the network is down, set aside before it goes,
 * booked when the till forwards its sales, and settled after the shift.
 */
import { schemas as s } from '@goodgo/wallet-core';
import { z } from 'zod';
import { route } from '../route.js';

const API = '/api/v1/wallets';

const allowancePath = s.idParamsSchema('Allowance id');
const walletPath = s.idParamsSchema('Wallet id');

const openAllowance = route({
  method: 'post',
  path: `${API}/allowances`,
  summary: 'Open an offline allowance: set aside part of the available balance for one till to spend offline',
  role: 'user',
  owner: { wallet: (r) => r.body.walletId },
  body: s.openAllowanceInput,
  response: { status: 201, schema: s.allowanceResource },
  codes: ['WALLET_FROZEN', 'WALLET_CLOSED', 'INSUFFICIENT_FUNDS', 'ALLOWANCE_EXISTS', 'LIMIT_EXCEEDED'],
  handler: ({ service }, r) => service.openAllowance(r.body, r.options),
});

const getAllowance = route({
  method: 'get',
  path: `${API}/allowances/{id}`,
  summary: 'An allowance',
  role: 'user',
  owner: { allowance: (r) => r.params.id },
  params: allowancePath,
  response: { status: 200, schema: s.allowanceResource },
  handler: ({ service }, r) => service.getAllowance({ allowanceId: r.params.id }, r.options),
});

const listAllowances = route({
  method: 'get',
  path: `${API}/{id}/allowances`,
  summary: 'Allowances of a wallet, newest first',
  role: 'user',
  owner: { wallet: (r) => r.params.id },
  params: walletPath,
  query: z.object(s.listAllowancesInput.shape).omit({ walletId: true }),
  response: { status: 200, schema: s.allowancePage },
  handler: ({ service }, r) => service.listAllowances({ ...r.query, walletId: r.params.id }, r.options),
});

const syncAllowance = route({
  method: 'post',
  path: `${API}/allowances/{id}/sync`,
  summary: "Book a till's offline spends in seq order, exactly once each (a replayed seq answers its booking); whole or nothing",
  role: 'service',
  params: allowancePath,
  body: s.syncAllowanceInput.omit({ allowanceId: true }),
  response: { status: 200, schema: s.allowanceSyncResult },
  codes: [
    'ALLOWANCE_NOT_FOUND',
    'ALLOWANCE_NOT_ACTIVE',
    'ALLOWANCE_SEQ_GAP',
    'ALLOWANCE_SEQ_CONFLICT',
    'ALLOWANCE_EXCEEDED',
    'WALLET_NOT_FOUND',
    'WALLET_FROZEN',
    'WALLET_CLOSED',
    'SAME_WALLET',
    'CURRENCY_MISMATCH',
    'INSUFFICIENT_FUNDS',
  ],
  handler: ({ service }, r) => service.syncAllowance({ ...r.body, allowanceId: r.params.id }, r.options),
});

const settleAllowance = route({
  method: 'post',
  path: `${API}/allowances/{id}/settle`,
  summary: "Settle an allowance once every spend up to the till's lastSeq is booked: the rest is released",
  role: 'service',
  params: allowancePath,
  body: s.settleAllowanceInput.omit({ allowanceId: true }),
  response: { status: 200, schema: s.allowanceResource },
  codes: ['ALLOWANCE_NOT_FOUND', 'ALLOWANCE_NOT_ACTIVE', 'ALLOWANCE_SEQ_GAP', 'ALLOWANCE_SEQ_CONFLICT'],
  handler: ({ service }, r) => service.settleAllowance({ ...r.body, allowanceId: r.params.id }, r.options),
});

export const allowanceRoutes = [openAllowance, getAllowance, listAllowances, syncAllowance, settleAllowance];
