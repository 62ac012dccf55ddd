import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WalletService } from '@goodgo/wallet-core';
import type { SqlWalletStore } from '@goodgo/wallet-pg';
import { createPgliteStore } from '@goodgo/wallet-pg/pglite';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxRelay, amqpSink } from '../src/index.js';
import { eventually, reachable } from './support/receiver.js';

const amqpUrl = process.env.WALLET_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

const broker = await reachable(amqpUrl);
if (!broker) console.log(`[wallet-relay] RabbitMQ binding test skipped: no RabbitMQ at ${new URL(amqpUrl).host}.`);

/**
 * What docs/events.md tells a consumer to bind, checked against the real broker: the routing key
 * is the event type, one word, so a topic binding names a type or takes all (`#`); there is no
 * prefix match (`Points*` is a word of its own and matches nothing).
 */
describe.runIf(broker)('binding queues to the events exchange (RabbitMQ)', () => {
  let store: SqlWalletStore;
  let conn: amqp.ChannelModel;
  let relay: OutboxRelay;
  const exchange = `goodgo.wallet.bindings.${process.pid}.${Date.now()}`;
  const got = new Map<string, string[]>();

  beforeAll(async () => {
    store = await createPgliteStore();
    conn = await amqp.connect(amqpUrl);
    const ch = await conn.createChannel();
    await ch.assertExchange(exchange, 'topic', { durable: true });
    for (const pattern of ['BalanceChanged', 'PointsEarned', '#', '*', 'Points*', 'Points.#']) {
      const { queue } = await ch.assertQueue('', { exclusive: true });
      await ch.bindQueue(queue, exchange, pattern);
      got.set(pattern, []);
      await ch.consume(queue, (m) => m && got.get(pattern)?.push(m.fields.routingKey), { noAck: true });
    }
    relay = new OutboxRelay({
      driver: store.driver,
      sinks: [amqpSink({ url: amqpUrl, exchange, startAt: 'beginning' })],
      pollIntervalMs: 10,
      leaderRetryMs: 50,
    }).start();
  });
  afterAll(async () => {
    await relay.stop();
    const ch = await conn.createChannel();
    await ch.deleteExchange(exchange);
    await conn.close();
    await store.close();
  });

  it('a type, `#` and `*` match; `Points*` and `Points.#` match nothing', async () => {
    const service = new WalletService({ store });
    const wallet = await service.createWallet({ userId: 'bindings' });
    await service.deposit({ walletId: wallet.id, amount: '100' });
    await service.earnPoints({ userId: 'bindings', points: 10, source: 'order-1' });
    const types = (await store.listEvents('0', 100)).map((e) => e.row.type);
    expect(types).toEqual(expect.arrayContaining(['WalletCreated', 'BalanceChanged', 'PointsEarned']));
    await eventually(() => got.get('#')?.length === types.length, 'every event on #');
    await new Promise((r) => setTimeout(r, 300));
    expect(got.get('#')).toEqual(types);
    expect(got.get('*')).toEqual(got.get('#'));
    expect(got.get('BalanceChanged')).toEqual(['BalanceChanged']);
    expect(got.get('PointsEarned')).toEqual(['PointsEarned']);
    expect(got.get('Points*')).toEqual([]);
    expect(got.get('Points.#')).toEqual([]);
  });

  it('is what docs/events.md tells a consumer', () => {
    const doc = readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'events.md'), 'utf8');
    const rabbit = doc.slice(doc.indexOf('- **RabbitMQ**'), doc.indexOf('- **Duplicates**'));
    expect(rabbit).toContain('`BalanceChanged`');
    expect(rabbit).toContain('`#`');
    expect(rabbit).toMatch(/`Points\*` or `Points\.#` matches nothing/);
  });
});
