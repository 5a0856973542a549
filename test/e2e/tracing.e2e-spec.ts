import { eventually, getOrder, ORDER, placeOrder, waitForTerminal } from './support/http.js';
import { OtlpReceiver, type ReceivedSpan } from './support/otlp-receiver.js';
import { SagaSystem, SERVICE_NAMES } from './support/saga-system.js';

const SPAN_KIND = { SERVER: 2, PRODUCER: 4, CONSUMER: 5 } as const;

/** The trace as a tree, one span per line: what docs/observability.md shows. */
function printTree(spans: ReceivedSpan[]): string {
  const children = (parent: string) => spans.filter((span) => span.parentSpanId === parent);
  const lines: string[] = [];
  const walk = (span: ReceivedSpan, depth: number) => {
    lines.push(`${'  '.repeat(depth)}${span.name}  [${span.service}]`);
    for (const child of children(span.spanId)) walk(child, depth + 1);
  };
  for (const root of spans.filter((span) => !spans.some((other) => other.spanId === span.parentSpanId))) walk(root, 0);
  return lines.join('\n');
}

/**
 * OpenTelemetry with OTEL_EXPORTER_OTLP_ENDPOINT set: one order's saga is one trace,
 * from its POST /orders through every Kafka hop (the W3C trace context travels in the
 * headers, kept by the outbox) to analytics, across the four processes.
 */
describe('one trace per saga', () => {
  let receiver: OtlpReceiver;
  let system: SagaSystem;

  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    system = await SagaSystem.start({
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_BSP_SCHEDULE_DELAY: '200', // export within a fraction of a second (default 5 s)
        LOG_FORMAT: 'json',
        LOG_LEVEL: 'debug',
        PAYMENT_FAILURE_RATE: '0',
        INVENTORY_FAILURE_RATE: '0',
      },
    });
  });
  afterAll(async () => {
    await system?.stop();
    await receiver?.stop();
  });

  it('links every hop of an order, across the four services, under the trace id GET /orders/:id gives', async () => {
    const orderId = await placeOrder(system, ORDER);
    await waitForTerminal(system, orderId);
    const { traceId } = (await getOrder(system, orderId)) as { traceId: string };
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);

    const topic = (name: string) => system.topic(name);
    // The path of a completed order: each event published once, then processed by each of its consumers.
    const expected: Array<[string, string]> = [
      ['order-service', `publish ${topic('order.created')}`],
      ['payment-service', `process ${topic('order.created')}`],
      ['analytics-service', `process ${topic('order.created')}`],
      ['payment-service', `publish ${topic('payment.completed')}`],
      ['order-service', `process ${topic('payment.completed')}`],
      ['inventory-service', `process ${topic('payment.completed')}`],
      ['analytics-service', `process ${topic('payment.completed')}`],
      ['inventory-service', `publish ${topic('inventory.reserved')}`],
      ['order-service', `process ${topic('inventory.reserved')}`],
      ['analytics-service', `process ${topic('inventory.reserved')}`],
      ['order-service', `publish ${topic('order.completed')}`],
      ['analytics-service', `process ${topic('order.completed')}`],
    ];
    const spans = await eventually(
      () => Promise.resolve(receiver.spans.filter((span) => span.traceId === traceId)),
      (received) => received.length >= expected.length + 1,
      20_000,
      `the spans of trace ${traceId}`,
    );
    console.log(`the trace of order ${orderId}:\n${printTree(spans)}`);

    // The root: order-service's HTTP server span of POST /orders.
    const roots = spans.filter((span) => span.parentSpanId === '');
    expect(roots).toEqual([expect.objectContaining({ service: 'order-service', kind: SPAN_KIND.SERVER, name: 'POST' })]);
    expect(roots[0].attributes['order.id']).toBe(orderId);
    expect(new Set(spans.map((span) => span.service))).toEqual(new Set(SERVICE_NAMES));

    const byId = new Map(spans.map((span) => [span.spanId, span]));
    for (const [service, name] of expected) {
      const span = spans.find((candidate) => candidate.service === service && candidate.name === name);
      expect({ service, name, found: span !== undefined }).toEqual({ service, name, found: true });
      expect(span!.attributes['order.id']).toBe(orderId);
      const parent = byId.get(span!.parentSpanId);
      if (name.startsWith('process ')) {
        // A consumer's span is the child of the producer span of the message it read.
        expect(parent).toMatchObject({ kind: SPAN_KIND.PRODUCER, name: name.replace('process ', 'publish ') });
        expect(span!.kind).toBe(SPAN_KIND.CONSUMER);
      } else {
        // A publish is the child of what wrote the event to the outbox: the request, or the event it reacted to.
        expect(parent?.kind === SPAN_KIND.SERVER || parent?.kind === SPAN_KIND.CONSUMER).toBe(true);
        expect(parent!.service).toBe(service);
      }
    }

    // The log lines of the saga's work name the trace and the span they were written in.
    const paymentLines = system
      .log('payment-service')
      .split('\n')
      .filter((line) => line.includes(orderId))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const consumed = spans.find((span) => span.service === 'payment-service' && span.name === `process ${topic('order.created')}`)!;
    expect(paymentLines).toContainEqual(expect.objectContaining({ msg: 'OrderCreated applied', traceId, spanId: consumed.spanId }));
  });
});
