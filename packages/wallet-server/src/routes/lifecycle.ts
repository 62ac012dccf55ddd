/**
 * The money lifecycle: holds (pre-authorisations), their capture and void, refunds of payments,
 * and points given back to their lots or clawed back from them.
 */
import { schemas as s, wasReplayed, type CaptureResult, type MovementResult, type PointsResult } from '@goodgo/wallet-core';
import type { Context } from 'hono';
import { z } from 'zod';
import type { AppEnv, Deps } from '../env.js';
import { ownerScope } from '../http.js';
import { route } from '../route.js';

const API = '/api/v1/wallets';

const holdPath = z.object({ id: s.uuidSchema.meta({ description: 'Hold id' }) });
const walletPath = z.object({ id: s.uuidSchema.meta({ description: 'Wallet id' }) });

/** Counts a committed movement (a replay was counted the first time). */
function countedMovement<T extends MovementResult | CaptureResult>({ metrics }: Deps, result: T, pair = false): T {
  if (!wasReplayed(result)) {
    const currency = result.wallet.currency;
    metrics.moneyMovements.inc({ type: result.transaction.type, currency });
    if (pair) metrics.moneyMovements.inc({ type: result.transaction.type === 'refund_in' ? 'refund_out' : 'transfer_in', currency });
  }
  return result;
}

function countedPoints<T extends PointsResult>({ metrics }: Deps, result: T): T {
  if (!wasReplayed(result)) metrics.pointMovements.inc({ type: result.transaction.type });
  return result;
}

/**
 * A hold is reached by its own id, not its wallet's: for a caller without the service role the
 * facade scopes it to the caller's wallets (someone else's hold answers HOLD_NOT_FOUND).
 */
const asOwner = (c: Context<AppEnv>) => ({ asUser: ownerScope(c) });

const placeHold = route({
  method: 'post',
  path: `${API}/holds`,
  summary: 'Place a hold: reserve part of the available balance until captured, voided or expired',
  role: 'user',
  owner: { wallet: (r) => r.body.walletId },
  body: s.placeHoldInput,
  response: { status: 201, schema: s.holdResource },
  errors: [404, 422],
  handler: ({ service }, r) => service.placeHold(r.body, r.options),
});

const getHold = route({
  method: 'get',
  path: `${API}/holds/{id}`,
  summary: 'A hold',
  role: 'user',
  params: holdPath,
  response: { status: 200, schema: s.holdResource },
  errors: [404],
  handler: ({ service }, r, c) => service.getHold({ holdId: r.params.id }, asOwner(c)),
});

const captureHold = route({
  method: 'post',
  path: `${API}/holds/{id}/capture`,
  summary: 'Capture all or part of a hold once (a withdrawal, or a transfer to toWalletId); the rest is released',
  role: 'service',
  params: holdPath,
  body: s.captureHoldInput.omit({ holdId: true }),
  response: { status: 200, schema: s.captureResult },
  errors: [404, 422],
  handler: async (deps, r) =>
    countedMovement(deps, await deps.service.captureHold({ ...r.body, holdId: r.params.id }, r.options), r.body.toWalletId !== undefined),
});

const voidHold = route({
  method: 'post',
  path: `${API}/holds/{id}/void`,
  summary: 'Void a hold: release it without taking anything (allowed on a frozen wallet)',
  role: 'user',
  params: holdPath,
  body: s.voidHoldInput.omit({ holdId: true }),
  response: { status: 200, schema: s.voidResult },
  errors: [404],
  handler: ({ service }, r, c) => service.voidHold({ ...r.body, holdId: r.params.id }, { ...r.options, ...asOwner(c) }),
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
  errors: [404],
  handler: ({ service }, r) => service.listHolds({ ...r.query, walletId: r.params.id }, r.options),
});

const refund = route({
  method: 'post',
  path: `${API}/refund`,
  summary: 'Refund all or part of a withdrawal, capture or transfer (a transfer is taken back from its recipient)',
  role: 'service',
  body: s.refundInput,
  response: { status: 200, schema: s.refundResult },
  errors: [404, 422],
  handler: async (deps, r) => {
    const result = await deps.service.refund(r.body, r.options);
    return countedMovement(deps, result, result.transaction.transferId !== null);
  },
});

const refundPoints = route({
  method: 'post',
  path: `${API}/points/refund`,
  summary: 'Give a points spend back to the lots it took, each keeping its expiry (expired lots reported)',
  role: 'service',
  body: s.refundPointsInput,
  response: { status: 200, schema: s.pointsRefundResult },
  errors: [404, 422],
  handler: async (deps, r) => countedPoints(deps, await deps.service.refundPoints(r.body, r.options)),
});

const reversePoints = route({
  method: 'post',
  path: `${API}/points/reverse`,
  summary: 'Claw back an earn or confirm from what is left of its lot, never below zero (shortfall reported)',
  role: 'service',
  body: s.reversePointsInput,
  response: { status: 200, schema: s.pointsReversalResult },
  errors: [404, 422],
  handler: async (deps, r) => countedPoints(deps, await deps.service.reversePoints(r.body, r.options)),
});

/** Points routes go before the wallet routes; the others before `/{id}`, so that no static segment is read as a wallet id. */
export const lifecyclePointRoutes = [refundPoints, reversePoints];
export const lifecycleRoutes = [placeHold, getHold, captureHold, voidHold, listHolds, refund];
