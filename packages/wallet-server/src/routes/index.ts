/**
 * Every route of the service, in the order the router tries them. The app registers exactly
 * these and the OpenAPI document lists exactly these (a test holds both to it).
 */
import type { AnyRoute } from '../route.js';
import { allowanceRoutes } from './allowances.js';
import { bookRoutes } from './books.js';
import { consoleRoutes } from './console.js';
import { eventRoutes } from './events.js';
import { healthRoutes } from './health.js';
import { lifecyclePointRoutes, lifecycleRoutes } from './lifecycle.js';
import { metaRoutes } from './meta.js';
import { pointRoutes } from './points.js';
import { relayRoutes } from './relay.js';
import { walletRoutes } from './wallets.js';

// `/points…` before the wallet routes, so that `points` is never read as a wallet id.
export const ROUTES: readonly AnyRoute[] = [
  ...metaRoutes,
  ...consoleRoutes,
  ...healthRoutes,
  ...pointRoutes,
  ...lifecyclePointRoutes,
  ...eventRoutes,
  ...relayRoutes,
  ...lifecycleRoutes,
  ...allowanceRoutes,
  ...bookRoutes,
  ...walletRoutes,
];
