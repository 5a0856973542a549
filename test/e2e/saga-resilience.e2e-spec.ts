import { EVENT_TOPICS, type SagaMode } from '#contracts';
import { simulatedFailure } from '#domain';
import { consumersOf } from './support/consumers.js';
import { SagaSystem, sagaVariants, sleep } from './support/saga-system.js';
import {
  eventually,
  getAnalytics,
  getOrder,
  getPayment,
  getReservation,
  getStock,
  ORDER,
  placeOrder,
  request,
  waitForTerminal,
} from './support/http.js';
import { assertInvariants } from './support/invariants.js';
import { kafkaFor, produce, readTopic, schemaBreakingOrder, waitUntilConsumed, type ReadMessage } from './support/kafka.js';

const SEED = 'e2e-resilience';

/** Failures of the plumbing: duplicates, poison messages, crashed services. */
describe.each(sagaVariants())('saga under failure (default failure rates), on %s, %s', (backend, mode) => {
  let system: SagaSystem;

  beforeAll(async () => {
    system = await SagaSystem.start({
      backend,
      env: {
        SAGA_MODE: mode,
        PAYMENT_FAILURE_RATE: '0.3',
        INVENTORY_FAILURE_RATE: '0.2',
        SIMULATION_SEED: SEED,
        SAGA_TIMEOUT_MS: '120000',
      },
    });
  });
  afterAll(() => system?.stop());

  it('changes nothing when every event of a finished order is delivered again', async () => {
    const orderId = await placeOrder(system, ORDER);
    await waitForTerminal(system, orderId);
    await eventually(
      () => getAnalytics(system),
      // lag is 0 before the first measurement too; catchingUp turns false (once) only after a measured 0.
      (a) => a.ordersInFlight === 0 && a.orderCount === 1 && a.lag === 0 && !a.catchingUp,
    );
    await eventually(
      () => getOrder(system, orderId),
      (o) => o.history.length === expectedSteps(o, mode),
    );
    // Analytics measures its lag only now and then: its 0 above can predate the order's last event (a refund
    // that follows the cancellation). Every group's committed offset cannot.
    const messages = await orderMessages(system, orderId);
    await consumedEverywhere(
      system,
      [...messages.values()].map((ofTopic) => ofTopic.at(-1)!),
      mode,
    );
    const before = await snapshot(system, orderId);

    const replayed = await publishAgain(system, messages);
    await consumedEverywhere(system, replayed, mode);

    expect(replayed.length).toBeGreaterThanOrEqual(3);
    expect(await snapshot(system, orderId)).toEqual(before);
  });

  it('dead-letters poison messages with the reason and keeps consuming the partition', async () => {
    const kafka = kafkaFor(system);
    // What payment-service reads first: OrderCreated when choreographed, its ChargePayment command when orchestrated.
    const type = mode === 'orchestrated' ? 'ChargePayment' : 'OrderCreated';
    const topic = system.topic(EVENT_TOPICS[type]);
    const orderId = '6f0c1c1e-0000-4000-8000-000000000001';
    const badPayload = schemaBreakingOrder(orderId, type);
    await produce(kafka, topic, [
      { partition: 0, key: '{"looks":"like JSON"}', value: 'this is not JSON', headers: { trace: '{"also":"JSON-looking"}' } },
      { partition: 1, key: 'poison', value: JSON.stringify({ hello: 'world' }) },
      { partition: 2, key: orderId, value: badPayload },
    ]);

    const after = await placeOrder(system, ORDER);
    await waitForTerminal(system, after);

    const letters = await eventually(
      () => readTopic(kafka, system.topic('saga.dead-letter')),
      (messages) => messages.filter((m) => m.headers['dlq-service'] === 'payment-service').length >= 3,
      20_000,
      'three dead letters from payment-service',
    );
    const reasons = letters.filter((m) => m.headers['dlq-service'] === 'payment-service').map((m) => m.headers['dlq-reason']);
    expect(reasons).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/message value is not a JSON object/),
        expect.stringMatching(/invalid envelope: .*eventId is required.*property hello should not exist/),
        expect.stringMatching(/invalid payload: items\.0\.quantity must not be less than 1/),
      ]),
    );
    const original = letters.find((m) => m.headers['dlq-reason'].includes('not a JSON object'))!;
    // Byte for byte: the key and the headers too, although they look like JSON (the transport must not parse them).
    expect(original).toMatchObject({
      key: '{"looks":"like JSON"}',
      value: 'this is not JSON',
      headers: { trace: '{"also":"JSON-looking"}', 'dlq-topic': topic, 'dlq-partition': '0' },
    });
    const schemaBreaking = letters.find((m) => m.key === orderId)!;
    expect(schemaBreaking.value).toBe(badPayload);
    expect((await getPayment(system, orderId)).status).toBe(404);
  });

  it('answers /health with 503 until its consumer has joined the group again', async () => {
    await system.stopService('payment-service', 'SIGKILL');
    // The killed member keeps the group waiting until its session times out (10 s), so the
    // new process serves HTTP for seconds before its consumer runs.
    await system.startService('payment-service', { waitHealthy: false });
    const first = await eventually(
      () => request(system.url('payment-service', '/health')).catch(() => null),
      (r) => r !== null,
      20_000,
      'an HTTP answer',
    );

    expect(first).toMatchObject({ status: 503, body: { status: 'error', error: { kafka: { status: 'down', consumer: 'starting' } } } });
    await system.waitForHealth('payment-service');
    expect(await request(system.url('payment-service', '/health'))).toMatchObject({
      status: 200,
      body: { info: { kafka: { consumer: 'running' } } },
    });
  });

  it('retries while a service cannot write its database, and neither loses nor dead-letters the step', async () => {
    const unlock = await system.lockTable('payment-service', 'payments'); // its writes now fail: SQLITE_BUSY, or lock_timeout
    const orderId = await placeOrder(system, ORDER);
    // Not ready while it cannot do its work, and still live.
    const notReady = await eventually(
      () => request(system.url('payment-service', '/health')),
      (health) => health.status === 503,
      10_000,
      'payment-service not ready while its database is locked',
    );
    expect(notReady.body).toMatchObject({ status: 'error', error: { kafka: { message: expect.stringMatching(/^retrying a message: /) } } });
    expect((await request(system.url('payment-service', '/health/live'))).status).toBe(200);
    await sleep(12_000); // longer than the consumer's own retries: kafkajs must redeliver
    expect((await getOrder(system, orderId)).status).toBe('pending');
    await unlock();

    await waitForTerminal(system, orderId, performance.now(), 30_000);
    expect((await getPayment(system, orderId)).status).toBe(200);
    await system.waitForHealth('payment-service');
    const letters = await readTopic(kafkaFor(system), system.topic('saga.dead-letter'));
    expect(letters.filter((m) => m.key === orderId)).toEqual([]);
    await assertInvariants(system, await allEarlierOrders(system, []));
  });

  it('finishes every accepted order when services are SIGKILLed mid-flow and restarted', async () => {
    const placed: string[] = [];
    const burst = (n: number) => Promise.all(Array.from({ length: n }, () => placeOrder(system, ORDER).then((id) => placed.push(id))));

    await burst(8);
    await system.stopService('payment-service', 'SIGKILL');
    await burst(8);
    await system.stopService('inventory-service', 'SIGKILL');
    await system.startService('payment-service');
    await burst(8);
    const orderServiceCrash = burst(8).then(() => system.stopService('order-service', 'SIGKILL'));
    await orderServiceCrash;
    await Promise.all([system.startService('inventory-service'), system.startService('order-service')]);
    await system.restartService('analytics-service', 'SIGKILL');

    const started = performance.now();
    for (const orderId of placed) await waitForTerminal(system, orderId, started, 30_000);
    console.log(`${placed.length} orders finished ${(performance.now() - started).toFixed(0)} ms after the last restart`);

    for (const orderId of placed) {
      const order = await getOrder(system, orderId);
      expect([orderId, order.cancellationCode]).toEqual([orderId, predictedOutcome(orderId)]);
    }
    await assertInvariants(system, [...placed, ...(await allEarlierOrders(system, placed))]);
  });
});

