/**
 * The OpenTelemetry SDK, started only when an exporter is configured with the standard variables
 * (`OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, or an
 * `OTEL_TRACES_EXPORTER` other than `none`). Otherwise it is not even loaded, and no context
 * manager is registered: the API's no-op tracer makes every span a pass-through, and only trace
 * context (trace-context.ts) remains.
 */
import { useActiveContext } from './trace-context.js';

export interface Tracing {
  /**
   * False only with OTEL_SDK_DISABLED=true, which turns all of it off as the specification says
   * of a disabled SDK: no trace context either (no `traceparent` answered, no trace ids in logs).
   */
  readonly traceContext: boolean;
  /** What exports the spans (`otlp http/protobuf`, …), or null when nothing does. */
  readonly exporter: string | null;
  readonly serviceName: string | null;
  /** Flushes what is buffered and stops; a no-op when nothing was started. */
  shutdown(): Promise<void>;
}

type Env = Record<string, string | undefined>;

const isSet = (v: string | undefined) => v !== undefined && v.trim() !== '';

/** Whether the environment asks for spans to be exported (the SDK's own variables, nothing of ours). */
const sdkDisabled = (env: Env) => env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true';

export function tracingRequested(env: Env): boolean {
  if (sdkDisabled(env)) return false;
  const exporters = env.OTEL_TRACES_EXPORTER?.split(',').map((e) => e.trim().toLowerCase()) ?? [];
  if (exporters.includes('none')) return false;
  return isSet(env.OTEL_EXPORTER_OTLP_ENDPOINT) || isSet(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) || exporters.some((e) => e !== '');
}

/**
 * Starts the SDK when requested (before the database driver is loaded: instrumentation-pg patches
 * `pg` as it is first required). The SDK reads the rest of its configuration itself: protocol,
 * headers, sampler, batch delays, resource attributes.
 */
export async function startTracing(env: Env = process.env): Promise<Tracing> {
  const off = { exporter: null, serviceName: null, shutdown: () => Promise.resolve() };
  if (sdkDisabled(env)) return { ...off, traceContext: false };
  if (!tracingRequested(env)) return { ...off, traceContext: true };
  const [{ NodeSDK }, { PgInstrumentation }, { AsyncLocalStorageContextManager }, { W3CTraceContextPropagator }] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/instrumentation-pg'),
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/core'),
  ]);
  const serviceName = isSet(env.OTEL_SERVICE_NAME) ? (env.OTEL_SERVICE_NAME as string) : 'wallet-service';
  const sdk = new NodeSDK({
    // Given only as the default: OTEL_SERVICE_NAME, when set, is the SDK's to apply.
    ...(isSet(env.OTEL_SERVICE_NAME) ? {} : { serviceName }),
    // Traces only, unless the standard variables ask for more: metrics are Prometheus's
    // (/metrics), logs go to stdout for Loki or Seq to collect.
    ...(isSet(env.OTEL_METRICS_EXPORTER) ? {} : { metricReaders: [] }),
    ...(isSet(env.OTEL_LOGS_EXPORTER) ? {} : { logRecordProcessors: [] }),
    contextManager: new AsyncLocalStorageContextManager(),
    textMapPropagator: new W3CTraceContextPropagator(),
    // pg's statements; PGlite's are spanned by the store's driver. Nothing else is patched: the
    // server span is the request middleware's, named by route.
    instrumentations: [new PgInstrumentation({ requireParentSpan: true })],
  });
  sdk.start();
  useActiveContext();
  const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf';
  const exporter = env.OTEL_TRACES_EXPORTER && env.OTEL_TRACES_EXPORTER !== 'otlp' ? env.OTEL_TRACES_EXPORTER : `otlp ${protocol}`;
  return { traceContext: true, exporter, serviceName, shutdown: () => sdk.shutdown() };
}
