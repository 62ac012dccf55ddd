import { schemas as s } from '@goodgo/wallet-core';
import { route } from '../route.js';

const API = '/api/v1/wallets';

/** A split payment: money and points of the wallet's owner in one transaction, both or neither. */
const pay = route({
  method: 'post',
  path: `${API}/pay`,
  summary: 'Pay with money and points at once (both or neither)',
  role: 'user',
  owner: { wallet: (r) => r.body.walletId },
  body: s.payInput,
  response: { status: 200, schema: s.payResult },
  codes: [
    'WALLET_NOT_FOUND',
    'POINT_ACCOUNT_NOT_FOUND',
    'WALLET_FROZEN',
    'WALLET_CLOSED',
    'INSUFFICIENT_FUNDS',
    'INSUFFICIENT_POINTS',
    'SAME_WALLET',
    'CURRENCY_MISMATCH',
    'LIMIT_EXCEEDED',
  ],
  counts: (m, result) => {
    m.countMoney(result);
    if (result.pointTransaction !== null) m.countPoints({ transaction: result.pointTransaction });
  },
  handler: ({ service }, r) => service.pay(r.body, r.options),
});

export const paymentRoutes = [pay];
