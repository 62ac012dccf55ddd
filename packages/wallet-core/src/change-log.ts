import type { ChangeContext } from './context.js';
import { domainEvent, type DomainEvent } from './events.js';

/** What changed in an aggregate since it was loaded, for the store to write in one unit of work. */
export interface Changes<T, E extends DomainEvent> {
  /** The version the row had when loaded (0: new); a store may check it as a second line of defence. */
  readonly loadedVersion: number;
  /** The ledger rows appended, in order. */
  readonly transactions: readonly T[];
  readonly events: readonly E[];
}

/**
 * The skeleton both aggregates share: the version they were loaded at, and the ledger rows, the
 * events and the changed parts (a wallet's holds, an account's lots) since, handed over once by
 * `pull`. A part changed twice is handed over once, in its latest state.
 */
export class ChangeLog<T, E extends DomainEvent, P extends { readonly id: string }> {
  private transactions: T[] = [];
  private events: E[] = [];
  /** Created on the first touch: most commands change no part, and a Map is the costliest of these fields. */
  private parts: Map<string, P> | null = null;

  constructor(
    readonly loadedVersion: number,
    private readonly aggregate: Pick<E, 'aggregateType' | 'aggregateId'>,
  ) {}

  get isNew(): boolean {
    return this.loadedVersion === 0;
  }

  append(transaction: T): void {
    this.transactions.push(transaction);
  }

  /** Records an event of this aggregate, stamped from the change's context. */
  record<K extends E>(ctx: ChangeContext, type: K['type'], payload: K['payload']): void {
    this.events.push(domainEvent<K>(ctx, this.aggregate as Pick<K, 'aggregateType' | 'aggregateId'>, type, payload));
  }

  touch(part: P): void {
    (this.parts ??= new Map()).set(part.id, part);
  }

  /** Hands over what changed since loading (or the last pull) and forgets it. */
  pull(): Changes<T, E> & { readonly parts: readonly P[] } {
    const changes = {
      loadedVersion: this.loadedVersion,
      transactions: this.transactions,
      events: this.events,
      parts: this.parts === null ? [] : [...this.parts.values()],
    };
    this.transactions = [];
    this.events = [];
    this.parts = null;
    return changes;
  }
}
