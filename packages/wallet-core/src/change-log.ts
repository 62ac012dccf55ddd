import type { ChangeContext } from './context.js';
import { domainEvent, type DomainEvent } from './events.js';

/**
 * What an aggregate hands over of a kind it did not change: one empty list for all, read-only by
 * its type. Not frozen: a frozen array is another kind of elements to V8, and iterating both
 * kinds made the store's commit loops slower (measured: three times the allocation of a commit).
 */
export const NONE: readonly never[] = [];

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
  // Null until the first row or event: a literal of the first one is an array of its size, where
  // an empty array grows to seventeen slots at its first push (docs/DESIGN.md, "Memory path").
  private transactions: T[] | null = null;
  private events: E[] | null = null;
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
    if (this.transactions === null) this.transactions = [transaction];
    else this.transactions.push(transaction);
  }

  /** Records an event of this aggregate, stamped from the change's context. */
  record<K extends E>(ctx: ChangeContext, type: K['type'], payload: K['payload']): void {
    const event = domainEvent<K>(ctx, this.aggregate as Pick<K, 'aggregateType' | 'aggregateId'>, type, payload);
    if (this.events === null) this.events = [event];
    else this.events.push(event);
  }

  touch(part: P): void {
    (this.parts ??= new Map()).set(part.id, part);
  }

  /** Hands over what changed since loading (or the last pull) and forgets it. */
  pull(): Changes<T, E> & { readonly parts: readonly P[] } {
    const changes = {
      loadedVersion: this.loadedVersion,
      transactions: this.transactions ?? NONE,
      events: this.events ?? NONE,
      parts: this.parts === null ? NONE : [...this.parts.values()],
    };
    this.transactions = null;
    this.events = null;
    this.parts = null;
    return changes;
  }
}
