import { ChangeLog, type Changes } from '../change-log.js';
import type { ChangeContext } from '../context.js';
import { InsufficientPointsError, NotRefundableError, RefundExceedsOriginalError, TransactionNotFoundError, ValidationError } from '../errors.js';
import type { PointEvent } from '../events.js';
import { assertInFuture } from '../validate.js';
import type { PointTransaction, PointTransactionType } from './ledger.js';
import { compareLotsForSpending, hasExpiredAt, isLotDue, isOpenLot, type LotClaim, type PointAllocation, type PointLot } from './lot.js';

export interface PointAccountState {
  readonly id: string;
  readonly userId: string;
  /** Lifetime points credited: earned, confirmed, and positive adjustments. */
  readonly totalPoints: number;
  readonly availablePoints: number;
  readonly pendingPoints: number;
  readonly version: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface PointAccountChanges extends Changes<PointTransaction, PointEvent> {
  readonly account: PointAccount;
  /** Lots created or changed since loading, in their new state. */
  readonly lots: readonly PointLot[];
  readonly allocations: readonly PointAllocation[];
}

/** A ledger row to append: what the row says, beyond what the account stamps on it. */
interface PointRow {
  type: PointTransactionType;
  points: number;
  source: string;
  description?: string | null | undefined;
  expiresAt?: Date | null | undefined;
  refundOf?: string | null | undefined;
  reference?: string | null | undefined;
  pairedWith?: string | null | undefined;
  /** The row's id when it was chosen before the row (a split payment's two rows name each other). */
  id?: string | undefined;
}

/** How a row moves the account's three figures; an absent figure does not move. */
interface PointDelta {
  available?: number;
  pending?: number;
  total?: number;
}

export interface EarnInput {
  points: number;
  source: string;
  description?: string | null | undefined;
  expiresAt?: Date | null | undefined;
  pending?: boolean | undefined;
}

export interface SpendInput {
  points: number;
  source: string;
  description?: string | null | undefined;
  /** A split payment's: its reference, its money row, and this row's id chosen before that row was written. */
  reference?: string | null | undefined;
  pairedWith?: string | null | undefined;
  id?: string | undefined;
}

export interface AdjustInput {
  /** Signed, never zero: positive credits, negative debits. */
  points: number;
  source: string;
  description?: string | null | undefined;
}

function assertPositiveSafe(points: number, field = 'points'): void {
  if (!Number.isSafeInteger(points) || points <= 0) {
    throw new ValidationError(`${field} must be a positive safe integer`, [{ path: field, message: 'must be a positive safe integer' }]);
  }
}

/**
 * The loyalty-points account of one user. Points live in lots; spending and expiry consume the
 * earliest-expiring lots first. Lots whose expiry has passed are expired before any other change,
 * so expired points can never be spent, even before the next `expire` run.
 */
export class PointAccount {
  private state: PointAccountState;
  private readonly changes: ChangeLog<PointTransaction, PointEvent, PointLot>;
  private readonly lots: Map<string, PointLot>;
  private allocations: PointAllocation[] = [];

  private constructor(state: PointAccountState, lots: readonly PointLot[], loadedVersion: number) {
    this.state = state;
    this.changes = new ChangeLog(loadedVersion, { aggregateType: 'point_account', aggregateId: state.id });
    this.lots = new Map(lots.map((l) => [l.id, l]));
  }

  /**
   * Rebuilds an account from its stored state and its open lots (pending, or active with points
   * left), plus any closed lot a command needs (the lots of a spend being refunded).
   */
  static restore(state: PointAccountState, lots: readonly PointLot[]): PointAccount {
    return new PointAccount(state, lots, state.version);
  }

  static open(ctx: ChangeContext, userId: string): PointAccount {
    const account = new PointAccount(
      {
        id: ctx.newId(),
        userId,
        totalPoints: 0,
        availablePoints: 0,
        pendingPoints: 0,
        version: 1,
        createdAt: ctx.now,
        updatedAt: ctx.now,
      },
      [],
      0,
    );
    account.record(ctx, 'PointAccountCreated', { userId });
    return account;
  }

