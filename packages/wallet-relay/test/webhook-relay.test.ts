import { WalletService, eventSchemas, type EventEnvelope } from '@goodgo/wallet-core';
import { createPgliteStore } from '@goodgo/wallet-pg/pglite';
import type { SqlWalletStore } from '@goodgo/wallet-pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxRelay, webhookSink } from '../src/index.js';
import { WebhookReceiver, eventually, newSecret, type Received } from './support/receiver.js';

describe('outbox relay to a webhook endpoint (PGlite)', () => {
  let store: SqlWalletStore;
  let service: WalletService;
  let receiver: WebhookReceiver;
  let url: string;

  beforeAll(async () => {
    store = await createPgliteStore();
    service = new WalletService({ store });
    receiver = new WebhookReceiver(newSecret());
    url = await receiver.listen();
  });
  afterAll(async () => {
    await receiver.close();
    await store.close();
  });

  async function outboxPositions(): Promise<string[]> {
    return (await store.listEvents('0', 100_000)).map((e) => e.position);
  }

  function relay(retry = { baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 4 }): OutboxRelay {
    return new OutboxRelay({
      driver: store.driver,
      sinks: [webhookSink({ name: 'loyalty', url, secret: receiver.secret, retry, startAt: 'beginning' })],
      pollIntervalMs: 10,
      leaderRetryMs: 50,
    });
  }

  it('delivers every committed event in order, signed per Standard Webhooks, and resumes where it stopped', async () => {
    const wallet = await service.createWallet({ userId: 'relay-user' });
    for (let i = 1; i <= 5; i++) await service.deposit({ walletId: wallet.id, amount: String(i * 1000), reference: `order-${i}` });
    const first = relay().start();
    let expected = await outboxPositions();
    await eventually(() => first.status().sinks[0]?.position === expected.at(-1), 'the first events');
    await first.stop();

    // Events committed while no relay runs go out when the next one starts, and nothing twice.
    await service.withdraw({ walletId: wallet.id, amount: '500' });
    await service.freeze({ walletId: wallet.id, reason: 'audit' });
    const second = relay().start();
    expected = await outboxPositions();
    await eventually(() => second.status().sinks[0]?.position === expected.at(-1), 'the later events');
    await second.stop();
    expect(receiver.accepted.length).toBe(expected.length);

    expect(receiver.accepted.every((r) => r.verified)).toBe(true);
    const events = receiver.accepted.map((r) => r.event as unknown as EventEnvelope);
    expect(events.map((e) => e.type)).toEqual(['WalletCreated', ...Array(5).fill('BalanceChanged'), 'BalanceChanged', 'WalletFrozen']);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    for (const r of receiver.accepted) expect(r.headers['webhook-id']).toBe(r.event.id);
    // Each body is exactly the envelope of its type's schema.
    for (const e of events) expect(eventSchemas[e.type].parse(e)).toEqual(e);
    const deposits = events.filter((e) => e.type === 'BalanceChanged').map((e) => e.payload);
    expect(deposits.map((p) => p.balanceAfter)).toEqual(['1000', '3000', '6000', '10000', '15000', '14500']);
  });

  it('retries a failing endpoint with backoff, then dead-letters the event and goes on', async () => {
    const before = receiver.accepted.length;
    const wallet = await service.createWallet({ userId: 'relay-dead-letter' });
    await service.deposit({ walletId: wallet.id, amount: '700' });
    // 4 attempts for WalletCreated all fail; the deposit then goes through at its first attempt.
    receiver.failNext = 4;
    const r = relay().start();
    const last = (await outboxPositions()).at(-1);
    await eventually(() => r.status().sinks[0]?.position === last, 'the event after the dead letter');
    expect(receiver.accepted.length).toBe(before + 1);
    const letters = await r.deadLetters();
    await r.stop();
    expect(receiver.accepted[before]?.event.type).toBe('BalanceChanged');
    const created = (await store.listEvents('0', 100_000)).find((e) => e.row.type === 'WalletCreated' && e.row.aggregateId === wallet.id);
    expect(letters[0]).toMatchObject({
      sink: 'loyalty',
      eventId: created?.row.id,
      eventType: 'WalletCreated',
      attempts: 4,
      lastError: 'webhook answered 503',
    });
    expect(letters[0]?.position).toBe(created?.position);
    expect(r.status().sinks[0]).toMatchObject({ deadLettered: 1, failures: 4 });
  });

  async function depositEvents(userId: string, count: number): Promise<{ walletId: string; ids: string[] }> {
    const wallet = await service.createWallet({ userId });
    for (let i = 1; i <= count; i++) await service.deposit({ walletId: wallet.id, amount: '1000' });
    const ids = (await store.listEvents('0', 100_000)).filter((e) => e.row.aggregateId === wallet.id).map((e) => e.row.id);
    return { walletId: wallet.id, ids };
  }
  const balanceAfter = (e: Received['event']) => (e.payload as { balanceAfter?: string } | undefined)?.balanceAfter;

  it('after a POST fails mid-round, sends again only the events not yet accepted: each arrives once, in order', async () => {
    const before = receiver.accepted.length;
    const { walletId, ids } = await depositEvents('relay-mid-round', 6);
    let failures = 2;
    receiver.failWhen = (e) => e.aggregateId === walletId && balanceAfter(e) === '4000' && failures-- > 0;
    const r = relay().start();
    const last = (await outboxPositions()).at(-1);
    await eventually(() => r.status().sinks[0]?.position === last, 'every event of the round');
    const status = r.status().sinks[0];
    await r.stop();
    receiver.failWhen = null;
    // One round of 7 events: 3 accepted, then the 4th deposit refused twice and accepted the third time.
    expect(receiver.accepted.slice(before).map((a) => a.event.id)).toEqual(ids);
    expect(status).toMatchObject({ failures: 2, deadLettered: 0, lastError: null });
    expect(await r.deadLetters()).toHaveLength(1); // the earlier test's letter only
  });

  it('gives up on the event it stopped at, and only on that one: the rest of the round is delivered', async () => {
    const before = receiver.accepted.length;
    const { walletId, ids } = await depositEvents('relay-poison', 5);
    receiver.failWhen = (e) => e.aggregateId === walletId && balanceAfter(e) === '2000';
    const r = relay({ baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 3 }).start();
    const last = (await outboxPositions()).at(-1);
    await eventually(() => r.status().sinks[0]?.position === last, 'the events after the poison one');
    const letters = await r.deadLetters();
    const status = r.status().sinks[0];
    await r.stop();
    receiver.failWhen = null;
    const poison = ids[2]; // WalletCreated, 1000, then the deposit to 2000
    expect(receiver.accepted.slice(before).map((a) => a.event.id)).toEqual(ids.filter((id) => id !== poison));
    expect(letters[0]).toMatchObject({ eventId: poison, attempts: 3, lastError: 'webhook answered 503' });
    expect(letters).toHaveLength(2);
    expect(status).toMatchObject({ failures: 3, deadLettered: 1 });
  });
});
