import { rmSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { join } from 'node:path';
import { SagaSystem, sleep } from './support/saga-system.js';
import { eventually, getAnalytics, getPayment, placeOrder, request, waitForTerminal } from './support/http.js';
import { unreadByGroup } from './support/kafka.js';

/** Analytics against the ground truth that the other services hold, across crashes and restarts. */
describe('streaming analytics', () => {
  let system: SagaSystem;
  const placed: string[] = [];

  beforeAll(async () => {
    system = await SagaSystem.start({ env: { SIMULATION_SEED: 'e2e-analytics', SNAPSHOT_INTERVAL_MS: '200' } });
  });
  afterAll(() => system?.stop());

  const placeSome = async (n: number) => {
    for (let i = 0; i < n; i++) {
      placed.push(
        await placeOrder(system, {
          userId: `user-${i}`,
          items: [{ productId: i % 2 ? 'prod-1' : 'prod-2', quantity: 1 + (i % 2), price: 10.5 }],
        }),
      );
      await sleep(20);
    }
  };
  const allFinished = async () => {
    for (const orderId of placed) await waitForTerminal(system, orderId, performance.now(), 30_000);
  };

  it('equals the ground truth after a run during which analytics was SIGKILLed and restarted', async () => {
    await placeSome(12);
    await system.stopService('analytics-service', 'SIGKILL');
    await placeSome(12);
    await system.startService('analytics-service');
    await placeSome(6);
    await allFinished();

    await expectGroundTruth(system, placed);
  });

  it('answers with the same figures after a restart, then goes on from there', async () => {
    // Saves far apart: what it reads from here on is saved and committed only when it stops.
    await system.stopService('analytics-service', 'SIGTERM');
    await system.startService('analytics-service', { env: { SNAPSHOT_INTERVAL_MS: '600000' } });
    await placeSome(2);
    await allFinished();
    await expectGroundTruth(system, placed);

    const before = pick(await getAnalytics(system));
    expect(await system.stopService('analytics-service', 'SIGTERM')).toBe(0);
    // It committed everything it had read before it left its group: a restart reads nothing twice.
    expect(await unreadByGroup(system, 'analytics-service')).toEqual([]);
    await system.startService('analytics-service');
    expect(pick(await getAnalytics(system))).toEqual(before);

    await placeSome(3);
    await allFinished();
    await expectGroundTruth(system, placed);
  });

  it('rebuilds the same figures from the topics when its data is lost, and says it is catching up meanwhile', async () => {
    const truth = await groundTruth(system, placed);
    await system.stopService('analytics-service', 'SIGKILL');
    for (const suffix of ['', '-wal', '-shm']) rmSync(join(system.dataDir, `analytics-service.db${suffix}`), { force: true });
    await system.startService('analytics-service');

    const first = await getAnalytics(system);
    // Either still reading the backlog (and saying so), or already complete: never silently partial.
    expect(first.catchingUp || isDeepStrictEqual(pick(first), truth)).toBe(true);
    await expectGroundTruth(system, placed);
    const caughtUp = await eventually(
      () => getAnalytics(system),
      (a) => !a.catchingUp,
      10_000,
      'the end of the catch-up',
    );
    expect(pick(caughtUp)).toEqual(truth);
    expect(caughtUp.lag).toBe(0);
    expect(caughtUp.lateEventsDropped).toBe(0);
  });

  it('streams a snapshot on connect and another when the figures change', async () => {
    const controller = new AbortController();
    const response = await fetch(system.url('analytics-service', '/analytics/stream'), { signal: controller.signal });
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = response.body!.getReader();
    const snapshots: any[] = [];
    const readSnapshots = (async () => {
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += Buffer.from(value).toString('utf8');
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const data = buffer
            .slice(0, end)
            .split('\n')
            .find((line) => line.startsWith('data: '));
          if (data) snapshots.push(JSON.parse(data.slice(6)));
          buffer = buffer.slice(end + 2);
        }
      }
    })().catch(() => undefined);

    await eventually(
      () => Promise.resolve(snapshots.length),
      (n) => n >= 1,
      5_000,
      'the first snapshot',
    );
    const countBefore = snapshots.at(-1).orderCount;
    await placeSome(1);
    await eventually(
      () => Promise.resolve(snapshots.at(-1)?.orderCount),
      (count) => count === countBefore + 1,
      10_000,
      'a snapshot with the new order',
    );
    controller.abort();
    await readSnapshots;
  });

  it('shuts down in order while a dashboard holds the stream open', async () => {
    const controller = new AbortController();
    const response = await fetch(system.url('analytics-service', '/analytics/stream'), { signal: controller.signal });
    await response.body!.getReader().read();

    // Exit code 0 is the orderly shutdown; the 10 s guard would exit with 1.
    expect(await system.stopService('analytics-service', 'SIGTERM')).toBe(0);
    controller.abort();
    await system.startService('analytics-service');
    await expectGroundTruth(system, placed);
  });
});