/** The path the simulated failures choose for an order: a pure function of the simulation seed and the order id. */
function predictedOutcome(orderId: string): string | null {
  if (simulatedFailure({ simulationSeed: SEED, failureRate: 0.3 }, 'payment', orderId)) return 'PAYMENT.DECLINED';
  if (simulatedFailure({ simulationSeed: SEED, failureRate: 0.2 }, 'inventory', orderId)) return 'INVENTORY.SIMULATED_FAILURE';
  return null;
}

/**
 * The messages in a finished order's history. Orchestrated, the commands too: ChargePayment,
 * ReserveStock when paid, RefundPayment when the stock failed.
 */
function expectedSteps(order: { status: string; cancellationCode: string | null }, mode: SagaMode): number {
  const orchestrated = mode === 'orchestrated';
  if (order.status === 'completed') return orchestrated ? 6 : 4;
  if (order.cancellationCode === 'PAYMENT.DECLINED') return orchestrated ? 4 : 3;
  return orchestrated ? 8 : 5;
}

/** The order's messages on each saga topic that has any (events and commands), in offset order. */
async function orderMessages(system: SagaSystem, orderId: string) {
  const kafka = kafkaFor(system);
  const messages = new Map<string, ReadMessage[]>();
  for (const name of Object.values(EVENT_TOPICS)) {
    const topic = system.topic(name);
    const ofOrder = (await readTopic(kafka, topic)).filter((m) => m.key === orderId);
    if (ofOrder.length > 0) messages.set(topic, ofOrder);
  }
  return messages;
}

