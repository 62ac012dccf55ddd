import { ForbiddenError, wasReplayed, type MovementResult, type WalletService } from '@goodgo/wallet-core';
import { Hono, type Context } from 'hono';
import type { AppEnv, Deps } from '../env.js';
import { commandOptions, jsonBody, ownerScope, send, subjectUser } from '../http.js';
import { hasRole, type Role } from '../principal.js';

/**
 * A caller whose role is too low for an operation: FORBIDDEN on a wallet it can see (its own, or
 * any for a service), WALLET_NOT_FOUND on one it cannot, exactly as for one that does not exist.
 */
async function requireRoleOn(c: Context<AppEnv>, service: WalletService, role: Role, walletId: unknown): Promise<void> {
  if (hasRole(c.get('principal'), role)) return;
  await service.getWallet(String(walletId ?? ''), { asUser: ownerScope(c) });
  throw new ForbiddenError(`This operation needs the ${role} role`);
}

export function walletRoutes({ service, metrics }: Deps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const counted = <T extends MovementResult>(result: T, extra?: 'transfer'): T => {
    if (!wasReplayed(result)) {
      const currency = result.wallet.currency;
      metrics.moneyMovements.inc({ type: result.transaction.type, currency });
      if (extra === 'transfer') metrics.moneyMovements.inc({ type: 'transfer_in', currency });
    }
    return result;
  };

  app.post('/', async (c) => {
    const body = await jsonBody(c);
    const userId = subjectUser(c, body.userId);
    const wallet = await service.createWallet({ ...body, userId } as never, commandOptions(c));
    return send(c, wallet, 201);
  });

  app.get('/', async (c) => {
    const userId = subjectUser(c, c.req.query('userId'));
    return c.json({ items: await service.listWallets(userId) });
  });

  app.get('/summary', async (c) => {
    const userId = subjectUser(c, c.req.query('userId'));
    return c.json(await service.getBalanceSummary(userId));
  });

  app.post('/deposit', async (c) => {
    const body = await jsonBody(c);
    await requireRoleOn(c, service, 'service', body.walletId);
    return send(c, counted(await service.deposit(body as never, commandOptions(c))));
  });

  app.post('/withdraw', async (c) => {
    const body = await jsonBody(c);
    return send(c, counted(await service.withdraw(body as never, commandOptions(c))));
  });

  app.post('/transfer', async (c) => {
    const body = await jsonBody(c);
    return send(c, counted(await service.transfer(body as never, commandOptions(c)), 'transfer'));
  });

  for (const op of ['freeze', 'unfreeze', 'close'] as const) {
    app.post(`/:id/${op}`, async (c) => {
      const walletId = c.req.param('id');
      const body = await jsonBody(c);
      await requireRoleOn(c, service, 'admin', walletId);
      return send(c, await service[op]({ ...body, walletId } as never, commandOptions(c, undefined)));
    });
  }

  app.get('/:id', async (c) => c.json(await service.getWallet(c.req.param('id'), { asUser: ownerScope(c) })));

  app.get('/:id/transactions', async (c) => {
    const q = c.req.query();
    const input = {
      walletId: c.req.param('id'),
      ...(q.limit !== undefined ? { limit: q.limit } : {}),
      ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
      ...(q.type !== undefined ? { type: q.type } : {}),
    };
    return c.json(await service.listTransactions(input as never, { asUser: ownerScope(c) }));
  });

  return app;
}
