import { WalletService, wasReplayed } from '@goodgo/wallet-core';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { startIdempotencyPurge } from '../src/idempotency-purge.js';
import { harness } from './support/harness.js';

describe('the idempotency key purge', () => {
  it('deletes keys older than WALLET_IDEMPOTENCY_TTL in batches, keeps younger ones, and counts it in /metrics', async () => {
    const h = await harness();
    const owner = await h.userWithWallet('0');
    const DAY = 86_400_000;
    const now = new Date('2031-06-10T12:00:00Z');
    const at = (ms: number) => new WalletService({ store: h.store, clock: () => new Date(now.getTime() - ms) });
    // Five keys of two days ago, two of an hour ago.
    for (let i = 0; i < 5; i++) await at(2 * DAY).deposit({ walletId: owner.walletId, amount: '1' }, { idempotencyKey: `old-${i}` });
    for (let i = 0; i < 2; i++) await at(3_600_000).deposit({ walletId: owner.walletId, amount: '1' }, { idempotencyKey: `young-${i}` });

    const purge = startIdempotencyPurge({
      store: h.store,
      ttlMs: DAY,
      metrics: h.metrics,
      logger: pino({ level: 'silent' }),
      batchSize: 2,
      pauseMs: 0,
      now: () => now,
    });
    try {
      expect(await purge.runOnce()).toBe(5);
      expect(await purge.runOnce()).toBe(0);
    } finally {
      await purge.stop();
    }
    const metrics = (await h.call('GET', '/metrics')).body as string;
    expect(metrics).toContain('wallet_idempotency_keys_purged_total 5');
    expect(metrics).toContain('wallet_idempotency_purge_runs_total{outcome="ok"} 2');
    // A young key still replays (its first answer, balance 6); an old one is new again and executes.
    const young = await h.service.deposit({ walletId: owner.walletId, amount: '1' }, { idempotencyKey: 'young-0' });
    const old = await h.service.deposit({ walletId: owner.walletId, amount: '1' }, { idempotencyKey: 'old-0' });
    expect([wasReplayed(young), young.wallet.balance, wasReplayed(old), old.wallet.balance]).toEqual([true, '6', false, '8']);
  });

  it('counts a run that meets an unavailable database as an error, and the process carries on', async () => {
    const h = await harness();
    await h.store.close();
    const purge = startIdempotencyPurge({ store: h.store, ttlMs: 86_400_000, metrics: h.metrics, logger: pino({ level: 'silent' }) });
    expect(await purge.runOnce()).toBe(0);
    await purge.stop();
    expect((await h.call('GET', '/metrics')).body).toContain('wallet_idempotency_purge_runs_total{outcome="error"} 1');
  });

  it('reads WALLET_IDEMPOTENCY_TTL as a duration of at least 24 h (default 24 h)', () => {
    expect(loadConfig({}).WALLET_IDEMPOTENCY_TTL).toBe(86_400_000);
    expect(loadConfig({ WALLET_IDEMPOTENCY_TTL: '36h' }).WALLET_IDEMPOTENCY_TTL).toBe(129_600_000);
    expect(loadConfig({ WALLET_IDEMPOTENCY_TTL: '2d' }).WALLET_IDEMPOTENCY_TTL).toBe(172_800_000);
    for (const bad of ['1h', '24 h', '1e9', '-24h', 'PT24H']) expect(() => loadConfig({ WALLET_IDEMPOTENCY_TTL: bad })).toThrow(/WALLET_IDEMPOTENCY_TTL/);
  });
});
