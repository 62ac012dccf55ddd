import type { WalletStore } from '@goodgo/wallet-core';
import type { Logger } from 'pino';
import type { Metrics } from './metrics.js';

export interface IdempotencyPurgeOptions {
  store: WalletStore;
  /** Keys older than this are deleted (WALLET_IDEMPOTENCY_TTL). */
  ttlMs: number;
  metrics: Metrics;
  logger: Logger;
  /** Keys deleted per statement. Default 1 000. */
  batchSize?: number;
  /** Pause between two runs. Default 5 minutes. */
  intervalMs?: number;
  /** Pause between two batches of one run, so that commands get the database in between. Default 20 ms. */
  pauseMs?: number;
  now?: () => Date;
}

export interface IdempotencyPurge {
  /** One run: batches until a batch comes back short. Resolves with the number of keys deleted. */
  runOnce(): Promise<number>;
  /** Stops the timer and waits for a run in progress to finish its batch. */
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Deletes idempotency keys older than the TTL, in small batches, each its own short statement that
 * skips keys a running command holds: the table stays bounded and no command waits behind a large
 * DELETE. Observable as `wallet_idempotency_keys_purged_total` and
 * `wallet_idempotency_purge_runs_total{outcome}`. A run that meets a database error stops and is
 * counted as an error; the next run starts from scratch.
 */
export function startIdempotencyPurge(o: IdempotencyPurgeOptions): IdempotencyPurge {
  const batchSize = o.batchSize ?? 1000;
  const pauseMs = o.pauseMs ?? 20;
  const now = o.now ?? (() => new Date());
  let stopped = false;
  let running: Promise<number> | null = null;

  const run = async (): Promise<number> => {
    const cutoff = new Date(now().getTime() - o.ttlMs);
    let total = 0;
    try {
      for (;;) {
        const purged = await o.store.purgeIdempotencyKeys(cutoff, batchSize);
        total += purged;
        o.metrics.idempotencyKeysPurged.inc(purged);
        if (purged < batchSize || stopped) break;
        await sleep(pauseMs);
      }
      o.metrics.idempotencyPurgeRuns.inc({ outcome: 'ok' });
      if (total > 0) o.logger.info({ purged: total, olderThan: cutoff.toISOString() }, 'idempotency keys purged');
    } catch (e) {
      o.metrics.idempotencyPurgeRuns.inc({ outcome: 'error' });
      o.logger.warn({ err: e, purged: total }, 'idempotency key purge interrupted; the next run resumes');
    }
    return total;
  };
  const runOnce = () => (running ??= run().finally(() => (running = null)));
  const timer = setInterval(() => void runOnce(), o.intervalMs ?? 5 * 60_000);
  timer.unref();
  return {
    runOnce,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
