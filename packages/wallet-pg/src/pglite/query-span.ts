/**
 * PGlite has no OpenTelemetry instrumentation: this is the thin one, a CLIENT span per statement
 * with the attributes `@opentelemetry/instrumentation-pg` gives a pg statement (`db.system.name`,
 * `db.namespace`, `db.query.text`, named `pg.query:<statement name or first keyword>`), so the
 * traces of both stores read alike. Only under a recording span (the batch's), as pg's
 * instrumentation runs with `requireParentSpan`: without an SDK, or outside a trace, it costs one
 * context lookup.
 */
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';

const tracer = trace.getTracer('@goodgo/wallet-pg');

function operationOf(text: string): string {
  const trimmed = text.trimStart();
  const space = trimmed.search(/\s/);
  const word = (space === -1 ? trimmed : trimmed.slice(0, space)).toUpperCase();
  return word.endsWith(';') ? word.slice(0, -1) : word;
}

export function spanQuery<T>(text: string, name: string | undefined, namespace: string, run: () => Promise<T>): Promise<T> {
  if (trace.getSpan(context.active())?.isRecording() !== true) return run();
  const span = tracer.startSpan(`pg.query:${name ?? operationOf(text)} ${namespace}`, {
    kind: SpanKind.CLIENT,
    attributes: { 'db.system.name': 'postgresql', 'db.namespace': namespace, 'db.query.text': text },
  });
  return run().then(
    (value) => {
      span.end();
      return value;
    },
    (e: unknown) => {
      span.setStatus({ code: SpanStatusCode.ERROR, message: e instanceof Error ? e.message : String(e) });
      span.end();
      throw e;
    },
  );
}
