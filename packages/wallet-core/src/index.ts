/**
 * @goodgo/wallet-core: the GoodGo wallet and loyalty-points domain, free of any database or HTTP.
 *
 * @example
 * ```ts
 * import { MemoryWalletStore, WalletService } from '@goodgo/wallet-core';
 *
 * const wallets = new WalletService({ store: new MemoryWalletStore(), defaultCurrency: 'VND' });
 * const wallet = await wallets.createWallet({ userId: 'cust-42' });
 * await wallets.deposit({ walletId: wallet.id, amount: '200000' }, { idempotencyKey: 'topup-1' });
 * const paid = await wallets.withdraw({ walletId: wallet.id, amount: '125000', reference: 'order-9' });
 * paid.wallet.balance; // "75000"
 * ```
 */
export { Money, AMOUNT_PATTERN, MAX_AMOUNT_PATTERN, DEFAULT_MAX_AMOUNT, type ParseOptions } from './money/money.js';
export { currencyOf, isCurrencyCode, storedCurrencyOf, NOT_CURRENCY_CODES, CURRENCY_CODE_PATTERN, DEFAULT_CURRENCY, type Currency } from './money/currency.js';
export {
  Wallet,
  WALLET_STATUSES,
  type HoldDetails,
  type CaptureDetails,
  type WalletState,
  type WalletStatus,
  type WalletChanges,
  type MovementDetails,
  type RowLinks,
  type TransferEntries,
  type CaptureEntries,
  type RefundEntries,
} from './wallet/wallet.js';
export {
  LimitPolicy,
  LIMIT_KINDS,
  LIMIT_PERIODS,
  DEFAULT_LIMITS_TIME_ZONE,
  isTimeZone,
  parseLimits,
  formatLimits,
  formatUsage,
  usageFromStorage,
  limitsFromStorage,
  type LimitKind,
  type LimitPeriod,
  type LimitsInput,
  type LimitUsage,
  type PeriodLimits,
  type Periods,
  type WalletLimits,
} from './wallet/limits.js';
export {
  WALLET_TRANSACTION_TYPES,
  CREDIT_TRANSACTION_TYPES,
  GIVE_BACK_TRANSACTION_TYPES,
  isCredit,
  type WalletTransaction,
  type WalletTransactionType,
} from './wallet/ledger.js';
export type { Changes } from './change-log.js';
export {
  HOLD_STATUSES,
  DEFAULT_HOLD_TTL_MS,
  EXPIRED_HOLDS_PER_CHANGE,
  MAX_HOLD_TTL_MS,
  holdCounts,
  holdStatusAt,
  type Hold,
  type HoldStatus,
} from './wallet/hold.js';
export {
  ALLOWANCE_STATUSES,
  allowanceCounts,
  allowanceStatusAt,
  allowanceLeft,
  isSameSpend,
  isAllowanceSpend,
  type Allowance,
  type AllowanceStatus,
  type AllowanceTerms,
  type AllowanceSpend,
  type BookedSpend,
  DEFAULT_ALLOWANCE_TTL_MS,
  MAX_ALLOWANCE_TTL_MS,
  DEFAULT_ALLOWANCE_SYNC_GRACE_MS,
  MAX_ALLOWANCE_SYNC_GRACE_MS,
} from './wallet/allowance.js';
export { syncAllowance, type SpendResult, type SyncEntries } from './wallet/allowance-sync.js';
export { METADATA_KEY_PATTERN, METADATA_MAX_KEYS, METADATA_MAX_VALUE_LENGTH, matchesMetadata, metadataOf, sameMetadata, type Metadata } from './metadata.js';
export { payWithPoints, PAY_SOURCE, type SplitPayment, type SplitPaymentEntries } from './split-payment.js';
export { refundPayment, reverseDeposit, assertRefundable, REFUNDABLE_TRANSACTION_TYPES, type RefundInput, type DepositReversalInput } from './wallet/refund.js';
export { PointAccount, type PointAccountState, type PointAccountChanges, type EarnInput, type SpendInput, type AdjustInput } from './points/point-account.js';
export { POINT_TRANSACTION_TYPES, type PointTransaction, type PointTransactionType } from './points/ledger.js';
export {
  POINT_LOT_STATUSES,
  compareLotsForSpending,
  isOpenLot,
  isLotDue,
  hasExpiredAt,
  type PointAllocation,
  type LotClaim,
  type PointLot,
  type PointLotStatus,
} from './points/lot.js';
export type * from './events.js';
export { checkpointEvent } from './events.js';
export {
  ERROR_CODES,
  WalletError,
  isWalletError,
  ValidationError,
  WalletNotFoundError,
  PointAccountNotFoundError,
  TransactionNotFoundError,
  WalletAlreadyExistsError,
  WalletFrozenError,
  WalletClosedError,
  WalletNotEmptyError,
  IdempotencyConflictError,
  InsufficientFundsError,
  InsufficientPointsError,
  CurrencyMismatchError,
  SameWalletError,
  ServiceUnavailableError,
  InternalError,
  HoldNotFoundError,
  HoldNotActiveError,
  WalletHasHoldsError,
  CaptureExceedsHoldError,
  NotRefundableError,
  RefundExceedsOriginalError,
  AllowanceNotFoundError,
  AllowanceExistsError,
  AllowanceNotActiveError,
  AllowanceSeqGapError,
  AllowanceSeqConflictError,
  AllowanceExceededError,
  LimitExceededError,
  type ErrorCode,
  type ValidationIssue,
} from './errors.js';
export * as schemas from './schemas.js';
export { isCleanText } from './schemas.js';
export { parseInput, isUuid, type WithTimes } from './validate.js';
export { assertFeedPosition } from './cursor.js';
export type { CommandOptions, QueryOptions } from './command.js';
export { WalletService, type WalletServiceOptions } from './facade.js';
export {
  EVENT_VERSION,
  EVENT_TYPES,
  eventSchemas,
  eventPayloadSchemas,
  eventEnvelopeSchema,
  eventDescriptions,
  eventEnvelope,
  eventJsonSchemas,
  type EventEnvelope,
  type EventActor,
  type EventMetadata,
} from './event-schemas.js';
export {
  walletView,
  walletTransactionView,
  pointAccountView,
  pointTransactionView,
  holdView,
  allowanceView,
  type AllowanceView,
  type WalletView,
  type WalletTransactionView,
  type PointAccountView,
  type PointTransactionView,
  type HoldView,
  type Page,
  type MovementResult,
  type TransferResult,
  type PointsResult,
  type ExpireResult,
  type PayResult,
  type WalletLimitsView,
  walletLimitsView,
  type BalanceSummary,
  type BalanceAtView,
  type StatementView,
  type EventPage,
  type CaptureResult,
  type VoidResult,
  type RefundResult,
  type DepositReversalResult,
  type PointsRefundResult,
  type PointsReversalResult,
  type AllowanceSyncResult,
} from './views.js';
export { wasReplayed, isValidIdempotencyKey, IDEMPOTENCY_KEY_PATTERN } from './idempotency.js';
export {
  RetryableConflict,
  OutsideLockPlan,
  DEFAULT_EVENT_READ_LIMIT,
  PAGED_LISTINGS,
  type PagedListing,
  type WalletStore,
  type UnitOfWork,
  type IdempotencyClaim,
  type IdempotencyRequest,
  type PageRequest,
  type Positioned,
  type HoldPageRequest,
  type AllowancePageRequest,
  type WalletPageRequest,
  type BalanceAtRequest,
  type StatementRequest,
  type StatementFigures,
  type WalletSearchRequest,
  type FoundWalletTransaction,
  type LockedPointTransaction,
  type LockPlan,
  type FactReader,
  type ResolvingLockPlan,
  type UserBalances,
} from './store.js';
export { MemoryWalletStore, type MemoryStoreOptions } from './memory-store.js';
export {
  LedgerKeyring,
  ChainWriter,
  canonicalRow,
  canonicalDecimal,
  canonicalMetadata,
  chainedRowOf,
  type ChainedRow,
  type LedgerKey,
  type RowLink,
} from './ledger-chain.js';
export {
  CHECKPOINT_PART_SIZE,
  CHECKPOINT_VERSION,
  SETTLE_MS,
  settledThrough,
  checkpointParts,
  readCheckpoints,
  signCheckpoint,
  type CheckpointHead,
  type CheckpointRecord,
  type LedgerCheckpoint,
} from './ledger-checkpoint.js';
export {
  RECONCILIATION_KINDS,
  RECONCILIATION_CHECKS,
  POINTS_NOT_AVAILABLE_TYPES,
  WalletLedgerWalk,
  TransferTally,
  checkpointMismatch,
  problem,
  figure,
  type FiguresOf,
  type LedgerRowToCheck,
  type WalkStart,
  type ReconcileOptions,
  type ReconcileRun,
  type ReconciliationKind,
  type ReconciliationProblem,
  type ReconciliationFindings,
  type ReconciliationReport,
} from './reconciliation.js';
export { systemClock, randomIds, type Actor, type ChangeContext, type Clock, type IdGenerator } from './context.js';