/** Waits for analytics to reach the ground truth; fails showing the difference if it does not. */
async function expectGroundTruth(system: SagaSystem, orderIds: string[]) {
  const truth = await groundTruth(system, orderIds);
  let last: any;
  await eventually(
    async () => (last = await getAnalytics(system)),
    (a) => isDeepStrictEqual(pick(a), truth),
    30_000,
    'analytics to equal the ground truth',
  ).catch(() => undefined);
  expect(pick(last)).toEqual(truth);
  return last;
}

/**
 * The figures analytics must report, computed from the order and payment services'
 * own state once the saga has settled (a cancelled order's refund has landed).
 */
async function groundTruth(system: SagaSystem, orderIds: string[]) {
  let completed = 0;
  let revenueCents = 0;
  let refundedCents = 0;
  let refunds = 0;
  const inventoryFailures: Record<string, number> = {};
  for (const orderId of orderIds) {
    const { body: order } = await request(system.url('order-service', `/orders/${orderId}`));
    const { body: payment } = await eventually(
      () => getPayment(system, orderId),
      (p) => order.status === 'completed' || p.body.status !== 'completed',
      20_000,
      `the refund of ${orderId}`,
    );
    if (order.status === 'completed') completed++;
    if (payment.status === 'completed' || payment.status === 'refunded') revenueCents += Math.round(payment.amount * 100);
    if (payment.status === 'refunded') {
      refunds++;
      refundedCents += Math.round(payment.amount * 100);
    }
    if (order.cancellationCode?.startsWith('INVENTORY.'))
      inventoryFailures[order.cancellationCode] = (inventoryFailures[order.cancellationCode] ?? 0) + 1;
  }
  return {
    orderCount: orderIds.length,
    successfulOrders: completed,
    failedOrders: orderIds.length - completed,
    ordersInFlight: 0,
    successRate: Math.round((completed / orderIds.length) * 1000) / 10,
    totalRevenue: revenueCents / 100,
    refunds,
    refundedAmount: refundedCents / 100,
    netRevenue: (revenueCents - refundedCents) / 100,
    inventoryFailures,
    ordersLast60Minutes: orderIds.length,
    sagaDurations: orderIds.length,
  };
}

/** The figures compared with the ground truth (and across restarts). */
function pick(analytics: any) {
  return {
    orderCount: analytics.orderCount,
    successfulOrders: analytics.successfulOrders,
    failedOrders: analytics.failedOrders,
    ordersInFlight: analytics.ordersInFlight,
    successRate: analytics.successRate,
    totalRevenue: analytics.totalRevenue,
    refunds: analytics.refunds,
    refundedAmount: analytics.refundedAmount,
    netRevenue: analytics.netRevenue,
    inventoryFailures: analytics.inventoryFailures,
    ordersLast60Minutes: analytics.ordersPerMinute.reduce((sum: number, n: number) => sum + n, 0),
    sagaDurations: analytics.sagaDurationMs.count,
  };
}