interface Position {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/** Waits until every group reading each topic has consumed the message at that position. */
async function consumedEverywhere(system: SagaSystem, positions: Position[], mode: SagaMode) {
  const kafka = kafkaFor(system);
  for (const { topic, partition, offset } of positions) {
    for (const group of consumersOf(topic, mode)) await waitUntilConsumed(kafka, `${system.prefix}${group}`, topic, partition, offset);
  }
}

/** Publishes the messages again, unchanged, each topic's in one request; resolves to where each topic's last landed. */
async function publishAgain(system: SagaSystem, messages: Map<string, ReadMessage[]>) {
  const kafka = kafkaFor(system);
  const replayed: Position[] = [];
  for (const [topic, ofTopic] of messages) {
    const [metadata] = await produce(
      kafka,
      topic,
      ofTopic.map((m) => ({ key: m.key!, value: m.value })),
    );
    replayed.push({ topic, partition: metadata.partition, offset: String(Number(metadata.baseOffset) + ofTopic.length - 1) });
  }
  return replayed;
}

async function snapshot(system: SagaSystem, orderId: string) {
  // Without the figures that move with the clock or with when the last offset commit happened.
  const { generatedAt, ordersPerMinute, ordersLastMinute, lag, ...analytics } = await getAnalytics(system);
  return {
    order: await getOrder(system, orderId),
    payment: (await getPayment(system, orderId)).body,
    reservation: (await getReservation(system, orderId)).body,
    stock: await getStock(system),
    analytics,
  };
}

async function allEarlierOrders(system: SagaSystem, exclude: string[]): Promise<string[]> {
  const { body } = await request<{ items: Array<{ orderId: string }> }>(system.url('order-service', '/orders?limit=100'));
  return body.items.map((order) => order.orderId).filter((id) => !exclude.includes(id));
}