  get id(): string {
    return this.state.id;
  }
  get userId(): string {
    return this.state.userId;
  }
  get totalPoints(): number {
    return this.state.totalPoints;
  }
  get availablePoints(): number {
    return this.state.availablePoints;
  }
  get pendingPoints(): number {
    return this.state.pendingPoints;
  }
  get version(): number {
    return this.state.version;
  }
  get createdAt(): Date {
    return this.state.createdAt;
  }
  get updatedAt(): Date {
    return this.state.updatedAt;
  }
  get snapshot(): PointAccountState {
    return this.state;
  }
  get isNew(): boolean {
    return this.changes.isNew;
  }
  /** Available points at `now`: lots past their expiry do not count, whether or not `expire` has run. */
  availableAt(now: Date): number {
    return this.state.availablePoints - this.expirableAt(now);
  }

  /** The open lots, in spending order. */
  get openLots(): readonly PointLot[] {
    return [...this.lots.values()].filter(isOpenLot).sort(compareLotsForSpending);
  }

  earn(ctx: ChangeContext, input: EarnInput): PointTransaction {
    assertPositiveSafe(input.points);
    const expiresAt = input.expiresAt ?? null;
    if (expiresAt) assertInFuture('expiresAt', expiresAt, ctx.now);
    this.expireDue(ctx, ctx.now);
    const pending = input.pending === true;
    this.assertSafeTotal(pending ? this.state.pendingPoints + input.points : this.state.totalPoints + input.points);
    const tx = this.append(
      ctx,
      { type: pending ? 'pending' : 'earn', points: input.points, source: input.source, description: input.description, expiresAt },
      {
        available: pending ? 0 : input.points,
        pending: pending ? input.points : 0,
        total: pending ? 0 : input.points,
      },
    );
    this.putLot({
      id: tx.id,
      accountId: this.id,
      points: input.points,
      remaining: input.points,
      status: pending ? 'pending' : 'active',
      source: input.source,
      expiresAt,
      createdAt: ctx.now,
      owed: 0,
      owedTo: null,
    });
    if (!pending) this.allocate(tx.id, tx.id, input.points);
    this.record(ctx, 'PointsEarned', { ...this.pointsPayload(tx), pending, expiresAt: expiresAt?.toISOString() ?? null });
    return tx;
  }

  spend(ctx: ChangeContext, input: SpendInput): PointTransaction {
    assertPositiveSafe(input.points);
    this.expireDue(ctx, ctx.now);
    const taken = this.consume(input.points);
    const { source, description, reference, pairedWith, id } = input;
    const tx = this.append(ctx, { type: 'spend', points: -input.points, source, description, reference, pairedWith, id }, { available: -input.points });
    for (const t of taken) this.allocate(tx.id, t.lotId, t.points);
    // A split payment's link only on its rows: every other spend keeps the payload it always had.
    this.record(
      ctx,
      'PointsSpent',
      tx.pairedWith === null ? this.pointsPayload(tx) : { ...this.pointsPayload(tx), reference: tx.reference, pairedWith: tx.pairedWith },
    );
    return tx;
  }

  /** A signed correction by an admin: positive credits a lot that never expires, negative debits like a spend. */
  adjust(ctx: ChangeContext, input: AdjustInput): PointTransaction {
    if (!Number.isSafeInteger(input.points) || input.points === 0) {
      throw new ValidationError('points must be a non-zero safe integer', [{ path: 'points', message: 'must be a non-zero safe integer' }]);
    }
    this.expireDue(ctx, ctx.now);
    let tx: PointTransaction;
    if (input.points > 0) {
      this.assertSafeTotal(this.state.totalPoints + input.points);
      tx = this.append(
        ctx,
        { type: 'adjust', points: input.points, source: input.source, description: input.description },
        {
          available: input.points,
          total: input.points,
        },
      );
      this.putLot({
        id: tx.id,
        accountId: this.id,
        points: input.points,
        remaining: input.points,
        status: 'active',
        source: input.source,
        expiresAt: null,
        createdAt: ctx.now,
        owed: 0,
        owedTo: null,
      });
      this.allocate(tx.id, tx.id, input.points);
    } else {
      const taken = this.consume(-input.points);
      tx = this.append(ctx, { type: 'adjust', points: input.points, source: input.source, description: input.description }, { available: input.points });
      for (const t of taken) this.allocate(tx.id, t.lotId, t.points);
    }
    this.record(ctx, 'PointsAdjusted', this.pointsPayload(tx));
    return tx;
  }

