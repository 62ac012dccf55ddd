import type { WalletService } from '@goodgo/wallet-core';
import type { Logger } from 'pino';
import type { Metrics } from './metrics.js';
import type { Principal } from './principal.js';

/** What every handler finds on the context. */
export interface AppEnv {
  Variables: {
    requestId: string;
    principal: Principal;
    log: Logger;
  };
}

export interface Deps {
  service: WalletService;
  metrics: Metrics;
}
