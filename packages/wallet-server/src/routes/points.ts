import { ForbiddenError, wasReplayed, type PointsResult } from '@goodgo/wallet-core';
import { Hono, type Context } from 'hono';
import type { AppEnv, Deps } from '../env.js';
import { commandOptions, jsonBody, send, subjectUser } from '../http.js';
import { hasRole, type Role } from '../principal.js';

/**
 * Point accounts are addressed by user id, not by a resource id, so a role that is too low is
 * told so (FORBIDDEN) without looking anything up, which discloses nothing about any account.
 */
function requireRole(c: Context<AppEnv>, role: Role): void {
  if (!hasRole(c.get('principal'), role)) throw new ForbiddenError(`This operation needs the ${role} role`);
}

export function pointRoutes({ service, metrics }: Deps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const counted = (result: PointsResult): PointsResult => {
    if (!wasReplayed(result)) metrics.pointMovements.inc({ type: result.transaction.type });
    return result;
  };

  app.get('/', async (c) => c.json(await service.getPointAccount(subjectUser(c, c.req.query('userId')))));

  app.get('/transactions', async (c) => {
    const q = c.req.query();
    const input = {
      userId: subjectUser(c, q.userId),
      ...(q.limit !== undefined ? { limit: q.limit } : {}),
      ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
      ...(q.type !== undefined ? { type: q.type } : {}),
    };
    return c.json(await service.listPointTransactions(input as never));
  });

  app.post('/earn', async (c) => {
    requireRole(c, 'service');
    const body = await jsonBody(c);
    return send(c, counted(await service.earnPoints(body as never, commandOptions(c, undefined))));
  });

  app.post('/spend', async (c) => {
    const body = await jsonBody(c);
    const userId = subjectUser(c, body.userId);
    return send(c, counted(await service.spendPoints({ ...body, userId } as never, commandOptions(c, undefined))));
  });

  app.post('/adjust', async (c) => {
    requireRole(c, 'admin');
    const body = await jsonBody(c);
    return send(c, counted(await service.adjustPoints(body as never, commandOptions(c, undefined))));
  });

  app.post('/pending/:transactionId/confirm', async (c) => {
    requireRole(c, 'service');
    await jsonBody(c);
    return send(c, counted(await service.confirmPendingPoints(c.req.param('transactionId'), commandOptions(c, undefined))));
  });

  app.post('/pending/:transactionId/cancel', async (c) => {
    requireRole(c, 'service');
    await jsonBody(c);
    return send(c, counted(await service.cancelPendingPoints(c.req.param('transactionId'), commandOptions(c, undefined))));
  });

  app.post('/expire', async (c) => {
    requireRole(c, 'service');
    const body = await jsonBody(c);
    return send(c, await service.expirePoints(body as never, commandOptions(c, undefined)));
  });

  return app;
}