  /** Makes a pending earn spendable. `pendingTransactionId` is the id of its `pending` ledger row. */
  confirm(ctx: ChangeContext, pendingTransactionId: string): PointTransaction {
    const lot = this.pendingLot(pendingTransactionId);
    this.expireDue(ctx, ctx.now);
    this.assertSafeTotal(this.state.totalPoints + lot.points);
    this.putLot({ ...lot, status: 'active' });
    const tx = this.append(
      ctx,
      { type: 'confirm', points: lot.points, source: lot.source, expiresAt: lot.expiresAt },
      {
        available: lot.points,
        pending: -lot.points,
        total: lot.points,
      },
    );
    this.allocate(tx.id, lot.id, lot.points);
    this.record(ctx, 'PendingPointsConfirmed', { ...this.pointsPayload(tx), pendingTransactionId });
    // A lot confirmed after its expiry is credited and expired in the same change: the ledger
    // shows both, and the points were never spendable.
    this.expireDue(ctx, ctx.now);
    return tx;
  }

  /** Drops a pending earn. Its ledger row carries the pending points negated; available is unchanged. */
  cancel(ctx: ChangeContext, pendingTransactionId: string): PointTransaction {
    const lot = this.pendingLot(pendingTransactionId);
    this.expireDue(ctx, ctx.now);
    this.putLot({ ...lot, status: 'cancelled', remaining: 0 });
    const tx = this.append(ctx, { type: 'cancel', points: -lot.points, source: lot.source, expiresAt: lot.expiresAt }, { pending: -lot.points });
    this.record(ctx, 'PendingPointsCancelled', { ...this.pointsPayload(tx), pendingTransactionId });
    return tx;
  }

  /** Expires every active lot whose expiry is at or before `asOf`; one ledger row per lot. */
  expire(ctx: ChangeContext, asOf: Date): PointTransaction[] {
    return this.expireDue(ctx, asOf);
  }

  /**
   * Gives all or part (`points`) of a spend back to the lots it took them from, each lot keeping
   * its expiry. The latest-expiring lots get theirs back first. The share of a lot already expired
   * is not returned, only reported as `expiredPoints` (it counts as refunded all the same). All
   * refunds of one spend never exceed it.
   */
  refundSpend(
    ctx: ChangeContext,
    input: { spend: PointTransaction; lots: readonly LotClaim[]; points?: number | undefined; reason?: string | null | undefined },
  ): { transaction: PointTransaction; expiredPoints: number } {
    const { spend } = input;
    if (spend.type !== 'spend') throw new NotRefundableError(spend.id, `A points ${spend.type} cannot be refunded; only a spend can`);
    const left = input.lots.reduce((sum, l) => sum + l.points - l.claimedBack, 0);
    const requested = this.claimable(spend.id, left, input.points);
    this.expireDue(ctx, ctx.now);
    const lots = input.lots
      .map((claim) => ({ claim, lot: this.lots.get(claim.lotId) }))
      .filter((x): x is { claim: LotClaim; lot: PointLot } => x.lot !== undefined)
      .sort((a, b) => compareLotsForSpending(b.lot, a.lot));
    let toGo = requested;
    let returned = 0;
    let expiredPoints = 0;
    const shares: { lotId: string; points: number }[] = [];
    const settled: { lot: PointLot; points: number }[] = [];
    for (const { claim, lot } of lots) {
      if (toGo === 0) break;
      const share = Math.min(claim.points - claim.claimedBack, toGo);
      if (share <= 0) continue;
      toGo -= share;
      shares.push({ lotId: lot.id, points: share });
      if (hasExpiredAt(lot, ctx.now)) {
        expiredPoints += share;
      } else {
        returned += share;
        // What a reversal of this lot's credit still owes is paid first from what comes back.
        const owed = Math.min(lot.owed, share);
        if (owed > 0) settled.push({ lot, points: owed });
        this.putLot({ ...lot, remaining: lot.remaining + share - owed, owed: lot.owed - owed });
      }
    }
    // The claims are the ledger's record of the spend; a gap here means corrupted state.
    if (toGo !== 0) throw new Error(`Point account ${this.id}: spend ${spend.id} has fewer lots than its points`);
    const tx = this.append(
      ctx,
      { type: 'refund', points: returned, source: spend.source, description: input.reason, refundOf: spend.id },
      { available: returned },
    );
    for (const share of shares) this.allocate(tx.id, share.lotId, share.points);
    this.record(ctx, 'PointsRefunded', { ...this.pointsPayload(tx), refundOf: spend.id, expiredPoints });
    // Each owed reversal it settles is a reversal row of its own, after the refund's, naming the
    // credit: the ledger shows the points coming back and going to the reversal. It carries no
    // allocation, since the reversal that left the points owed already claimed them.
    for (const { lot, points } of settled) this.takeBack(ctx, { creditId: lot.owedTo as string, source: lot.source, reason: input.reason }, points, 0);
    return { transaction: tx, expiredPoints };
  }

