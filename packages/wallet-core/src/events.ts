/**
 * Domain events. Aggregates record them as they change; the facade hands them to the store in
 * the same unit of work as the change (an outbox), so an event exists if and only if its change
 * was committed. Payload amounts are formatted decimal strings, never numbers.
 */
import type { Actor, ChangeContext } from './context.js';
import type { LedgerCheckpoint } from './ledger-checkpoint.js';
import type { Metadata } from './metadata.js';
import type { WalletTransactionType } from './wallet/ledger.js';
import type { LimitsInput } from './wallet/limits.js';

export interface EventBase<T extends string, A extends 'wallet' | 'point_account' | 'ledger', P> {
  readonly id: string;
  readonly type: T;
  readonly aggregateType: A;
  readonly aggregateId: string;
  readonly occurredAt: Date;
  /** Who caused it (`null`: a library caller that named nobody). */
  readonly actor: Actor | null;
  /** The request that caused it, when there was one: the correlation id of the logs. */
  readonly requestId: string | null;
  /** A change's events carry its command's metadata (a ledger row's, its row's), when it had any. */
  readonly payload: A extends 'ledger' ? P : P & { metadata?: Metadata | undefined };
}

export type WalletCreated = EventBase<'WalletCreated', 'wallet', { userId: string; currency: string }>;
export type BalanceChanged = EventBase<
  'BalanceChanged',
  'wallet',
  {
    userId: string;
    currency: string;
    transactionId: string;
    transactionType: WalletTransactionType;
    amount: string;
    balanceAfter: string;
    transferId: string | null;
    reference: string | null;
    holdId?: string | null | undefined;
    refundOf?: string | null | undefined;
    allowanceId?: string | null | undefined;
    allowanceSeq?: number | null | undefined;
    pairedWith?: string | null | undefined;
  }
>;
export type WalletFrozen = EventBase<'WalletFrozen', 'wallet', { userId: string; reason: string | null }>;
export type WalletUnfrozen = EventBase<'WalletUnfrozen', 'wallet', { userId: string; reason: string | null }>;
export type WalletClosed = EventBase<'WalletClosed', 'wallet', { userId: string; reason: string | null }>;
export type WalletLimitsSet = EventBase<'WalletLimitsSet', 'wallet', { userId: string; currency: string; limits: LimitsInput | null }>;

interface HoldPayload {
  userId: string;
  currency: string;
  holdId: string;
  amount: string;
  reference: string | null;
}
export type HoldPlaced = EventBase<'HoldPlaced', 'wallet', HoldPayload & { expiresAt: string }>;
export type HoldCaptured = EventBase<
  'HoldCaptured',
  'wallet',
  HoldPayload & { capturedAmount: string; releasedAmount: string; transactionId: string; toWalletId: string | null }
>;
export type HoldVoided = EventBase<'HoldVoided', 'wallet', HoldPayload & { reason: string | null }>;
/** `amount` is the hold's new total; `incrementedBy` what this increment added. */
export type HoldIncremented = EventBase<'HoldIncremented', 'wallet', HoldPayload & { incrementedBy: string; expiresAt: string }>;
export type HoldExpired = EventBase<'HoldExpired', 'wallet', HoldPayload & { expiresAt: string }>;

interface AllowancePayload {
  userId: string;
  currency: string;
  allowanceId: string;
  tillId: string;
  amount: string;
}
export type AllowanceOpened = EventBase<'AllowanceOpened', 'wallet', AllowancePayload & { spendUntil: string; settleBy: string }>;
export type AllowanceSettled = EventBase<'AllowanceSettled', 'wallet', AllowancePayload & { spentAmount: string; releasedAmount: string; lastSeq: number }>;
export type AllowanceExpired = EventBase<'AllowanceExpired', 'wallet', AllowancePayload & { spentAmount: string; releasedAmount: string; settleBy: string }>;

interface PointsPayload {
  userId: string;
  transactionId: string;
  points: number;
  /** The row's `balanceAfter`: available points after the change. */
  balanceAfter: number;
  source: string;
}
export type PointAccountCreated = EventBase<'PointAccountCreated', 'point_account', { userId: string }>;
export type PointsEarned = EventBase<'PointsEarned', 'point_account', PointsPayload & { pending: boolean; expiresAt: string | null }>;
export type PointsSpent = EventBase<
  'PointsSpent',
  'point_account',
  PointsPayload & { reference?: string | null | undefined; pairedWith?: string | null | undefined }
>;
export type PointsAdjusted = EventBase<'PointsAdjusted', 'point_account', PointsPayload>;
export type PointsExpired = EventBase<'PointsExpired', 'point_account', PointsPayload & { expiresAt: string }>;
export type PendingPointsConfirmed = EventBase<'PendingPointsConfirmed', 'point_account', PointsPayload & { pendingTransactionId: string }>;
export type PendingPointsCancelled = EventBase<'PendingPointsCancelled', 'point_account', PointsPayload & { pendingTransactionId: string }>;
export type PointsRefunded = EventBase<'PointsRefunded', 'point_account', PointsPayload & { refundOf: string; expiredPoints: number }>;
export type PointsReversed = EventBase<'PointsReversed', 'point_account', PointsPayload & { refundOf: string; shortfall: number }>;

export type WalletEvent =
  | WalletCreated
  | BalanceChanged
  | WalletFrozen
  | WalletUnfrozen
  | WalletClosed
  | WalletLimitsSet
  | HoldPlaced
  | HoldCaptured
  | HoldVoided
  | HoldIncremented
  | HoldExpired
  | AllowanceOpened
  | AllowanceSettled
  | AllowanceExpired;
export type PointEvent =
  | PointAccountCreated
  | PointsEarned
  | PointsSpent
  | PointsAdjusted
  | PointsExpired
  | PendingPointsConfirmed
  | PendingPointsCancelled
  | PointsRefunded
  | PointsReversed;
/** A signed checkpoint of the ledger's chain heads (ledger-checkpoint.ts), published by a reconciliation run. */
export type LedgerCheckpointed = EventBase<'LedgerCheckpointed', 'ledger', LedgerCheckpoint>;
export type DomainEvent = WalletEvent | PointEvent | LedgerCheckpointed;
export type DomainEventType = DomainEvent['type'];

/** An event of the aggregate named, stamped from the change's context (id, time, actor, request). */
export function domainEvent<E extends DomainEvent>(
  ctx: ChangeContext,
  aggregate: Pick<E, 'aggregateType' | 'aggregateId'>,
  type: E['type'],
  payload: E['payload'],
): E {
  const metadata = ctx.metadata ?? null;
  return {
    id: ctx.newId(),
    type,
    aggregateType: aggregate.aggregateType,
    aggregateId: aggregate.aggregateId,
    occurredAt: ctx.now,
    actor: ctx.actor ?? null,
    requestId: ctx.requestId ?? null,
    payload: metadata === null || 'metadata' in payload ? payload : { ...payload, metadata },
  } as E;
}

/** A checkpoint part as the event that publishes it (its own id, the ledger as its aggregate). */
export function checkpointEvent(part: LedgerCheckpoint): LedgerCheckpointed {
  return {
    id: part.id,
    type: 'LedgerCheckpointed',
    aggregateType: 'ledger',
    aggregateId: part.id,
    occurredAt: new Date(part.at),
    actor: null,
    requestId: null,
    payload: part,
  };
}
