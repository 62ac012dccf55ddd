import { isWalletError } from '../errors.js';
import { WalletService } from '../facade.js';
import type { DomainEvent } from '../events.js';
import { DEFAULT_EVENT_READ_LIMIT, type Positioned, type WalletStore } from '../store.js';

let counter = 0;
/** A user id no other test of this run uses, so that cases can share one store. */
export function uniqueUser(prefix = 'user'): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}

/** A service on `store` whose clock the case moves. */
export function clockedService(store: WalletStore, start: string) {
  const clock = { now: new Date(start) };
  const service = new WalletService({ store, clock: () => clock.now });
  return { service, clock, advance: (ms: number) => (clock.now = new Date(clock.now.getTime() + ms)) };
}

/** A new wallet of a new user (unless named), holding `amount`. */
export async function funded(service: WalletService, amount: string, currency = 'VND', userId = uniqueUser()) {
  const wallet = await service.createWallet({ userId, currency });
  if (amount !== '0') await service.deposit({ walletId: wallet.id, amount });
  return wallet;
}

/** Awaits a promise that must fail with a wallet error and returns its code. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  return (await figuresOf(promise)).code;
}

/** Awaits a promise that must fail with a wallet error and returns its code and the figures it carries. */
export async function figuresOf(promise: Promise<unknown>): Promise<{ code: string; figures: unknown }> {
  try {
    await promise;
  } catch (e) {
    if (isWalletError(e)) return { code: e.code, figures: e.figures };
    throw e;
  }
  throw new Error('expected the command to fail, but it succeeded');
}

/** Every event of the store after a position (from the start when none), paging to the end: a suite's store holds more than one page. */
export async function allEvents(store: WalletStore, after?: string): Promise<Positioned<DomainEvent>[]> {
  const out: Positioned<DomainEvent>[] = [];
  for (let from = after; ;) {
    const page = await store.listEvents(from, DEFAULT_EVENT_READ_LIMIT);
    out.push(...page);
    if (page.length < DEFAULT_EVENT_READ_LIMIT) return out;
    from = page[page.length - 1]?.position;
  }
}