  /**
   * Claws back all or part (`points`) of an `earn` or `confirm` from what is left of its lot,
   * never below zero; what was already spent or expired is reported as `shortfall` (it counts as
   * reversed all the same). All reversals of one credit never exceed it.
   */
  reverseCredit(
    ctx: ChangeContext,
    input: { credit: PointTransaction; lot: LotClaim; points?: number | undefined; reason?: string | null | undefined },
  ): { transaction: PointTransaction; shortfall: number } {
    const { credit } = input;
    if (credit.type !== 'earn' && credit.type !== 'confirm') {
      throw new NotRefundableError(credit.id, `A points ${credit.type} cannot be reversed; only an earn or a confirm can`);
    }
    const requested = this.claimable(credit.id, input.lot.points - input.lot.claimedBack, input.points);
    this.expireDue(ctx, ctx.now);
    const lot = this.lots.get(input.lot.lotId);
    // The lot is among those loaded for the credit; a credit without it means corrupted state.
    if (!lot) throw new Error(`Point account ${this.id}: credit ${credit.id} has no lot ${input.lot.lotId}`);
    const clawed = Math.min(lot.status === 'active' ? lot.remaining : 0, requested);
    const shortfall = requested - clawed;
    // The shortfall stays owed on the lot: points that come back to it later go to this reversal
    // first, so returning a spend before or after reversing the credit ends the same.
    if (clawed > 0 || shortfall > 0) this.putLot({ ...lot, remaining: lot.remaining - clawed, owed: lot.owed + shortfall, owedTo: credit.id });
    const tx = this.takeBack(ctx, { creditId: credit.id, source: credit.source, reason: input.reason }, clawed, shortfall);
    this.allocate(tx.id, input.lot.lotId, requested);
    return { transaction: tx, shortfall };
  }

  /** A reversal row taking `points` back from available and lifetime credited; `shortfall` is what stays owed. */
  private takeBack(
    ctx: ChangeContext,
    of: { creditId: string; source: string; reason?: string | null | undefined },
    points: number,
    shortfall: number,
  ): PointTransaction {
    const tx = this.append(
      ctx,
      { type: 'reversal', points: points === 0 ? 0 : -points, source: of.source, description: of.reason, refundOf: of.creditId },
      { available: -points, total: -points },
    );
    this.record(ctx, 'PointsReversed', { ...this.pointsPayload(tx), refundOf: of.creditId, shortfall });
    return tx;
  }

  /** The points that `expire(asOf)` would take, without changing anything. */
  expirableAt(asOf: Date): number {
    let sum = 0;
    for (const lot of this.lots.values()) if (isLotDue(lot, asOf)) sum += lot.remaining;
    return sum;
  }

  pullChanges(): PointAccountChanges {
    const { loadedVersion, transactions, events, parts } = this.changes.pull();
    const allocations = this.allocations;
    this.allocations = [];
    return { account: this, loadedVersion, transactions, lots: parts, allocations, events };
  }

