import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { placeOrder } from '../../apps/order-service/src/orders/order.domain.js';
import { ORDER, eventually, getOrder, postJson } from '../e2e/support/http.js';
import { assertInvariants } from '../e2e/support/invariants.js';
import { SagaSystem, SERVICE_NAMES } from '../e2e/support/saga-system.js';
import { killBroker, restartBroker } from '../faults/support/inject.js';

const ORDERS = Number(process.env.SCALE_OUT_ORDERS ?? 300);
const CONCURRENCY = 20;
const SAGA_TIMEOUT_MS = 60_000;

/**
 * The scale-out topology under faults: two instances of every service on PostgreSQL
 * and three Kafka brokers (`npm run test:scale-out` starts them). Orders are posted
 * alternately to both order-service instances at the default failure rates; while
 * they are in flight, one instance of each service is SIGKILLed, then the broker that
 * leads the most order.created partitions. Nothing is restarted (the broker comes back after the last test).
 */
describe('scale-out: two instances of every service on PostgreSQL and three brokers', () => {
  let system: SagaSystem;
  /** Every order this suite placed: the invariants are checked over all of them at the end. */
  const everyOrder: string[] = [];

  beforeAll(async () => {
    system = await SagaSystem.start({
      backend: 'postgres',
      instances: 2,
      env: { INITIAL_STOCK: 'prod-1:1000000,prod-2:1000000,prod-3:1000000', SAGA_TIMEOUT_MS: String(SAGA_TIMEOUT_MS) },
    });
  }, 180_000);
  /** The broker the last test kills, started again at the end: the cluster is left as it was found. */
  let killedBroker: number | null = null;
  afterAll(async () => {
    try {
      await system?.stop();
    } finally {
      if (killedBroker !== null) await restartBroker(system.brokers, 3, killedBroker);
    }
  });

  it('makes one order of two requests with one Idempotency-Key sent to both order-service instances at once', async () => {
    for (let round = 0; round < 5; round++) {
      const headers = { 'Idempotency-Key': `race-${system.prefix}${round}` };
      const results = await Promise.all(
        [0, 1].map((instance) => postJson(system.url('order-service', '/orders', instance), ORDER, headers)),
      );
      expect(results.map((result) => result.status)).toEqual([201, 201]);
      expect(new Set(results.map((result) => result.body.orderId)).size).toBe(1);
      everyOrder.push(results[0].body.orderId as string);
      expect(results.map((result) => result.headers.get('idempotent-replayed')).sort()).toEqual(['true', null].sort());
    }
  });

  it('publishes the outbox rows an instance committed and never published (it died): a survivor takes them over', async () => {
    const orderId = randomUUID();
    const { order, created } = placeOrder(
      orderId,
      'user-left-behind',
      [{ productId: 'prod-1', quantity: 1, unitPriceCents: 2500 }],
      new Date(),
    );
    // What an instance leaves when it dies right after its commit: the order and its OrderCreated in the outbox, unpublished.
    const client = new pg.Client({ connectionString: system.databaseUrl('order-service') });
    await client.connect();
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO orders (id, user_id, items, total_cents, status, created_at, updated_at) VALUES ($1, $2, $3, $4, 'pending', $5, $5)`,
      [order.id, order.userId, JSON.stringify(order.items), order.totalCents, order.createdAt],
    );
    await client.query('INSERT INTO outbox (topic, key, value, created_at) VALUES ($1, $2, $3, $4)', [
      system.topic('order.created'),
      orderId,
      JSON.stringify(created),
      order.createdAt,
    ]);
    await client.query('COMMIT');
    await client.end();
    everyOrder.push(orderId);

    // Payment read the OrderCreated that only the outbox held: it charged or declined it, and the order finished.
    // Waited for, not read once the order is finished: order-service may read an order's InventoryReserved before its
    // PaymentCompleted (two topics, whose partitions may have two leaders; Kafka orders messages within a partition only).
    await eventually(
      () => getOrder(system, orderId),
      (found) =>
        Array.isArray(found?.history) &&
        found.status !== 'pending' &&
        found.history.some((entry: { step: string }) => /^Payment(Completed|Failed)$/.test(entry.step)),
      15_000,
      'the order left behind to finish, with its payment step',
    );
  });

  it('loses no order and does nothing twice when one instance of each service and a broker die mid-load', async () => {
    const accepted: string[] = [];
    const post = (n: number) => placeOnAnyInstance(system, n).then((orderId) => orderId && accepted.push(orderId));

    await inBatches(ORDERS / 2, CONCURRENCY, post);
    const faultsAt = performance.now();
    for (const name of SERVICE_NAMES) await system.stopService(name, 'SIGKILL', 0);
    const broker = await leaderOfMostOrderPartitions(system);
    killBroker(3, broker);
    killedBroker = broker;
    await inBatches(ORDERS / 2, CONCURRENCY, (n) => post(ORDERS / 2 + n));

    // The saga timeout bounds this wait: an order that the services could not finish is cancelled by then.
    for (const orderId of accepted) {
      await eventually(
        () => getOrder(system, orderId),
        (order) => order?.status !== 'pending',
        SAGA_TIMEOUT_MS + 60_000,
        `order ${orderId} to finish`,
      );
    }
    const recoveredMs = performance.now() - faultsAt;
    await assertInvariants(system, [...everyOrder, ...accepted]);
    const histories = await Promise.all(accepted.map((orderId) => getOrder(system, orderId)));
    const duplicated = histories.filter((order) =>
      ['PaymentCompleted', 'PaymentRefunded', 'InventoryReserved'].some(
        (step) => order.history.filter((entry: { step: string }) => entry.step === step).length > 1,
      ),
    ).length;

    console.log(
      `scale-out: ${ORDERS} orders posted, ${accepted.length} accepted, 0 lost, ${duplicated} with a duplicated effect; ` +
        `killed one instance of each service and broker ${broker}; every order terminal ${(recoveredMs / 1000).toFixed(1)} s after the faults`,
    );
    expect(accepted).toHaveLength(ORDERS);
    expect(duplicated).toBe(0);
  }, 600_000);
});

/**
 * Posts order n to instance n % 2, or to the other one if that one is down, with one
 * Idempotency-Key: a request cut off by a crash is replayed, never doubled.
 */
async function placeOnAnyInstance(system: SagaSystem, n: number): Promise<string | null> {
  const key = `scale-out-${system.prefix}${n}`;
  for (let attempt = 0; attempt < 10; attempt++) {
    const instance = (n + attempt) % 2;
    try {
      const result = await postJson(system.url('order-service', '/orders', instance), ORDER, { 'Idempotency-Key': key });
      if (result.status === 201) return result.body.orderId as string;
    } catch {
      // That instance is down: try the other.
    }
  }
  return null;
}

async function inBatches(count: number, concurrency: number, work: (n: number) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < count; start += concurrency) {
    await Promise.all(Array.from({ length: Math.min(concurrency, count - start) }, (_, i) => work(start + i)));
  }
}

/** The broker that leads the most order.created partitions. */
async function leaderOfMostOrderPartitions(system: SagaSystem): Promise<number> {
  const admin = new Kafka({ clientId: 'scale-out-test', brokers: system.brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const { topics } = await admin.fetchTopicMetadata({ topics: [system.topic('order.created')] });
  await admin.disconnect();
  const leads = new Map<number, number>();
  for (const { leader } of topics[0].partitions) leads.set(leader, (leads.get(leader) ?? 0) + 1);
  return [...leads].sort((a, b) => b[1] - a[1])[0][0];
}
