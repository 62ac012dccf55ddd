/**
 * Every route of the service. The app registers exactly
 * these and the OpenAPI document lists exactly these (a test holds both to it).
 */
import type { AnyRoute } from '../route.js';
import { allowanceRoutes } from './allowances.js';
import { bookRoutes } from './books.js';
import { consoleRoutes } from './console.js';
import { eventRoutes } from './events.js';
import { healthRoutes } from './health.js';
import { lifecycleRoutes } from './lifecycle.js';
import { metaRoutes } from './meta.js';
import { paymentRoutes } from './payments.js';
import { pointRoutes } from './points.js';
import { relayRoutes } from './relay.js';
import { walletRoutes } from './wallets.js';

// In any order: a fixed segment is matched before a `{param}` in its place (see `bindRoutes`).
export const ROUTES: readonly AnyRoute[] = [
  ...metaRoutes,
  ...consoleRoutes,
  ...healthRoutes,
  ...walletRoutes,
  ...paymentRoutes,
  ...bookRoutes,
  ...lifecycleRoutes,
  ...allowanceRoutes,
  ...pointRoutes,
  ...eventRoutes,
  ...relayRoutes,
];
