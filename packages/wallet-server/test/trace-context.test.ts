import { MemoryWalletStore, WalletService } from '@goodgo/wallet-core';
import { describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { createAuthenticator } from '../src/auth.js';
import { traceFields } from '../src/trace-context.js';
import { mintToken } from '../src/token.js';
import { capturedLog } from './support/captured-log.js';

const SECRET = 'trace-context-secret-0123456789-abcdefghijk';
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The app with a logger whose lines the test reads back. */
function appWithLog(traceContext: boolean) {
  const { logger, lines } = capturedLog({ level: 'info', mixin: traceFields });
  const store = new MemoryWalletStore();
  const app = createApp({
    service: new WalletService({ store }),
    store,
    auth: createAuthenticator({ kind: 'secret', secret: SECRET }),
    logger,
    traceContext,
  });
  return { app, lines };
}

describe('W3C trace context without an OpenTelemetry SDK', () => {
  const { app, lines } = appWithLog(true);

  it("continues the caller's trace: the answer names the caller's trace id and a span of its own, and so does every log line", async () => {
    lines.length = 0;
    const caller = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const token = await mintToken({ sub: 'trace-user', secret: SECRET });
    const res = await app.request('/api/v1/wallets', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', traceparent: caller, tracestate: 'pos=till7' },
      body: '{}',
    });
    expect(res.status).toBe(201);
    const [, traceId, spanId, flags] = TRACEPARENT.exec(res.headers.get('traceparent') ?? '') ?? [];
    expect(traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(spanId).not.toBe('00f067aa0ba902b7');
    expect(flags).toBe('01');
    const request = lines.find((l) => l.msg === 'request');
    expect(request).toMatchObject({ trace_id: traceId, span_id: spanId, route: '/api/v1/wallets', status: 201 });
  });

  it('starts a new trace for a caller that sends none, or a malformed one, and logs it on a refused request too', async () => {
    for (const headers of [{}, { traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01' }, { traceparent: 'garbage' }]) {
      lines.length = 0;
      const res = await app.request('/api/v1/wallets', { headers });
      expect(res.status).toBe(401);
      const [, traceId, spanId, flags] = TRACEPARENT.exec(res.headers.get('traceparent') ?? '') ?? [];
      expect(traceId).toMatch(/^(?!0{32})[0-9a-f]{32}$/);
      expect(flags).toBe('00');
      expect(lines.find((l) => l.authFailure !== undefined)).toMatchObject({ trace_id: traceId, span_id: spanId });
      expect(lines.find((l) => l.msg === 'request')).toMatchObject({ trace_id: traceId, span_id: spanId, status: 401 });
    }
  });

  it('gives two requests two different spans', async () => {
    const a = (await app.request('/health/live')).headers.get('traceparent');
    const b = (await app.request('/health/live')).headers.get('traceparent');
    expect(a).toMatch(TRACEPARENT);
    expect(b).toMatch(TRACEPARENT);
    expect(a).not.toBe(b);
  });
});

describe('trace context turned off (OTEL_SDK_DISABLED=true)', () => {
  it('answers no traceparent and logs no trace ids', async () => {
    const { app, lines } = appWithLog(false);
    const res = await app.request('/health/live', { headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('traceparent')).toBeNull();
    const request = lines.find((l) => l.msg === 'request');
    expect(request).toBeDefined();
    expect(request).not.toHaveProperty('trace_id');
  });
});
