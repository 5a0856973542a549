import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { eventually, getOrder, ORDER, placeOrder, request, waitForTerminal } from './support/http.js';
import { kafkaFor, produce, readTopic, schemaBreakingOrder } from './support/kafka.js';
import { promtool, PrometheusServer, sample } from './support/prometheus.js';
import { SagaSystem, SERVICE_NAMES, type ServiceName } from './support/saga-system.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const DASHBOARD = join(ROOT, 'docs', 'observability', 'saga-dashboard.json');

/** The shelf holds 100 of prod-1. */
const MORE_THAN_THE_STOCK = { userId: 'user-123', items: [{ productId: 'prod-1', quantity: 500, price: 1 }], total: 500 };

const metricsOf = async (system: SagaSystem, service: ServiceName): Promise<string> => {
  const response = await request<string>(system.url(service, '/metrics'));
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.body;
};

// npm test installs Debian's prometheus package where it can (root, apt-get); elsewhere this file is
// left out with a message, except under CI=true, where a missing Prometheus fails it.
const hasPrometheus = spawnSync('promtool', ['--version']).error === undefined;
if (!hasPrometheus && process.env.CI !== 'true')
  console.warn('metrics e2e skipped: promtool and prometheus are not installed (apt-get install prometheus).');

/**
 * GET /metrics on every service, as an operator's Prometheus reads it: the sagas, the
 * consumed events by outcome, dead letters, the outbox, the consumer lag and HTTP.
 */
