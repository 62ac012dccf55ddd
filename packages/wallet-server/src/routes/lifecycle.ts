/**
 * The money lifecycle: holds (pre-authorisations), their capture and void, refunds of payments,
 * reversals of mistaken deposits, and points given back to their lots or clawed back from them.
 */
import { schemas as s } from '@goodgo/wallet-core';
import { z } from 'zod';
import { route } from '../route.js';

const API = '/api/v1/wallets';

const holdPath = s.idParamsSchema('Hold id');
const walletPath = s.idParamsSchema('Wallet id');

const placeHold = route({
  method: 'post',
  path: `${API}/holds`,
  summary: 'Place a hold: reserve part of the available balance until captured, voided or expired',
  role: 'user',
  owner: { wallet: (r) => r.body.walletId },
  body: s.placeHoldInput,
  response: { status: 201, schema: s.holdResource },
  codes: ['WALLET_FROZEN', 'WALLET_CLOSED', 'INSUFFICIENT_FUNDS', 'LIMIT_EXCEEDED'],
  handler: ({ service }, r) => service.placeHold(r.body, r.options),
});

const getHold = route({
  method: 'get',
  path: `${API}/holds/{id}`,
  summary: 'A hold',
  role: 'user',
  owner: { hold: (r) => r.params.id },
  params: holdPath,
  response: { status: 200, schema: s.holdResource },
  handler: ({ service }, r) => service.getHold({ holdId: r.params.id }, r.options),
});

const captureHold = route({
  method: 'post',
  path: `${API}/holds/{id}/capture`,
  summary: 'Capture all or part of a hold once (a withdrawal, or a transfer to toWalletId); the rest is released',
  role: 'service',
  params: holdPath,
  body: s.captureHoldInput.omit({ holdId: true }),
  response: { status: 200, schema: s.captureResult },
  codes: [
    'HOLD_NOT_FOUND',
    'HOLD_NOT_ACTIVE',
    'CAPTURE_EXCEEDS_HOLD',
    'INSUFFICIENT_FUNDS',
    'WALLET_NOT_FOUND',
    'WALLET_FROZEN',
    'WALLET_CLOSED',
    'SAME_WALLET',
    'CURRENCY_MISMATCH',
    'LIMIT_EXCEEDED',
  ],
  counts: (m, result) => m.countMoney(result),
  handler: ({ service }, r) => service.captureHold({ ...r.body, holdId: r.params.id }, r.options),
});

const voidHold = route({
  method: 'post',
  path: `${API}/holds/{id}/void`,
  summary: 'Void a hold: release it without taking anything (allowed on a frozen wallet)',
  role: 'user',
  owner: { hold: (r) => r.params.id },
  params: holdPath,
  body: s.voidHoldInput.omit({ holdId: true }),
  response: { status: 200, schema: s.voidResult },
  codes: ['HOLD_NOT_ACTIVE'],
  handler: ({ service }, r) => service.voidHold({ ...r.body, holdId: r.params.id }, r.options),
});

const incrementHold = route({
  method: 'post',
  path: `${API}/holds/{id}/increment`,
  summary: 'Grow an active hold by an amount of the available balance; its expiry is unchanged',
  role: 'user',
  owner: { hold: (r) => r.params.id },
  params: holdPath,
  body: s.incrementHoldInput.omit({ holdId: true }),
  response: { status: 200, schema: s.holdResource },
  codes: ['HOLD_NOT_ACTIVE', 'WALLET_FROZEN', 'WALLET_CLOSED', 'INSUFFICIENT_FUNDS', 'LIMIT_EXCEEDED'],
  handler: ({ service }, r) => service.incrementHold({ ...r.body, holdId: r.params.id }, r.options),
});

const listHolds = route({
  method: 'get',
  path: `${API}/{id}/holds`,
  summary: 'Holds of a wallet, newest first',
  role: 'user',
  owner: { wallet: (r) => r.params.id },
  params: walletPath,
  query: z.object(s.listHoldsInput.shape).omit({ walletId: true }),
  response: { status: 200, schema: s.holdPage },
  handler: ({ service }, r) => service.listHolds({ ...r.query, walletId: r.params.id }, r.options),
});

const refund = route({
  method: 'post',
  path: `${API}/refund`,
  summary: 'Refund all or part of a withdrawal, capture or transfer (a transfer is taken back from its recipient)',
  role: 'service',
  body: s.refundInput,
  response: { status: 200, schema: s.refundResult },
  codes: [
    'TRANSACTION_NOT_FOUND',
    'NOT_REFUNDABLE',
    'REFUND_EXCEEDS_ORIGINAL',
    'INSUFFICIENT_FUNDS',
    'WALLET_NOT_FOUND',
    'WALLET_FROZEN',
    'WALLET_CLOSED',
    'LIMIT_EXCEEDED',
  ],
  counts: (m, result) => m.countMoney(result),
  handler: ({ service }, r) => service.refund(r.body, r.options),
});

const reverseDeposit = route({
  method: 'post',
  path: `${API}/deposits/{transactionId}/reverse`,
  summary: 'Take back all or part of a mistaken deposit (a deposit_reversal), at most what is left of it and what is available',
  role: 'admin',
  params: z.object({ transactionId: s.uuidSchema.meta({ description: 'The deposit ledger row' }) }),
  body: s.reverseDepositInput.omit({ transactionId: true }),
  response: { status: 200, schema: s.depositReversalResult },
  codes: ['TRANSACTION_NOT_FOUND', 'NOT_REFUNDABLE', 'REFUND_EXCEEDS_ORIGINAL', 'INSUFFICIENT_FUNDS', 'WALLET_FROZEN', 'WALLET_CLOSED'],
  counts: (m, result) => m.countMoney(result),
  handler: ({ service }, r) => service.reverseDeposit({ ...r.body, transactionId: r.params.transactionId }, r.options),
});

const refundPoints = route({
  method: 'post',
  path: `${API}/points/refund`,
  summary: 'Give a points spend back to the lots it took, each keeping its expiry (expired lots reported)',
  role: 'service',
  body: s.refundPointsInput,
  response: { status: 200, schema: s.pointsRefundResult },
  codes: ['TRANSACTION_NOT_FOUND', 'NOT_REFUNDABLE', 'REFUND_EXCEEDS_ORIGINAL'],
  counts: (m, result) => m.countPoints(result),
  handler: ({ service }, r) => service.refundPoints(r.body, r.options),
});

const reversePoints = route({
  method: 'post',
  path: `${API}/points/reverse`,
  summary: 'Claw back an earn or confirm from what is left of its lot, never below zero (shortfall reported)',
  role: 'service',
  body: s.reversePointsInput,
  response: { status: 200, schema: s.pointsReversalResult },
  codes: ['TRANSACTION_NOT_FOUND', 'NOT_REFUNDABLE', 'REFUND_EXCEEDS_ORIGINAL'],
  counts: (m, result) => m.countPoints(result),
  handler: ({ service }, r) => service.reversePoints(r.body, r.options),
});

export const lifecycleRoutes = [placeHold, getHold, captureHold, voidHold, incrementHold, listHolds, refund, reverseDeposit, refundPoints, reversePoints];
