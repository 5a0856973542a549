import { createServer, type Server } from 'node:http';
import { freePort } from './saga-system.js';

/** A span as the test reads it from OTLP/HTTP JSON. */
export interface ReceivedSpan {
  readonly service: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  readonly kind: number;
  readonly attributes: Record<string, string | number | boolean>;
}

type OtlpValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
type OtlpAttribute = { key: string; value: OtlpValue };
interface OtlpTraces {
  resourceSpans: Array<{
    resource: { attributes: OtlpAttribute[] };
    scopeSpans: Array<{
      spans: Array<{ traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; attributes?: OtlpAttribute[] }>;
    }>;
  }>;
}

/** An OTLP/HTTP trace receiver inside the test: it keeps every span the services export (JSON encoding). */
export class OtlpReceiver {
  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
    readonly spans: ReceivedSpan[],
  ) {}

  static async start(): Promise<OtlpReceiver> {
    const port = await freePort();
    const spans: ReceivedSpan[] = [];
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        if (request.url === '/v1/traces' && request.headers['content-type']?.startsWith('application/json')) {
          spans.push(...spansOf(JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpTraces));
          response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        } else response.writeHead(415).end();
      });
    });
    await new Promise<void>((listening) => server.listen(port, '127.0.0.1', listening));
    return new OtlpReceiver(server, `http://127.0.0.1:${port}`, spans);
  }

  stop(): Promise<void> {
    return new Promise((closed) => this.server.close(() => closed()));
  }
}

function spansOf(body: OtlpTraces): ReceivedSpan[] {
  return body.resourceSpans.flatMap(({ resource, scopeSpans }) => {
    const service = String(valuesOf(resource.attributes)['service.name']);
    return scopeSpans.flatMap(({ spans }) =>
      spans.map((span) => ({
        service,
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId ?? '',
        name: span.name,
        kind: span.kind,
        attributes: valuesOf(span.attributes ?? []),
      })),
    );
  });
}

function valuesOf(attributes: OtlpAttribute[]): Record<string, string | number | boolean> {
  return Object.fromEntries(
    attributes.map(({ key, value }) => [key, value.stringValue ?? value.boolValue ?? value.doubleValue ?? Number(value.intValue)]),
  );
}
