import { eventSchemas, type EventEnvelope } from '@goodgo/wallet-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { harness, type Harness } from './support/harness.js';

/** Reads a Server-Sent Events response until `count` events arrived, then hangs up. */
async function readEvents(res: Response, count: number): Promise<{ id: string; data: EventEnvelope }[]> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const events: { id: string; data: EventEnvelope }[] = [];
  let buffer = '';
  while (events.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const id = /^id: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (id !== undefined && data !== undefined) events.push({ id, data: JSON.parse(data) });
    }
  }
  await reader.cancel();
  return events;
}

describe('event feed', () => {
  let h: Harness;
  let service: string;
  beforeAll(async () => {
    h = await harness();
    service = await h.token('loyalty-service', 'service');
  });

  it('pages committed events in position order as versioned envelopes, for services and admins only', async () => {
    const { walletId, sub } = await h.userWithWallet('5000');
    const user = await h.token(sub);
    expect((await h.call('GET', '/api/v1/wallets/events', { token: user })).body.code).toBe('FORBIDDEN');

    const all: { position: string; event: EventEnvelope }[] = [];
    let after: string | null = null;
    for (;;) {
      const page: { status: number; body: { items: typeof all; nextAfter: string | null } } = await h.call(
        'GET',
        `/api/v1/wallets/events?limit=2${after ? `&after=${after}` : ''}`,
        { token: service },
      );
      expect(page.status).toBe(200);
      if (page.body.items.length === 0) {
        expect(page.body.nextAfter).toBe(after);
        break;
      }
      all.push(...page.body.items);
      after = page.body.nextAfter;
    }
    const mine = all.filter((i) => i.event.aggregateId === walletId);
    expect(mine.map((i) => i.event.type)).toEqual(['WalletCreated', 'BalanceChanged']);
    for (const { event } of all) expect(eventSchemas[event.type].parse(event)).toEqual(event);
    const positions = all.map((i) => BigInt(i.position));
    expect(positions.every((p, i) => i === 0 || p > (positions[i - 1] as bigint))).toBe(true);

    const bad = await h.call('GET', '/api/v1/wallets/events?after=-1', { token: service });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('VALIDATION_ERROR');
  });

  it('streams events as Server-Sent Events, resuming after Last-Event-ID, and goes on with events committed later', async () => {
    const { walletId } = await h.userWithWallet('100');
    const first = await h.service.listEvents({ limit: 200 });
    let last = first.nextAfter as string;
    for (;;) {
      const p = await h.service.listEvents({ after: last, limit: 200 });
      if (p.items.length === 0) break;
      last = p.nextAfter as string;
    }
    const headers = { authorization: `Bearer ${service}`, accept: 'text/event-stream' };
    const res = await h.app.request('/api/v1/wallets/events', { headers: { ...headers, 'last-event-id': last } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const later = (async () => {
      await new Promise((r) => setTimeout(r, 100));
      await h.service.deposit({ walletId, amount: '250' });
      await h.service.freeze({ walletId, reason: 'stream test' });
    })();
    const events = await readEvents(res, 2);
    await later;
    expect(events.map((e) => e.data.type)).toEqual(['BalanceChanged', 'WalletFrozen']);
    expect(events.map((e) => e.data.aggregateId)).toEqual([walletId, walletId]);
    expect(BigInt(events[0]?.id as string)).toBeGreaterThan(BigInt(last));

    // Reconnecting with the first event's id gets exactly the second again.
    const again = await h.app.request('/api/v1/wallets/events', { headers: { ...headers, 'last-event-id': events[0]?.id as string } });
    expect((await readEvents(again, 1)).map((e) => e.id)).toEqual([events[1]?.id]);

    const bad = await h.app.request('/api/v1/wallets/events', { headers: { ...headers, 'last-event-id': 'nope' } });
    expect(bad.status).toBe(400);
  });
});
