import { ServiceUnavailableError, type WalletStore } from '@goodgo/wallet-core';
import type { Logger } from 'pino';

export interface StoreConnector {
  /**
   * Stands for the store from the start: until the database has answered (and been migrated) every
   * call rejects with SERVICE_UNAVAILABLE and `ping` fails, so readiness is 503 while liveness is
   * 200; from then on every call goes to the real store.
   */
  readonly store: WalletStore;
  /** Settles after the first attempt, whether it succeeded or not. */
  readonly firstAttempt: Promise<void>;
  /** Resolves once the store is open. */
  readonly ready: Promise<void>;
  /** Stops retrying and closes the store if it was opened. */
  close(): Promise<void>;
}

export interface ConnectorOptions {
  logger: Logger;
  /** First pause after a failed attempt; it doubles up to `maxDelayMs`, with jitter. */
  minDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * Opens the store with `open` (connect and migrate), retrying with capped exponential backoff and
 * full jitter until it succeeds or `close` is called. A database that is down when the process
 * starts is the same fault as one that goes away later: the process stays up and says so on
 * `/health/ready`, and starts serving the moment the database answers.
 */
export function connectStore(open: () => Promise<WalletStore>, options: ConnectorOptions): StoreConnector {
  const minDelay = options.minDelayMs ?? 250;
  const maxDelay = options.maxDelayMs ?? 5_000;
  let current: WalletStore | null = null;
  let closed = false;
  let wake: () => void = () => undefined;
  let markReady: () => void = () => undefined;
  let markFirst: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const firstAttempt = new Promise<void>((resolve) => (markFirst = resolve));

  const loop = (async () => {
    for (let attempt = 1; !closed; attempt++) {
      let delayMs = 0;
      try {
        const store = await open();
        if (closed) {
          await store.close();
          return;
        }
        current = store;
        if (attempt > 1) options.logger.info({ attempt }, 'database reachable: store open, migrations applied');
        markReady();
        return;
      } catch (e) {
        delayMs = Math.round(Math.random() * Math.min(maxDelay, minDelay * 2 ** (attempt - 1)));
        options.logger.warn({ err: e, attempt, retryInMs: delayMs }, 'database not reachable at start; retrying');
      } finally {
        markFirst();
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delayMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  })();

  const notYet = () => Promise.reject(new ServiceUnavailableError('The database is not reachable yet'));
  const close = async () => {
    closed = true;
    wake();
    await loop;
    await current?.close();
  };
  // A proxy rather than a class listing the port's methods: whatever the port offers is passed
  // through once the store is open, and refused as unavailable until then.
  const store = new Proxy({} as WalletStore, {
    get(_target, prop) {
      if (prop === 'close') return close;
      const target = current;
      if (target === null) return prop === 'then' || typeof prop !== 'string' ? undefined : notYet;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store, firstAttempt, ready, close };
}
