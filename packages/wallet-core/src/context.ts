/**
 * What an aggregate needs from the outside world to change: the time and fresh ids. Passed in,
 * so that the domain stays pure and synchronous and tests can pin both.
 */
export interface ChangeContext {
  readonly now: Date;
  newId(): string;
}

export type Clock = () => Date;
export type IdGenerator = () => string;

export const systemClock: Clock = () => new Date();
export const randomIds: IdGenerator = () => globalThis.crypto.randomUUID();
