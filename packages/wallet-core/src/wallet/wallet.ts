import type { ChangeContext } from '../context.js';
import {
  CurrencyMismatchError,
  InsufficientFundsError,
  WalletClosedError,
  WalletFrozenError,
  WalletNotEmptyError,
} from '../errors.js';
import type { BalanceChanged, WalletEvent } from '../events.js';
import type { Currency } from '../money/currency.js';
import { Money } from '../money/money.js';

export type WalletStatus = 'active' | 'frozen' | 'closed';
export type WalletTransactionType = 'deposit' | 'withdrawal' | 'transfer_in' | 'transfer_out';

/** One append-only ledger row: every balance change has exactly one. */
export interface WalletTransaction {
  readonly id: string;
  readonly walletId: string;
  readonly type: WalletTransactionType;
  readonly amount: Money;
  readonly balanceAfter: Money;
  readonly description: string | null;
  readonly reference: string | null;
  readonly transferId: string | null;
  readonly createdAt: Date;
}

export interface WalletState {
  readonly id: string;
  readonly userId: string;
  readonly currency: Currency;
  readonly balance: Money;
  readonly status: WalletStatus;
  readonly version: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly closedAt: Date | null;
}

export interface MovementDetails {
  description?: string | null | undefined;
  reference?: string | null | undefined;
}

/** What changed since the aggregate was loaded, for the store to write in one unit of work. */
export interface WalletChanges {
  readonly wallet: Wallet;
  /** The version the row had when loaded; a store may check it as a second line of defence. */
  readonly loadedVersion: number;
  readonly transactions: readonly WalletTransaction[];
  readonly events: readonly WalletEvent[];
}

/**
 * The wallet aggregate: one currency, a balance that never goes below zero, and a status.
 * Every balance change appends a ledger row carrying `balanceAfter` and records an event.
 */
export class Wallet {
  private state: WalletState;
  private readonly loadedVersion: number;
  private transactions: WalletTransaction[] = [];
  private events: WalletEvent[] = [];

  private constructor(state: WalletState, loadedVersion: number) {
    this.state = state;
    this.loadedVersion = loadedVersion;
  }

  /** Rebuilds a wallet from stored state; records nothing. */
  static restore(state: WalletState): Wallet {
    return new Wallet(state, state.version);
  }

  static open(ctx: ChangeContext, input: { id?: string; userId: string; currency: Currency }): Wallet {
    const wallet = new Wallet(
      {
        id: input.id ?? ctx.newId(),
        userId: input.userId,
        currency: input.currency,
        balance: Money.zero(input.currency),
        status: 'active',
        version: 1,
        createdAt: ctx.now,
        updatedAt: ctx.now,
        closedAt: null,
      },
      0,
    );
    wallet.record(ctx, 'WalletCreated', { userId: input.userId, currency: input.currency.code });
    return wallet;
  }

