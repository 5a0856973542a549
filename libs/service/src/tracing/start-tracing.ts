import { register } from 'node:module';
import type { NodeSDK } from '@opentelemetry/sdk-node';

let sdk: NodeSDK | null = null;

/**
 * Starts OpenTelemetry tracing when `OTEL_EXPORTER_OTLP_ENDPOINT` (or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set; off otherwise. Spans go out with
 * OTLP over HTTP (JSON), named after the service (`OTEL_SERVICE_NAME` overrides it);
 * the other standard OTEL_* variables apply. The app is ESM: this must run before its
 * modules are loaded (main.ts imports the app after it), so that the HTTP
 * instrumentation's loader hook sees them. The Kafka hops are traced by the plumbing
 * itself (libs/messaging/src/tracing.ts): the outbox keeps each event's trace context.
 */
export async function startTracing(service: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return;
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
  // Loaded only when on: with tracing off, the SDK costs no memory.
  const [{ NodeSDK }, { OTLPTraceExporter }, { HttpInstrumentation }] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/instrumentation-http'),
  ]);
  // Traces only: the metrics are Prometheus' (GET /metrics), the logs pino's.
  env.OTEL_METRICS_EXPORTER ??= 'none';
  env.OTEL_LOGS_EXPORTER ??= 'none';
  sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME ?? service,
    traceExporter: new OTLPTraceExporter(),
    instrumentations: [
      // Probes, scrapes and the API description are not saga work.
      new HttpInstrumentation({ ignoreIncomingRequestHook: (request) => /^\/(health|metrics|docs)(\/|$|\?|-)/.test(request.url ?? '') }),
    ],
  });
  sdk.start();
}

/** Sends the spans still buffered; part of the orderly shutdown. */
export async function stopTracing(): Promise<void> {
  await sdk?.shutdown();
  sdk = null;
}
