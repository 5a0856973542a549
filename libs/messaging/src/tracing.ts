import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';
import type { IHeaders } from 'kafkajs';

/**
 * The Kafka hops of a trace (OpenTelemetry, W3C trace context in the message headers),
 * through the outbox: the row keeps the trace context of the transaction that wrote it
 * (an HTTP request, a consumed event), its publish is a producer span under that context,
 * and the consumer of the message continues the trace under the producer span. With
 * tracing off (no SDK started) nothing is kept and nothing is sent.
 */
const tracer = trace.getTracer('kafka-order-saga');

/** Whether an OpenTelemetry SDK was started: it registers the propagator; without one, there are no fields to carry. */
export function tracing(): boolean {
  return propagation.fields().length > 0;
}

/** The running work's trace context as headers (`traceparent`, ...), or null when there is none. */
export function traceHeaders(): Record<string, string> | null {
  if (!tracing()) return null;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return Object.keys(carrier).length > 0 ? carrier : null;
}

/** Runs the handling of a consumed message in a consumer span, child of the span that published it. */
export async function inConsumerSpan<T>(
  topic: string,
  headers: IHeaders | undefined,
  attributes: Attributes,
  work: () => Promise<T>,
): Promise<T> {
  if (!tracing()) return work();
  const parent = parentOf(headers);
  const span = tracer.startSpan(
    `process ${topic}`,
    { kind: SpanKind.CONSUMER, attributes: { ...messaging(topic, 'process'), ...attributes } },
    parent,
  );
  return context.with(trace.setSpan(parent, span), () => ended(span, work));
}

/**
 * A producer span for an outbox row written under `saved` (its kept trace context);
 * resolves to the headers that carry the span on, and the span to end once Kafka has the message.
 */
export function producerSpan(
  topic: string,
  saved: Record<string, string>,
  attributes: Attributes,
): { span: Span; headers: Record<string, string> } {
  const parent = propagation.extract(ROOT_CONTEXT, saved);
  const span = tracer.startSpan(
    `publish ${topic}`,
    { kind: SpanKind.PRODUCER, attributes: { ...messaging(topic, 'send'), ...attributes } },
    parent,
  );
  const headers: Record<string, string> = {};
  propagation.inject(trace.setSpan(parent, span), headers);
  return { span, headers };
}

/** Ends the spans of a publish: failed with the error, if there is one. */
export function endSpans(spans: readonly Span[], error?: unknown): void {
  for (const span of spans) {
    if (error) failed(span, error);
    span.end();
  }
}

async function ended<T>(span: Span, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    failed(span, error);
    throw error;
  } finally {
    span.end();
  }
}

function failed(span: Span, error: unknown): void {
  span.recordException(error as Error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
}

function messaging(topic: string, operation: 'send' | 'process'): Attributes {
  return { 'messaging.system': 'kafka', 'messaging.destination.name': topic, 'messaging.operation.type': operation };
}

/** The context a message's headers carry; none (a new trace) when they carry nothing usable. Never throws: tracing must not fail a message. */
function parentOf(headers: IHeaders | undefined): Context {
  try {
    const text: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers ?? {})) {
      const first: unknown = Array.isArray(value) ? value[0] : value;
      if (typeof first === 'string') text[name] = first;
      else if (Buffer.isBuffer(first)) text[name] = first.toString();
    }
    return propagation.extract(ROOT_CONTEXT, text);
  } catch {
    return ROOT_CONTEXT;
  }
}
