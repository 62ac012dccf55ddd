/**
 * W3C Trace Context for every request, with or without an OpenTelemetry SDK: the caller's
 * `traceparent`/`tracestate` is continued, the answer carries the request's own span's
 * `traceparent`, and its log lines name the trace and the span.
 *
 * With an SDK (an exporter configured, tracing.ts) the server span is recorded and made the active
 * span while the request runs, so the command, batch and database spans below it are its
 * descendants and the pino mixin `traceFields` finds it for every log line. Without one, no context
 * manager is registered at all: AsyncLocalStorage on Node 20 hooks every promise of the process,
 * a cost the default (no exporter) must not pay. The request's logger then carries the ids as
 * bindings instead (`logBindings`).
 */
import { randomFillSync } from 'node:crypto';
import { traceparentOf } from '@goodgo/wallet-pg';
import {
  context,
  isSpanContextValid,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Span,
  type SpanContext,
  type TextMapGetter,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from './deps.js';
import { VERSION } from './version.js';

/** True once an SDK registered a context manager (tracing.ts): the active context then carries the request's span. */
let activeContext = false;

/** Called once the SDK runs: from then on, requests run inside their span's context and the mixin names it. */
export function useActiveContext(): void {
  activeContext = true;
}

const w3c = new W3CTraceContextPropagator();
const headerGetter: TextMapGetter<Headers> = {
  get: (headers, key) => headers.get(key) ?? undefined,
  keys: (headers) => [...headers.keys()],
};

const tracer = trace.getTracer('@goodgo/wallet-server', VERSION);

// Ids from a pool filled 4 KiB at a time: a crypto.randomBytes call per id cost about 9 µs
// (measured), a tenth of a transfer's CPU; ids need to be unique, not secret.
const pool = Buffer.alloc(4096);
let used = pool.length;

function randomHex(bytes: number): string {
  if (used + bytes > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  used += bytes;
  return pool.toString('hex', used - bytes, used);
}

/**
 * With no SDK the API's tracer hands back the parent's span context (or an invalid one): the
 * request then gets a span id of its own, in the caller's trace or a new one, so that its log lines
 * and its answer still name a span of this service. Not recorded, so the caller's sampling flag is
 * kept as it came (the trace goes on downstream as the caller decided).
 */
function ownSpan(span: Span, parent: SpanContext | undefined): Span {
  const sc = span.spanContext();
  if (isSpanContextValid(sc) && sc.spanId !== parent?.spanId) return span;
  const valid = parent !== undefined && isSpanContextValid(parent);
  return trace.wrapSpanContext({
    traceId: valid ? parent.traceId : randomHex(16),
    spanId: randomHex(8),
    traceFlags: valid ? parent.traceFlags : TraceFlags.NONE,
    ...(valid && parent.traceState ? { traceState: parent.traceState } : {}),
  });
}

/**
 * The server span of each request: started from the caller's context, named `METHOD /route/template`
 * once the route is known (`route` names it), ended with the status.
 */
export function traceRequests(route: (c: Context<AppEnv>) => string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const parentCtx = w3c.extract(ROOT_CONTEXT, c.req.raw.headers, headerGetter);
    const method = c.req.method;
    const started = tracer.startSpan(method, { kind: SpanKind.SERVER, attributes: { 'http.request.method': method, 'url.path': c.req.path } }, parentCtx);
    const span = ownSpan(started, trace.getSpanContext(parentCtx));
    const sc = span.spanContext();
    c.set('span', sc);
    c.header('traceparent', traceparentOf(sc));
    try {
      if (activeContext) await context.with(trace.setSpan(parentCtx, span), next);
      else await next();
    } finally {
      if (span.isRecording()) {
        const template = route(c);
        const status = c.res.status;
        span.updateName(`${method} ${template}`);
        span.setAttributes({ 'http.route': template, 'http.response.status_code': status });
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
    }
  };
}

/** The pino mixin: every log line written while a span is active (an SDK running) names its trace and span. */
export function traceFields(): { trace_id?: string; span_id?: string } {
  if (!activeContext) return {};
  const sc = trace.getSpanContext(context.active());
  return sc !== undefined && isSpanContextValid(sc) ? { trace_id: sc.traceId, span_id: sc.spanId } : {};
}

/** What the request's logger binds: the trace ids, unless the mixin writes them (an SDK running). */
export function logBindings(sc: SpanContext | undefined): { trace_id?: string; span_id?: string } {
  return activeContext || sc === undefined ? {} : { trace_id: sc.traceId, span_id: sc.spanId };
}
