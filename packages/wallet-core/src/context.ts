/**
 * What an aggregate needs from the outside world to change: the time, fresh ids, and who is
 * acting. Passed in, so that the domain stays pure and synchronous and tests can pin all three.
 */

/** Whoever caused a change, for the audit trail: the caller's `sub` and the role it acted in. */
export interface Actor {
  readonly sub: string;
  readonly role: string;
}

export interface ChangeContext {
  readonly now: Date;
  newId(): string;
  /** Written on every ledger row and event of the change; `null` (or absent) for an anonymous library caller. */
  readonly actor?: Actor | null | undefined;
  /** The request that caused the change (the server's request id), written on every event. */
  readonly requestId?: string | null | undefined;
}

export type Clock = () => Date;
export type IdGenerator = () => string;

export const systemClock: Clock = () => new Date();
export const randomIds: IdGenerator = () => globalThis.crypto.randomUUID();
