import { context, trace, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { MemoryWalletStore, WalletService } from '../src/index.js';

// What the POS monolith does: its own SDK, its own spans around the facade's calls.
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager().enable();
context.setGlobalContextManager(contextManager);
trace.setGlobalTracerProvider(provider);
const monolith = trace.getTracer('pos-monolith');

afterAll(async () => {
  await provider.shutdown();
  context.disable();
  trace.disable();
});

describe("a command's span, under the caller's active span", () => {
  const service = new WalletService({ store: new MemoryWalletStore(), defaultCurrency: 'VND' });
  beforeEach(() => exporter.reset());

  const within = <T>(fn: (span: Span) => Promise<T>) =>
    monolith.startActiveSpan('checkout', async (span) => {
      try {
        return await fn(span);
      } finally {
        span.end();
      }
    });

  it("is a child of the caller's span, names the wallets and says OK", async () => {
    const a = await service.createWallet({ userId: 'span-a' });
    const b = await service.createWallet({ userId: 'span-b' });
    await service.deposit({ walletId: a.id, amount: '1000' });
    exporter.reset();
    const checkout = await within(async (span) => {
      await service.transfer({ fromWalletId: a.id, toWalletId: b.id, amount: '400' });
      return span.spanContext();
    });
    const transfer = exporter.getFinishedSpans().find((s) => s.name === 'wallet.transfer');
    expect(transfer?.spanContext().traceId).toBe(checkout.traceId);
    expect(transfer?.parentSpanContext?.spanId).toBe(checkout.spanId);
    expect(transfer?.attributes['wallet.ids']).toEqual([a.id, b.id]);
    expect(transfer?.attributes['wallet.outcome']).toBe('OK');
  });

  it("carries a refusal's code, and the balances did not move", async () => {
    const a = await service.createWallet({ userId: 'span-c' });
    const b = await service.createWallet({ userId: 'span-d' });
    exporter.reset();
    await within(() => expect(service.transfer({ fromWalletId: a.id, toWalletId: b.id, amount: '1' })).rejects.toMatchObject({ code: 'INSUFFICIENT_FUNDS' }));
    const transfer = exporter.getFinishedSpans().find((s) => s.name === 'wallet.transfer');
    expect(transfer?.attributes['wallet.outcome']).toBe('INSUFFICIENT_FUNDS');
    // A refusal is the command's answer, not a fault of the library.
    expect(transfer?.status.code).not.toBe(2);
    expect((await service.getWallet({ walletId: a.id })).balance).toBe('0');
  });

  it("names the wallet a resolving command found (a hold's), and marks a replay", async () => {
    const w = await service.createWallet({ userId: 'span-e' });
    await service.deposit({ walletId: w.id, amount: '1000' });
    const hold = await service.placeHold({ walletId: w.id, amount: '100' });
    exporter.reset();
    await within(() => service.voidHold({ holdId: hold.id }, { idempotencyKey: 'void-1' }));
    await within(() => service.voidHold({ holdId: hold.id }, { idempotencyKey: 'void-1' }));
    const voids = exporter.getFinishedSpans().filter((s) => s.name === 'wallet.voidHold');
    expect(voids.map((s) => s.attributes['wallet.ids'])).toEqual([[w.id], [w.id]]);
    expect(voids.map((s) => s.attributes['wallet.idempotency.replayed'])).toEqual([undefined, true]);
  });
});