(hasPrometheus || process.env.CI === 'true' ? describe : describe.skip)('Prometheus metrics', () => {
  let system: SagaSystem;
  let prometheus: PrometheusServer | undefined;
  const orders: string[] = [];

  beforeAll(async () => {
    system = await SagaSystem.start({ env: { PAYMENT_FAILURE_RATE: '0', INVENTORY_FAILURE_RATE: '0' } });
    for (let i = 0; i < 2; i++) orders.push(await placeOrder(system, ORDER));
    orders.push(await placeOrder(system, MORE_THAN_THE_STOCK)); // cancelled, and its payment refunded
    for (const orderId of orders) await waitForTerminal(system, orderId);
    await getOrder(system, orders[0]);
  });
  afterAll(async () => {
    await prometheus?.stop();
    await system?.stop();
  });

  it('serves every service in a format that promtool accepts, labelled with the service', async () => {
    for (const service of SERVICE_NAMES) {
      const text = await metricsOf(system, service);
      expect(promtool(['check', 'metrics'], text)).toBe(''); // no lint complaint either
      expect(sample(text, 'process_cpu_seconds_total', { service })).toBeGreaterThan(0);
    }
  });

  it('counts the sagas, the events each service consumed by outcome, dead letters, the outbox and HTTP requests', async () => {
    const kafka = kafkaFor(system);
    const created = system.topic('order.created');
    // One OrderCreated delivered again (a duplicate) and one the schema refuses (a dead letter).
    const first = (await readTopic(kafka, created)).find((message) => message.key === orders[0])!;
    await produce(kafka, created, [{ key: first.key!, value: first.value }]);
    await produce(kafka, created, [{ key: 'poison', value: schemaBreakingOrder('poison') }]);

    const payment = await eventually(
      () => metricsOf(system, 'payment-service'),
      // Two partitions, consumed concurrently: wait for both.
      (text) =>
        sample(text, 'saga_events_consumed_total', { type: 'OrderCreated', outcome: 'dead_lettered' }) === 1 &&
        sample(text, 'saga_events_consumed_total', { type: 'OrderCreated', outcome: 'duplicate' }) === 1,
      20_000,
      'payment-service to count the dead letter and the duplicate',
    );
    expect(sample(payment, 'saga_events_consumed_total', { type: 'OrderCreated', outcome: 'applied' })).toBe(3);
    expect(sample(payment, 'saga_events_consumed_total', { type: 'OrderCreated', outcome: 'duplicate' })).toBe(1);
    expect(sample(payment, 'saga_event_handling_seconds_count', { type: 'OrderCreated', outcome: 'applied' })).toBe(3);
    expect(sample(payment, 'saga_dead_letters_total', { topic: created })).toBe(1);
    expect(sample(payment, 'outbox_publish_seconds_count')).toBe(4); // a PaymentCompleted for each order, one PaymentRefunded
    expect(sample(payment, 'outbox_pending_events')).toBe(0);

    const order = await metricsOf(system, 'order-service');
    expect(sample(order, 'sagas_finished_total', { outcome: 'completed' })).toBe(2);
    expect(sample(order, 'sagas_finished_total', { outcome: 'cancelled', code: 'INVENTORY.INSUFFICIENT_STOCK' })).toBe(1);
    expect(sample(order, 'saga_duration_seconds_count', { outcome: 'completed' })).toBe(2);
    expect(sample(order, 'saga_duration_seconds_count', { outcome: 'cancelled' })).toBe(1);
    expect(sample(order, 'http_request_duration_seconds_count', { method: 'POST', route: '/orders', status_code: '201' })).toBe(3);
    expect(
      sample(order, 'http_request_duration_seconds_count', { method: 'GET', route: '/orders/:id', status_code: '200' }),
    ).toBeGreaterThan(0);
    expect(sample(order, 'saga_events_consumed_total', { type: 'InventoryReserved', outcome: 'applied' })).toBe(2);
  });

  it('reports the lag of each partition the consumer owns, down to 0 once it read everything', async () => {
    const analytics = await eventually(
      () => metricsOf(system, 'analytics-service'),
      (text) => sample(text, 'kafka_consumer_lag') === 0,
      30_000,
      'analytics to have committed everything',
    );
    // Every topic's every partition is owned by the one analytics instance: 9 event topics × 3 partitions.
    expect(analytics.split('\n').filter((line) => line.startsWith('kafka_consumer_lag{'))).toHaveLength(27);
  });

  it('is scraped by a real Prometheus, which answers a saga counter back', async () => {
    prometheus = await PrometheusServer.start(system);
    const completed = await eventually(
      () => prometheus!.query('sum(sagas_finished_total{outcome="completed"})'),
      (result) => result[0]?.value === 2,
      30_000,
      'Prometheus to have scraped the completed sagas',
    );
    expect(completed).toEqual([{ metric: {}, value: 2 }]);
    // Each service is its own target, up, and its series carry its name.
    const targets = SERVICE_NAMES.map((service) => new URL(system.url(service)).host).sort();
    const up = await eventually(
      () => prometheus!.query('up == 1'),
      (result) => result.length === targets.length,
      10_000,
      'every target up (its last scrape succeeded)',
    );
    expect(up.map(({ metric }) => metric.instance).sort()).toEqual(targets);
    const perService = await prometheus.query('max by (service) (process_start_time_seconds)');
    expect(perService.map(({ metric }) => metric.service).sort()).toEqual([...SERVICE_NAMES].sort());
  });

  it('answers every query of the Grafana dashboard (docs/observability) with data', async () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
    const queries = dashboard.panels.flatMap((panel) => panel.targets.map((target) => ({ panel: panel.title, expr: target.expr })));
    expect(queries.length).toBeGreaterThan(10);
    // rate() needs two scrapes in its window; every panel has something to show after the orders and the dead letter above.
    const answered = await eventually(
      () => Promise.all(queries.map(async ({ panel, expr }) => ({ panel, expr, series: (await prometheus!.query(expr)).length }))),
      (results) => results.every((result) => result.series > 0),
      30_000,
      'every dashboard query to return a series',
    );
    expect(answered.filter((result) => result.series === 0)).toEqual([]);
  });

  it('ships a Prometheus configuration for docker compose that promtool accepts', () => {
    expect(promtool(['check', 'config', join(ROOT, 'docker', 'prometheus.yml')])).toMatch(/SUCCESS/);
  });
});