  private expireDue(ctx: ChangeContext, asOf: Date): PointTransaction[] {
    const due = [...this.lots.values()].filter((l) => isLotDue(l, asOf)).sort(compareLotsForSpending);
    return due.map((lot) => {
      this.putLot({ ...lot, remaining: 0 });
      const tx = this.append(ctx, { type: 'expire', points: -lot.remaining, source: lot.source, expiresAt: lot.expiresAt }, { available: -lot.remaining });
      this.record(ctx, 'PointsExpired', { ...this.pointsPayload(tx), expiresAt: (lot.expiresAt as Date).toISOString() });
      return tx;
    });
  }

  private pendingLot(transactionId: string): PointLot {
    const lot = this.lots.get(transactionId);
    if (!lot || lot.status !== 'pending') {
      throw new TransactionNotFoundError(transactionId, `No pending points transaction ${transactionId}`);
    }
    return lot;
  }

  /** Takes `points` from the active lots in spending order; all or nothing. Returns what it took from which lot. */
  private consume(points: number): { lotId: string; points: number }[] {
    if (points > this.state.availablePoints) throw new InsufficientPointsError(this.state.availablePoints, points);
    let left = points;
    const taken: { lotId: string; points: number }[] = [];
    for (const lot of this.openLots) {
      if (left === 0) break;
      if (lot.status !== 'active') continue;
      const take = Math.min(lot.remaining, left);
      if (take === 0) continue;
      this.putLot({ ...lot, remaining: lot.remaining - take });
      taken.push({ lotId: lot.id, points: take });
      left -= take;
    }
    // The lots are the truth behind availablePoints; a gap here means corrupted state.
    if (left !== 0) throw new Error(`Point account ${this.id}: lots hold less than availablePoints`);
    return taken;
  }

  /** What a refund or reversal of `originalId` takes: `points`, or all that is `left`; never more than is left. */
  private claimable(originalId: string, left: number, points: number | undefined): number {
    if (points !== undefined) assertPositiveSafe(points);
    const requested = points ?? left;
    if (left <= 0 || requested > left) throw new RefundExceedsOriginalError(originalId, String(Math.max(left, 0)), String(requested));
    return requested;
  }

  private allocate(transactionId: string, lotId: string, points: number): void {
    this.allocations.push({ transactionId, lotId, points });
  }

  private assertSafeTotal(total: number): void {
    if (!Number.isSafeInteger(total)) {
      throw new ValidationError('points would exceed the safe integer range', [{ path: 'points', message: 'total would exceed 2^53 - 1' }]);
    }
  }

  private putLot(lot: PointLot): void {
    this.lots.set(lot.id, lot);
    this.changes.touch(lot);
  }

  private append(ctx: ChangeContext, row: PointRow, delta: PointDelta): PointTransaction {
    this.state = {
      ...this.state,
      availablePoints: this.state.availablePoints + (delta.available ?? 0),
      pendingPoints: this.state.pendingPoints + (delta.pending ?? 0),
      totalPoints: this.state.totalPoints + (delta.total ?? 0),
      version: this.state.version + 1,
      updatedAt: ctx.now,
    };
    const tx: PointTransaction = {
      id: row.id ?? ctx.newId(),
      accountId: this.id,
      type: row.type,
      points: row.points,
      balanceAfter: this.state.availablePoints,
      source: row.source,
      description: row.description ?? null,
      expiresAt: row.expiresAt ?? null,
      refundOf: row.refundOf ?? null,
      reference: row.reference ?? null,
      pairedWith: row.pairedWith ?? null,
      actor: ctx.actor ?? null,
      createdAt: ctx.now,
      metadata: ctx.metadata ?? null,
    };
    this.changes.append(tx);
    return tx;
  }

  private pointsPayload(tx: PointTransaction) {
    return { userId: this.userId, transactionId: tx.id, points: tx.points, balanceAfter: tx.balanceAfter, source: tx.source };
  }

  private record<E extends PointEvent>(ctx: ChangeContext, type: E['type'], payload: E['payload']): void {
    this.changes.record<E>(ctx, type, payload);
  }
}