  get id(): string {
    return this.state.id;
  }
  get userId(): string {
    return this.state.userId;
  }
  get currency(): Currency {
    return this.state.currency;
  }
  get balance(): Money {
    return this.state.balance;
  }
  get status(): WalletStatus {
    return this.state.status;
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
  get closedAt(): Date | null {
    return this.state.closedAt;
  }
  get snapshot(): WalletState {
    return this.state;
  }
  get isNew(): boolean {
    return this.loadedVersion === 0;
  }

  deposit(ctx: ChangeContext, amount: Money, details: MovementDetails = {}): WalletTransaction {
    this.assertCanReceive(amount);
    return this.move(ctx, 'deposit', amount, details, null);
  }

  withdraw(ctx: ChangeContext, amount: Money, details: MovementDetails = {}): WalletTransaction {
    this.assertCanPay(amount);
    return this.move(ctx, 'withdrawal', amount, details, null);
  }

  transferOut(ctx: ChangeContext, amount: Money, transferId: string, details: MovementDetails = {}): WalletTransaction {
    this.assertCanPay(amount);
    return this.move(ctx, 'transfer_out', amount, details, transferId);
  }

  transferIn(ctx: ChangeContext, amount: Money, transferId: string, details: MovementDetails = {}): WalletTransaction {
    this.assertCanReceive(amount);
    return this.move(ctx, 'transfer_in', amount, details, transferId);
  }

  /** Checks that `amount` could be paid out now, without changing anything. */
  assertCanPay(amount: Money): void {
    this.assertMovable(amount);
    if (this.state.balance.lessThan(amount)) {
      throw new InsufficientFundsError(this.id, this.state.balance.format(), amount.format());
    }
  }

  /** Checks that `amount` could be received now, without changing anything. */
  assertCanReceive(amount: Money): void {
    this.assertMovable(amount);
  }

  /** Freezing a frozen wallet changes nothing and records nothing: the outcome is the same. */
  freeze(ctx: ChangeContext, reason: string | null = null): void {
    this.assertNotClosed();
    if (this.state.status === 'frozen') return;
    this.setState(ctx, { status: 'frozen' });
    this.record(ctx, 'WalletFrozen', { userId: this.userId, reason });
  }

  /** Unfreezing an active wallet changes nothing and records nothing. */
  unfreeze(ctx: ChangeContext, reason: string | null = null): void {
    this.assertNotClosed();
    if (this.state.status === 'active') return;
    this.setState(ctx, { status: 'active' });
    this.record(ctx, 'WalletUnfrozen', { userId: this.userId, reason });
  }

  /** Soft delete: the wallet and its history stay readable; only an empty wallet closes. */
  close(ctx: ChangeContext, reason: string | null = null): void {
    this.assertNotClosed();
    if (!this.state.balance.isZero()) throw new WalletNotEmptyError(this.id, this.state.balance.format());
    this.setState(ctx, { status: 'closed', closedAt: ctx.now });
    this.record(ctx, 'WalletClosed', { userId: this.userId, reason });
  }

  get hasChanges(): boolean {
    return this.state.version !== this.loadedVersion;
  }

  /** Hands over what changed since loading and forgets it. */
  pullChanges(): WalletChanges {
    const changes: WalletChanges = {
      wallet: this,
      loadedVersion: this.loadedVersion,
      transactions: this.transactions,
      events: this.events,
    };
    this.transactions = [];
    this.events = [];
    return changes;
  }

  private move(
    ctx: ChangeContext,
    type: WalletTransactionType,
    amount: Money,
    details: MovementDetails,
    transferId: string | null,
  ): WalletTransaction {
    const credit = type === 'deposit' || type === 'transfer_in';
    const balanceAfter = credit ? this.state.balance.add(amount) : this.state.balance.subtract(amount);
    const tx: WalletTransaction = {
      id: ctx.newId(),
      walletId: this.id,
      type,
      amount,
      balanceAfter,
      description: details.description ?? null,
      reference: details.reference ?? null,
      transferId,
      createdAt: ctx.now,
    };
    this.setState(ctx, { balance: balanceAfter });
    this.transactions.push(tx);
    const payload: BalanceChanged['payload'] = {
      userId: this.userId,
      currency: this.currency.code,
      transactionId: tx.id,
      transactionType: type,
      amount: amount.format(),
      balanceAfter: balanceAfter.format(),
      transferId,
      reference: tx.reference,
    };
    this.record(ctx, 'BalanceChanged', payload);
    return tx;
  }

  private assertMovable(amount: Money): void {
    this.assertNotClosed();
    if (this.state.status === 'frozen') throw new WalletFrozenError(this.id);
    if (amount.currency.code !== this.currency.code) throw new CurrencyMismatchError(this.currency.code, amount.currency.code);
  }

  private assertNotClosed(): void {
    if (this.state.status === 'closed') throw new WalletClosedError(this.id);
  }

  private setState(ctx: ChangeContext, patch: Partial<WalletState>): void {
    this.state = { ...this.state, ...patch, version: this.state.version + 1, updatedAt: ctx.now };
  }

  private record<E extends WalletEvent>(ctx: ChangeContext, type: E['type'], payload: E['payload']): void {
    this.events.push({
      id: ctx.newId(),
      type,
      aggregateType: 'wallet',
      aggregateId: this.id,
      occurredAt: ctx.now,
      payload,
    } as E);
  }
}
