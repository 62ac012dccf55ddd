/**
 * A local OTLP/HTTP trace receiver (what a collector's `otlphttp` receiver does), for tests: it
 * takes `POST /v1/traces` as `application/x-protobuf` or `application/json` and keeps every span,
 * normalised to one shape whatever the encoding.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import protobuf from 'protobufjs';

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  links: { traceId: string; spanId: string }[];
  serviceName: unknown;
}

export interface OtlpReceiver {
  readonly url: string;
  readonly spans: ReceivedSpan[];
  /** The content types of the exports received. */
  readonly contentTypes: Set<string>;
  close(): Promise<void>;
}

// The part of opentelemetry-proto's trace.proto and common.proto that the tests read, with the
// field numbers of the published schema.
const PROTO = `
syntax = "proto3";
message AnyValue { oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; ArrayValue array_value = 5; KeyValueList kvlist_value = 6; bytes bytes_value = 7; } }
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
message KeyValue { string key = 1; AnyValue value = 2; }
message Resource { repeated KeyValue attributes = 1; }
message InstrumentationScope { string name = 1; string version = 2; }
message Link { bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; repeated KeyValue attributes = 4; }
message Status { string message = 2; int32 code = 3; }
message Span { bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; bytes parent_span_id = 4; string name = 5; int32 kind = 6; fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8; repeated KeyValue attributes = 9; repeated Link links = 13; Status status = 15; }
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
`;
const Request = protobuf.parse(PROTO, { keepCase: false }).root.lookupType('ExportTraceServiceRequest');

type Json = Record<string, any>;

/** OTLP/JSON ids are hex; protobuf's (after toObject with bytes as base64) are base64. */
const hexOf = (v: unknown, base64: boolean): string =>
  typeof v !== 'string' || v === '' ? '' : base64 ? Buffer.from(v, 'base64').toString('hex') : v.toLowerCase();

function valueOf(v: Json | undefined): unknown {
  if (!v) return undefined;
  if ('stringValue' in v) return v.stringValue;
  if ('boolValue' in v) return v.boolValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return Number(v.doubleValue);
  if ('arrayValue' in v) return ((v.arrayValue as Json).values ?? []).map((x: Json) => valueOf(x));
  return undefined;
}

const attributesOf = (list: Json[] | undefined): Record<string, unknown> => Object.fromEntries((list ?? []).map((kv) => [kv.key, valueOf(kv.value)]));

function spansOf(body: Json, base64: boolean): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of body.resourceSpans ?? []) {
    const serviceName = attributesOf(rs.resource?.attributes)['service.name'];
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
          traceId: hexOf(s.traceId, base64),
          spanId: hexOf(s.spanId, base64),
          parentSpanId: hexOf(s.parentSpanId, base64),
          name: String(s.name),
          kind: Number(s.kind ?? 0),
          attributes: attributesOf(s.attributes),
          links: (s.links ?? []).map((l: Json) => ({ traceId: hexOf(l.traceId, base64), spanId: hexOf(l.spanId, base64) })),
          serviceName,
        });
      }
    }
  }
  return out;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const contentTypes = new Set<string>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const type = String(req.headers['content-type'] ?? '').split(';')[0] as string;
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      const body = Buffer.concat(chunks);
      contentTypes.add(type);
      if (type === 'application/x-protobuf') {
        const decoded = Request.toObject(Request.decode(body), { bytes: String, longs: String, defaults: false, oneofs: false }) as Json;
        spans.push(...spansOf(decoded, true));
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      } else {
        spans.push(...spansOf(JSON.parse(body.toString('utf8')) as Json, false));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    contentTypes,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
