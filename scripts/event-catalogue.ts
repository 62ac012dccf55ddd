/**
 * Writes docs/events.md: the event catalogue, generated from the zod schemas that the code uses
 * (each type's JSON Schema comes from `z.toJSONSchema`) and from examples recorded by running the
 * facade on an in-memory store with a pinned clock and ids. A test fails when the file is stale.
 *
 *   npx tsx scripts/event-catalogue.ts          # rewrite docs/events.md
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  EVENT_TYPES,
  EVENT_VERSION,
  MemoryWalletStore,
  WalletService,
  eventDescriptions,
  eventEnvelope,
  eventJsonSchemas,
  type EventEnvelope,
} from '@goodgo/wallet-core';

async function examples(): Promise<Map<string, EventEnvelope>> {
  let clock = Date.parse('2026-11-25T06:00:00.000Z');
  let id = 0;
  const store = new MemoryWalletStore();
  const service = new WalletService({
    store,
    clock: () => new Date((clock += 1000)),
    ids: () => `0199b5a0-0000-4000-8000-${(++id).toString(16).padStart(12, '0')}`,
  });
  const a = await service.createWallet({ userId: 'customer-42' });
  const b = await service.createWallet({ userId: 'merchant-7' });
  const topUp = await service.deposit({ walletId: a.id, amount: '200000', reference: 'topup-1' });
  await service.transfer({ fromWalletId: a.id, toWalletId: b.id, amount: '50000', reference: 'order-9' });
  await service.freeze({ walletId: b.id, reason: 'chargeback review' });
  await service.unfreeze({ walletId: b.id, reason: 'review closed' });
  await service.withdraw({ walletId: b.id, amount: '50000', reference: 'payout-3' });
  await service.close({ walletId: b.id, reason: 'merchant left' });
  const earned = await service.earnPoints({ userId: 'customer-42', points: 120, source: 'order:9', expiresAt: '2027-11-25T00:00:00.000Z' });
  const pending = await service.earnPoints({ userId: 'customer-42', points: 30, source: 'order:10', pending: true });
  await service.confirmPendingPoints({ transactionId: pending.transaction.id });
  const cancelled = await service.earnPoints({ userId: 'customer-42', points: 15, source: 'order:11', pending: true });
  await service.cancelPendingPoints({ transactionId: cancelled.transaction.id });
  const spent = await service.spendPoints({ userId: 'customer-42', points: 40, source: 'order:12' });
  await service.adjustPoints({ userId: 'customer-42', points: -5, source: 'support:77', description: 'goodwill correction' });
  await service.earnPoints({ userId: 'customer-42', points: 10, source: 'promo:autumn', expiresAt: new Date(clock + 5000).toISOString() });
  clock += 60_000;
  await service.expirePoints();
  await service.refundPoints({ transactionId: spent.transaction.id, points: 10, reason: 'item returned' });
  await service.reversePoints({ transactionId: earned.transaction.id, points: 20, reason: 'order cancelled' });
  const hold = await service.placeHold({ walletId: a.id, amount: '30000', reference: 'order-13', expiresAt: new Date(clock + 3_600_000) });
  const captured = await service.captureHold({ holdId: hold.id, amount: '25000' });
  await service.refund({ transactionId: captured.transaction.id, amount: '5000', reason: 'item returned' });
  const voided = await service.placeHold({ walletId: a.id, amount: '1000', reference: 'order-14', expiresAt: new Date(clock + 3_600_000) });
  await service.voidHold({ holdId: voided.id, reason: 'order cancelled' });
  await service.placeHold({ walletId: a.id, amount: '1000', reference: 'order-15', expiresAt: new Date(clock + 2000) });
  clock += 60_000;
  // The next change to the wallet marks the hold past its expiry as expired.
  await service.deposit({ walletId: a.id, amount: '1000', reference: 'topup-2' });
  // An offline till: an allowance opened, two sales forwarded (one to a merchant), settled; a
  // second allowance left past settleBy, marked expired by the wallet's next change.
  const shop = await service.createWallet({ userId: 'merchant-8' });
  const allowance = await service.openAllowance({ walletId: a.id, tillId: 'store-12/till-3', amount: '40000', spendUntil: new Date(clock + 3_600_000) });
  await service.syncAllowance({
    allowanceId: allowance.id,
    spends: [
      { seq: 1, amount: '12000', occurredAt: new Date(clock - 500), reference: 'sale-1' },
      { seq: 2, amount: '8000', occurredAt: new Date(clock - 400), reference: 'sale-2', toWalletId: shop.id },
    ],
  });
  await service.settleAllowance({ allowanceId: allowance.id, lastSeq: 2 });
  await service.openAllowance({ walletId: a.id, tillId: 'store-12/till-4', amount: '5000', spendUntil: new Date(clock + 3_600_000) });
  clock += 4 * 86_400_000;
  await service.deposit({ walletId: a.id, amount: '1000', reference: 'topup-3' });
  // A table orders another round: its pre-authorisation grows, its expiry stays.
  const tab = await service.placeHold({ walletId: a.id, amount: '20000', reference: 'table-4', expiresAt: new Date(clock + 3_600_000) });
  await service.incrementHold({ holdId: tab.id, amount: '8000' });
  // Part of a top-up keyed wrong, taken back.
  await service.reverseDeposit({ transactionId: topUp.transaction.id, amount: '20000', reason: 'cashier keyed 200000 for 180000' });
  // An admin caps what the wallet may be topped up with in a day.
  await service.setLimits({ walletId: a.id, daily: { deposit: '5000000' } });
  // A reconciliation run that publishes a checkpoint of the chain heads (the development key signs it here).
  await service.reconcile({ checkpoint: true });
  const out = new Map<string, EventEnvelope>();
  for (const { row } of await store.listEvents('0', 1000)) if (!out.has(row.type)) out.set(row.type, eventEnvelope(row));
  return out;
}

export async function eventCatalogue(): Promise<string> {
  const ex = await examples();
  const schemas = eventJsonSchemas();
  const lines = [
    '# Event catalogue',
    '',
    '<!-- Generated by scripts/event-catalogue.ts from the zod schemas in packages/wallet-core/src/event-schemas.ts. Do not edit by hand. -->',
    '',
    'Every change to a wallet or a point account writes its events to the outbox in the same database',
    'transaction as the change. They leave the service three ways, all in position order and at least',
    'once: the outbox relay (Standard Webhooks POSTs and RabbitMQ), the JSON feed',
    '`GET /api/v1/wallets/events?after=&limit=`, and the same feed as Server-Sent Events.',
    '',
    '## The envelope',
    '',
    '| field | meaning |',
    '|---|---|',
    '| `id` | The event id (UUID). The same on every delivery of the event: `webhook-id` of a webhook, `messageId` of an AMQP message. Use it to drop duplicates. |',
    '| `type` | One of the types below; the AMQP routing key. |',
    `| \`version\` | The version of the envelope and of the type's payload, now ${EVENT_VERSION}. A change a consumer could notice bumps it; a new optional field does not. |`,
    '| `aggregateType` | `wallet` or `point_account`. |',
    '| `aggregateId` | The wallet or point account id. Events of one aggregate are delivered in the order they happened. |',
    '| `occurredAt` | ISO 8601 UTC time of the change. |',
    '| `actor` | `{sub, role}` of whoever caused the change, or `null` (a library caller that named none). |',
    '| `requestId` | The `X-Request-Id` of the HTTP request that caused it, or `null`. |',
    "| `payload` | Per type, below. Amounts are decimal strings with the currency's minor-unit digits; points are integers. |",
    '',
    '## Delivery',
    '',
    '- **Position.** Each event has a position (a 64-bit integer as a decimal string): the `position` of a feed',
    '  item, the SSE `id`, the `x-position` header of an AMQP message. Positions only grow. A reader is',
    '  never handed an event while an earlier position may still commit, so following positions never',
    '  skips one (see "Outbox order" in docs/DESIGN.md).',
    '- **Webhooks** are signed per [Standard Webhooks](https://www.standardwebhooks.com/) with',
    "  the endpoint's secret: verify `webhook-signature` over `webhook-id`, `webhook-timestamp` and the raw",
    '  body (e.g. `new Webhook(secret).verify(body, headers)` from the `standardwebhooks` package). Answer 2xx',
    '  to accept; anything else is retried with exponential backoff, and after the last attempt the event',
    '  is dead-lettered (`GET /api/v1/wallets/admin/dead-letters`; an admin can re-send it) and the endpoint',
    "  gets the next one. Each aggregate's events arrive in position order; different aggregates may",
    '  arrive side by side (an endpoint configured with `ordering: "strict"` gets the whole stream in order).',
    '- **RabbitMQ**: topic exchange `goodgo.wallet` (durable), routing key = `type`, persistent messages,',
    '  `content-type: application/json`, `messageId` = `id`, headers `x-position` and `x-event-version`.',
    '  The routing key is the type, a single word: bind a queue with a type (`BalanceChanged`), one',
    '  binding per type you want, or with `#` (or `*`) for every event. Topic patterns match whole',
    '  words, not prefixes: `Points*` or `Points.#` matches nothing (tested against RabbitMQ).',
    '- **Duplicates** happen only after a relay crash or failover (the batch in flight is sent again).',
    '',
    '## Types',
    '',
  ];
  for (const type of EVENT_TYPES) {
    lines.push(`### ${type}`, '', eventDescriptions[type], '');
    const example = ex.get(type);
    if (!example) throw new Error(`no example recorded for ${type}`);
    lines.push('Example:', '', '```json', JSON.stringify(example, null, 2), '```', '');
    lines.push('<details><summary>JSON Schema</summary>', '', '```json', JSON.stringify(schemas.get(type), null, 2), '```', '', '</details>', '');
  }
  return lines.join('\n');
}

const target = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'events.md');
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(target, await eventCatalogue());
  console.log(`wrote ${target}`);
}
export { target as eventCataloguePath };
