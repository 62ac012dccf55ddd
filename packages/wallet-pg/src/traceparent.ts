/**
 * The W3C `traceparent` header value (version 00) of a span context and back: what the outbox
 * stores for each event, so that its delivery, long after the request, still names the command.
 */
import { isSpanContextValid, trace, type Context, type SpanContext } from '@opentelemetry/api';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export function traceparentOf(sc: SpanContext): string {
  return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/** The `traceparent` of the span active in `ctx`; null when none is (no trace to continue). */
export function activeTraceparent(ctx: Context): string | null {
  const sc = trace.getSpanContext(ctx);
  return sc !== undefined && isSpanContextValid(sc) ? traceparentOf(sc) : null;
}

/** The remote span context a stored `traceparent` names; undefined for a missing, malformed or all-zero one. */
export function spanContextOf(traceparent: string | null | undefined): SpanContext | undefined {
  const m = traceparent ? TRACEPARENT.exec(traceparent) : null;
  if (!m) return undefined;
  const sc: SpanContext = { traceId: m[1] as string, spanId: m[2] as string, traceFlags: parseInt(m[3] as string, 16), isRemote: true };
  return isSpanContextValid(sc) ? sc : undefined;
}
