/**
 * @goodgo/wallet-till: a till that keeps selling when the network is down. It opens an offline
 * allowance for a customer's wallet while online (money the service reserves for this till),
 * sells against it from its own PGlite database (a directory in Node, IndexedDB in a browser),
 * and forwards every sale, in order and exactly once, when the network returns.
 *
 * @example
 * ```ts
 * import { createTill } from '@goodgo/wallet-till';
 *
 * const till = await createTill({ tillId: 'store-12/till-3', dataDir: './till-data', server: { baseUrl, token } });
 * await till.provision({ walletId, amount: '500000' }); // before the shift
 * const sale = await till.spend({ walletId, amount: '125000', reference: 'order-9' }); // online or not
 * sale.remaining; // "375000"
 * await till.settle({ walletId }); // after it: forwards what is left, releases the rest
 * ```
 */
export {
  createTill,
  Till,
  SYNC_BATCH_SIZE,
  type TillOptions,
  type SpendResult,
  type EarnResult,
  type SyncResult,
  type SyncProblem,
  type TillStatus,
} from './till.js';
export type { ProvisionInput, SpendInput, EarnInput, WalletInput } from './inputs.js';
export type { ServerOptions } from './server-client.js';
export { systemClocks, UNMEASURABLE_DOWNTIME_MS, type Clocks } from './till-clock.js';
export { ALLOWANCE_STATUSES, type Allowance, type AllowanceStatus, type SpendLine } from './wire.js';
export {
  TILL_ERROR_CODES,
  TillError,
  isTillError,
  NoAllowanceError,
  AllowanceExceededError,
  AllowanceExpiredError,
  AllowanceExistsError,
  AllowanceSeqConflictError,
  ServerProblemError,
  type TillErrorCode,
  type AllowanceCap,
  type Problem,
} from './errors.js';
