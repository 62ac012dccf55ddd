import { schemas as s } from '@goodgo/wallet-core';
import { z } from 'zod';
import { route } from '../route.js';

const API = '/api/v1/wallets';

const walletPath = s.idParamsSchema('Wallet id');
const userQuery = z.object({ userId: s.userIdSchema.optional().meta({ description: 'Another user (service and admin only)' }) });
const statusBody = z.strictObject({ reason: s.reasonSchema.optional(), metadata: s.metadataSchema.optional() });
/** The history filter: `metadata.<key>=<value>` per key (or OpenAPI's `metadata[<key>]=<value>`), all of them to match. */
export const metadataQuery = s.metadataFilterSchema.optional().meta({
  description:
    'Only rows whose metadata has each key given with exactly its value, written `metadata.<key>=<value>` (e.g. `?metadata.store=S12&metadata.till=3`); `metadata[<key>]=<value>` is read alike',
  param: { style: 'deepObject', explode: true },
});

const createWallet = route({
  method: 'post',
  path: API,
  summary: 'Create a wallet',
  role: 'user',
  owner: { user: (r) => r.body.userId },
  body: z.strictObject({
    currency: s.currencySchema.optional(),
    userId: s.userIdSchema.optional().meta({ description: 'Whose wallet (service and admin only); default the caller' }),
    metadata: s.metadataSchema.optional(),
  }),
  response: { status: 201, schema: s.walletResource },
  codes: ['WALLET_ALREADY_EXISTS'],
  handler: ({ service }, r) => service.createWallet({ ...r.body, userId: r.userId }, r.options),
});

const listWallets = route({
  method: 'get',
  path: API,
  summary: 'List wallets',
  role: 'user',
  owner: { user: (r) => r.query.userId },
  query: userQuery,
  response: { status: 200, schema: s.walletList },
  handler: async ({ service }, r) => ({ items: await service.listWallets({ userId: r.userId }) }),
});

const summary = route({
  method: 'get',
  path: `${API}/summary`,
  summary: 'Wallets and points of a user',
  role: 'user',
  owner: { user: (r) => r.query.userId },
  query: userQuery,
  response: { status: 200, schema: s.balanceSummary },
  handler: ({ service }, r) => service.getBalanceSummary({ userId: r.userId }),
});

const deposit = route({
  method: 'post',
  path: `${API}/deposit`,
  summary: 'Deposit (top up)',
  role: 'service',
  owner: { wallet: (r) => r.body.walletId },
  body: s.depositInput,
  response: { status: 200, schema: s.movementResult },
  codes: ['WALLET_FROZEN', 'WALLET_CLOSED', 'LIMIT_EXCEEDED'],
  counts: (m, result) => m.countMoney(result),
  handler: ({ service }, r) => service.deposit(r.body, r.options),
});

const withdraw = route({
  method: 'post',
  path: `${API}/withdraw`,
  summary: 'Withdraw (pay)',
  role: 'user',
  owner: { wallet: (r) => r.body.walletId },
  body: s.withdrawInput,
  response: { status: 200, schema: s.movementResult },
  codes: ['WALLET_FROZEN', 'WALLET_CLOSED', 'INSUFFICIENT_FUNDS', 'LIMIT_EXCEEDED'],
  counts: (m, result) => m.countMoney(result),
  handler: ({ service }, r) => service.withdraw(r.body, r.options),
});

const transfer = route({
  method: 'post',
  path: `${API}/transfer`,
  summary: 'Transfer to another wallet of the same currency',
  role: 'user',
  owner: { wallet: (r) => r.body.fromWalletId },
  body: s.transferInput,
  response: { status: 200, schema: s.transferResult },
  codes: ['WALLET_FROZEN', 'WALLET_CLOSED', 'INSUFFICIENT_FUNDS', 'SAME_WALLET', 'CURRENCY_MISMATCH', 'LIMIT_EXCEEDED'],
  counts: (m, result) => m.countMoney(result),
  handler: ({ service }, r) => service.transfer(r.body, r.options),
});

const statusChanges = (
  [
    ['freeze', 'Freeze a wallet', ['WALLET_CLOSED']],
    ['unfreeze', 'Unfreeze a wallet', ['WALLET_CLOSED']],
    ['close', 'Close an empty wallet (soft delete)', ['WALLET_CLOSED', 'WALLET_HAS_HOLDS', 'WALLET_NOT_EMPTY']],
  ] as const
).map(([op, title, codes]) =>
  route({
    method: 'post',
    path: `${API}/{id}/${op}`,
    summary: title,
    role: 'admin',
    owner: { wallet: (r) => r.params.id },
    params: walletPath,
    body: statusBody,
    response: { status: 200, schema: s.walletResource },
    codes,
    handler: ({ service }, r) => service[op]({ ...r.body, walletId: r.params.id }, r.options),
  }),
);

const getWallet = route({
  method: 'get',
  path: `${API}/{id}`,
  summary: 'A wallet',
  role: 'user',
  owner: { wallet: (r) => r.params.id },
  params: walletPath,
  response: { status: 200, schema: s.walletResource },
  handler: ({ service }, r) => service.getWallet({ walletId: r.params.id }, r.options),
});

const listTransactions = route({
  method: 'get',
  path: `${API}/{id}/transactions`,
  summary: 'Wallet history, newest first',
  role: 'user',
  owner: { wallet: (r) => r.params.id },
  params: walletPath,
  query: z.object(s.listTransactionsInput.shape).omit({ walletId: true }).extend({ metadata: metadataQuery }),
  response: { status: 200, schema: s.walletTransactionPage },
  handler: ({ service }, r) => service.listTransactions({ ...r.query, walletId: r.params.id }, r.options),
});

const getLimits = route({
  method: 'get',
  path: `${API}/{id}/limits`,
  summary: "A wallet's limits in force and what it used of each in the current day and month",
  role: 'user',
  owner: { wallet: (r) => r.params.id },
  params: walletPath,
  response: { status: 200, schema: s.walletLimitsResource },
  handler: ({ service }, r) => service.getLimits({ walletId: r.params.id }, r.options),
});

const setLimits = route({
  method: 'put',
  path: `${API}/{id}/limits`,
  summary: "Set a wallet's own limits: each field given overrides its currency's default (WALLET_LIMITS); {} restores the defaults",
  role: 'admin',
  owner: { wallet: (r) => r.params.id },
  params: walletPath,
  body: s.setLimitsInput.omit({ walletId: true }),
  response: { status: 200, schema: s.walletLimitsResource },
  codes: ['WALLET_CLOSED'],
  handler: ({ service }, r) => service.setLimits({ ...r.body, walletId: r.params.id }, r.options),
});

export const walletRoutes = [
  createWallet,
  listWallets,
  summary,
  deposit,
  withdraw,
  transfer,
  ...statusChanges,
  getWallet,
  listTransactions,
  getLimits,
  setLimits,
];
