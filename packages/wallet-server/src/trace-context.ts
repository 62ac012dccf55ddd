/**
 * W3C Trace Context for every request, with or without an OpenTelemetry SDK: the caller's
 * `traceparent`/`tracestate` is continued, the server span is active while the request runs (so
 * the command, batch and database spans below it, and every log line, name it), and the answer
 * carries that span's `traceparent`.
 */
import { randomBytes } from 'node:crypto';
import {
  context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Context as OtelContext,
  type Span,
  type SpanContext,
  type TextMapGetter,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from './deps.js';
import { VERSION } from './version.js';

let installed = false;

/**
 * Registers what trace context needs even when no SDK runs: an AsyncLocalStorage context manager
 * (without one the API has no active context, and nothing below the request could see its span)
 * and the W3C propagator. Once per process; an SDK started before keeps what it registered.
 */
export function installTraceContext(): void {
  if (installed) return;
  installed = true;
  // Each returns false, changing nothing, when an SDK registered its own first.
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
}

const headerGetter: TextMapGetter<Headers> = {
  get: (headers, key) => headers.get(key) ?? undefined,
  keys: (headers) => [...headers.keys()],
};

const tracer = trace.getTracer('@goodgo/wallet-server', VERSION);

/** The `traceparent` header value of a span context (version 00). */
export function traceparentOf(sc: SpanContext): string {
  return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
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
    traceId: valid ? parent.traceId : randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    traceFlags: valid ? parent.traceFlags : TraceFlags.NONE,
    ...(valid && parent.traceState ? { traceState: parent.traceState } : {}),
  });
}

/**
 * The server span of each request: started from the caller's context, named `METHOD /route/template`
 * once the route is known (`route` names it), ended with the status.
 */
export function traceRequests(route: (c: Context<AppEnv>) => string): MiddlewareHandler<AppEnv> {
  installTraceContext();
  return async (c, next) => {
    const parentCtx: OtelContext = propagation.extract(ROOT_CONTEXT, c.req.raw.headers, headerGetter);
    const method = c.req.method;
    const started = tracer.startSpan(method, { kind: SpanKind.SERVER, attributes: { 'http.request.method': method, 'url.path': c.req.path } }, parentCtx);
    const span = ownSpan(started, trace.getSpanContext(parentCtx));
    c.header('traceparent', traceparentOf(span.spanContext()));
    try {
      await context.with(trace.setSpan(parentCtx, span), next);
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

/** The pino mixin: every log line written while a span is active names its trace and span. */
export function traceFields(): { trace_id?: string; span_id?: string } {
  const sc = trace.getSpanContext(context.active());
  return sc !== undefined && isSpanContextValid(sc) ? { trace_id: sc.traceId, span_id: sc.spanId } : {};
}
