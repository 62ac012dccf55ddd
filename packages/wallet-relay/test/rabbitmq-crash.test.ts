import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { WalletService } from '@goodgo/wallet-core';
import { createNodePostgresStore } from '@goodgo/wallet-pg/node-postgres';
import { freshDatabase, type FreshDatabase } from '@goodgo/wallet-pg/testing';
import type { SqlWalletStore } from '@goodgo/wallet-pg';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebhookReceiver, assertInOrderWithCrashDuplicates, eventually, newSecret, reachable } from './support/receiver.js';

const adminUrl = process.env.WALLET_TEST_DATABASE_URL;
const amqpUrl = process.env.WALLET_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

const broker = await reachable(amqpUrl);
if (!adminUrl) console.log('[wallet-relay] relay crash test skipped: WALLET_TEST_DATABASE_URL is not set (bash .ci/run sets it up).');
else if (!broker) console.log(`[wallet-relay] relay crash test skipped: no RabbitMQ at ${new URL(amqpUrl).host}.`);

describe.runIf(adminUrl && broker)('outbox relay crash and takeover (PostgreSQL, RabbitMQ, webhooks)', () => {
  let db: FreshDatabase;
  let store: SqlWalletStore;
  let service: WalletService;
  let receiver: WebhookReceiver;
  let hookUrl: string;
  let conn: amqp.ChannelModel;
  const exchange = `goodgo.wallet.test.${process.pid}.${Date.now()}`;
  const children: ChildProcess[] = [];
  let onBrokerMessage = () => {};
  const fromBroker: { position: string; id: string; type: string; routingKey: string; persistent: boolean }[] = [];

  beforeAll(async () => {
    db = await freshDatabase(adminUrl as string, 'relay_crash');
    store = await createNodePostgresStore({ connectionString: db.url, max: 4 });
    service = new WalletService({ store });
    receiver = new WebhookReceiver(newSecret());
    hookUrl = await receiver.listen();
    conn = await amqp.connect(amqpUrl);
    const ch = await conn.createChannel();
    // Declared as the relay declares it (durable); a name of its own, deleted afterwards.
    await ch.assertExchange(exchange, 'topic', { durable: true });
    const { queue } = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(queue, exchange, '#');
    await ch.consume(
      queue,
      (m) => {
        if (!m) return;
        fromBroker.push({
          position: String(m.properties.headers?.['x-position']),
          id: String(m.properties.messageId),
          type: JSON.parse(m.content.toString()).type,
          routingKey: m.fields.routingKey,
          persistent: m.properties.deliveryMode === 2,
        });
        onBrokerMessage();
      },
      { noAck: true },
    );
  });

  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    if (conn) {
      const ch = await conn.createChannel();
      await ch.deleteExchange(exchange);
      await conn.close().catch(() => undefined);
    }
    await receiver?.close();
    await store?.close();
    await db?.drop();
  });

  function startRelayProcess(name: string): ChildProcess & { lines: string[] } {
    const child = spawn(process.execPath, [join(import.meta.dirname, 'support', 'relay-process.mjs')], {
      env: { ...process.env, DATABASE_URL: db.url, WEBHOOK_URL: hookUrl, WEBHOOK_SECRET: receiver.secret, AMQP_URL: amqpUrl, AMQP_EXCHANGE: exchange },
      stdio: ['ignore', 'pipe', 'inherit'],
      cwd: import.meta.dirname,
    }) as ChildProcess & { lines: string[] };
    child.lines = [];
    child.stdout?.setEncoding('utf8').on('data', (d: string) =>
      child.lines.push(
        ...d
          .split('\n')
          .filter(Boolean)
          .map((l) => `${name}: ${l}`),
      ),
    );
    children.push(child);
    return child;
  }
  const isActive = (c: { lines: string[] }) => c.lines.some((l) => l.includes('outbox relay active'));

  it('delivers every event in order to both sinks across a SIGKILL of the active relay, another instance taking over', async () => {
    const wallets = await Promise.all([1, 2, 3].map((i) => service.createWallet({ userId: `crash-${i}` })));
    const produce = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const w = wallets[i % wallets.length]!;
        await service.deposit({ walletId: w.id, amount: String(100 + i) });
      }
    };
    await produce(300);

    const a = startRelayProcess('a');
    await eventually(() => isActive(a), 'the first relay to become active', 30_000);
    const b = startRelayProcess('b');
    // The second instance stands by: it never becomes active while the first holds the lock.
    // Killed once both sinks are partway: the broker takes batches, the webhook one event at a time.
    let killedAt = -1;
    let brokerAtKill = -1;
    const killWhenMidStream = () => {
      if (killedAt < 0 && fromBroker.length >= 100 && receiver.accepted.length >= 10) {
        killedAt = receiver.accepted.length;
        brokerAtKill = fromBroker.length;
        a.kill('SIGKILL');
      }
    };
    receiver.onAccepted = killWhenMidStream;
    onBrokerMessage = killWhenMidStream;
    // Commands keep committing while the relays work and fail over.
    await produce(150);
    await eventually(() => killedAt > 0, 'the first relay to be killed mid-stream', 30_000);
    await eventually(() => isActive(b), 'the standby relay to take over', 15_000);
    await produce(50);

    const expected = (await store.listEvents('0', 100_000)).map((e) => e.position);
    expect(expected).toHaveLength(3 + 500);
    const webhookPositions = () => [...new Set(receiver.accepted.map((r) => r.event.id))].length;
    await eventually(
      () => webhookPositions() === expected.length && new Set(fromBroker.map((m) => m.position)).size === expected.length,
      'every event at both sinks',
      60_000,
    );
    // Let anything still in flight arrive before judging duplicates.
    await new Promise((r) => setTimeout(r, 300));

    expect(killedAt).toBeLessThan(expected.length);
    expect(brokerAtKill).toBeLessThan(expected.length);
    expect(a.lines.filter((l) => l.includes('outbox relay active'))).toHaveLength(1);
    expect(b.lines.filter((l) => l.includes('outbox relay active'))).toHaveLength(1);

    const ids = new Map((await store.listEvents('0', 100_000)).map((e) => [e.row.id, e.position]));
    const hookOrder = receiver.accepted.map((r) => ids.get(r.event.id) as string);
    assertInOrderWithCrashDuplicates(hookOrder, expected);
    expect(receiver.accepted.every((r) => r.verified)).toBe(true);

    assertInOrderWithCrashDuplicates(
      fromBroker.map((m) => m.position),
      expected,
    );
    expect(fromBroker.every((m) => m.routingKey === m.type && m.persistent && ids.get(m.id) === m.position)).toBe(true);
  });
});
