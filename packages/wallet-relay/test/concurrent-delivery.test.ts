import { WalletService } from '@goodgo/wallet-core';
import type { SqlWalletStore } from '@goodgo/wallet-pg';
import { createPgliteStore } from '@goodgo/wallet-pg/pglite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OutboxRelay, webhookSink, type WebhookSinkOptions } from '../src/index.js';
import { WebhookReceiver, eventually, newSecret, type Received } from './support/receiver.js';

describe('concurrent webhook delivery (PGlite)', () => {
  let store: SqlWalletStore;
  let service: WalletService;
  let receiver: WebhookReceiver;
  let url: string;

  beforeEach(async () => {
    store = await createPgliteStore();
    service = new WalletService({ store });
    receiver = new WebhookReceiver(newSecret());
    url = await receiver.listen();
  });
  afterEach(async () => {
    await receiver.close();
    await store.close();
  });

  /** `wallets` wallets with `deposits` deposits each, interleaved: the outbox alternates aggregates. */
  async function traffic(wallets: number, deposits: number): Promise<string[]> {
    const ids: string[] = [];
    for (let w = 0; w < wallets; w++) ids.push((await service.createWallet({ userId: `lane-${w}` })).id);
    for (let d = 1; d <= deposits; d++) for (const walletId of ids) await service.deposit({ walletId, amount: String(d) });
    return ids;
  }

  async function drain(options: Partial<WebhookSinkOptions> = {}): Promise<{ positions: string[] }> {
    const positions = (await store.listEvents('0', 100_000)).map((e) => e.position);
    const relay = new OutboxRelay({
      driver: store.driver,
      sinks: [
        webhookSink({
          name: 'lanes',
          url,
          secret: receiver.secret,
          startAt: 'beginning',
          retry: { baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 50 },
          ...options,
        }),
      ],
      pollIntervalMs: 10,
      leaderRetryMs: 50,
    }).start();
    try {
      await eventually(() => relay.status().sinks[0]?.position === positions.at(-1), 'every event');
    } finally {
      await relay.stop();
    }
    return { positions };
  }

  const byAggregate = (accepted: readonly Received[]): Map<string, string[]> => {
    const lanes = new Map<string, string[]>();
    for (const a of accepted) lanes.set(String(a.event.aggregateId), [...(lanes.get(String(a.event.aggregateId)) ?? []), a.event.id]);
    return lanes;
  };

  async function outboxByAggregate(): Promise<Map<string, string[]>> {
    const lanes = new Map<string, string[]>();
    for (const e of await store.listEvents('0', 100_000)) lanes.set(e.row.aggregateId, [...(lanes.get(e.row.aggregateId) ?? []), e.row.id]);
    return lanes;
  }

  it('POSTs several aggregates at once, each aggregate in position order, every event once', async () => {
    await traffic(6, 3);
    receiver.delayMs = 15;
    await drain({ concurrency: 4 });
    expect(receiver.maxInFlight).toBe(4);
    expect(receiver.accepted).toHaveLength(6 * 4);
    expect(byAggregate(receiver.accepted)).toEqual(await outboxByAggregate());
  });

  it("with strict ordering, POSTs one at a time in the outbox's order", async () => {
    await traffic(4, 2);
    receiver.delayMs = 5;
    await drain({ ordering: 'strict' });
    expect(receiver.maxInFlight).toBe(1);
    expect(receiver.accepted.map((a) => a.event.id)).toEqual((await store.listEvents('0', 100_000)).map((e) => e.row.id));
  });

  it("holds back an aggregate's later events while one of its events fails, delivers the other aggregates, and sends nothing twice", async () => {
    const [blocked] = await traffic(5, 2);
    let refused = 0;
    receiver.failWhen = (e) => e.aggregateId === blocked && (e.payload as { balanceAfter?: string }).balanceAfter === '1' && refused++ < 3;
    const order: string[] = [];
    receiver.onAccepted = (r) => order.push(String(r.event.aggregateId));
    await drain({ concurrency: 3 });
    expect(refused).toBe(4); // three refusals, then the check that let it through
    expect(byAggregate(receiver.accepted)).toEqual(await outboxByAggregate());
    // The other aggregates went on while the blocked one waited for its retries.
    const blockedDone = order.lastIndexOf(blocked as string);
    expect(order.slice(0, blockedDone).filter((a) => a !== blocked).length).toBeGreaterThan(0);
    expect(new Set(receiver.accepted.map((a) => a.event.id)).size).toBe(receiver.accepted.length);
  });
});
