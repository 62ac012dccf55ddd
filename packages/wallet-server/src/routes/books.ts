/**
 * Reading the books: a wallet's balance at an instant and its statement for a period (owner), and
 * the admin search of wallets. History with its filters is the wallet routes' `/transactions`.
 */
import { schemas as s } from '@goodgo/wallet-core';
import { z } from 'zod';
import { route } from '../route.js';

const API = '/api/v1/wallets';

const walletPath = s.idParamsSchema('Wallet id');

const balanceAt = route({
  method: 'get',
  path: `${API}/{id}/balance`,
  summary: "A wallet's balance at an instant, from its ledger",
  role: 'user',
  owner: { wallet: (r) => r.params.id },
  params: walletPath,
  query: z.object(s.balanceAtInput.shape).omit({ walletId: true }),
  response: { status: 200, schema: s.balanceAtResource },
  handler: ({ service }, r) => service.getBalanceAt({ ...r.query, walletId: r.params.id }, r.options),
});

const statement = route({
  method: 'get',
  path: `${API}/{id}/statement`,
  summary: 'A statement of a period [from, to): opening and closing balances, totals per transaction type',
  role: 'user',
  owner: { wallet: (r) => r.params.id },
  params: walletPath,
  query: z.object(s.statementInput.shape).omit({ walletId: true }),
  response: { status: 200, schema: s.statementResource },
  handler: ({ service }, r) => service.getStatement({ ...r.query, walletId: r.params.id }, r.options),
});

const searchWallets = route({
  method: 'get',
  path: `${API}/admin/wallets`,
  summary: 'Search wallets by user, status and currency, newest first, by keyset',
  role: 'admin',
  query: z.object(s.searchWalletsInput.shape),
  response: { status: 200, schema: s.walletPage },
  handler: ({ service }, r) => service.searchWallets(r.query),
});

export const bookRoutes = [searchWallets, balanceAt, statement];
