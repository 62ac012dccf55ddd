import type { CommandEnv } from '../command.js';
import { Money } from '../money/money.js';
import type { LimitPolicy } from '../wallet/limits.js';
import type { Wallet } from '../wallet/wallet.js';

/** What every facade function runs on: the command environment and the service's options, checked once by its constructor. */
export interface FacadeEnv extends CommandEnv {
  /** Largest amount one command may move, in major units. */
  readonly maxAmount: string;
  /** The service's limits (defaults per currency, the time zone of their periods): every command counts under it. */
  readonly limits: LimitPolicy;
  readonly holdTtlMs: number;
  readonly allowanceTtlMs: number;
  readonly allowanceSyncGraceMs: number;
}

/** An amount of a command, in the wallet's currency and within the service's maximum. */
export function amountIn(env: FacadeEnv, value: string, wallet: Wallet): Money {
  return Money.parse(value, wallet.currency, { max: env.maxAmount });
}
