import type { SagaSystem } from './saga-system.js';
import { eventually, getAnalytics, getOrder, getPayment, getReservation, getStock, request } from './http.js';

/**
 * The guide's invariants, checked against the services' own state for the given
 * (finished) orders and for the whole system. Throws on the first violation.
 */
export async function assertInvariants(system: SagaSystem, orderIds: string[]): Promise<void> {
  let reservedUnits = 0;
  for (const orderId of orderIds) {
    const order = await getOrder(system, orderId);
    const payment = await getPayment(system, orderId);
    const reservation = await getReservation(system, orderId);
    const context = `order ${orderId} (${order.status}, ${order.cancellationCode})`;
    expect([context, order.status]).toEqual([context, expect.stringMatching(/^(completed|cancelled)$/)]);
    if (order.status === 'completed') {
      expect([context, payment.body.status, reservation.body.status]).toEqual([context, 'completed', 'reserved']);
      expect(payment.body.amount).toBe(order.total);
      reservedUnits += order.items.reduce((sum: number, item: { quantity: number }) => sum + item.quantity, 0);
    } else {
      // Compensation runs in parallel with the cancellation: give the refund time to land.
      const settled = await eventually(
        () => getPayment(system, orderId),
        (p) => p.status === 404 || p.body.status !== 'completed',
        20_000,
        `${context}: no net charge`,
      );
      expect([context, settled.status === 404 || ['failed', 'refunded'].includes(settled.body.status)]).toEqual([context, true]);
      if (settled.body.status === 'refunded') {
        expect(settled.body.amount).toBe(order.total);
        await eventually(
          () => getOrder(system, orderId),
          (o) => refundsIn(o) === 1,
          20_000,
          `${context}: one refund in its history`,
        );
      }
      expect([context, reservation.status === 404 || reservation.body.status !== 'reserved']).toEqual([context, true]);
    }
  }
  const stock = await getStock(system);
  for (const [productId, level] of Object.entries(stock)) {
    expect([productId, level.available + level.reserved, level.available >= 0, level.reserved >= 0]).toEqual([
      productId,
      level.initial + level.restocked,
      true,
      true,
    ]);
  }
  const totalReserved = Object.values(stock).reduce((sum, level) => sum + level.reserved, 0);
  expect(totalReserved).toBe(reservedUnits);
  await assertAnalyticsMatches(system, orderIds.length);
}

function refundsIn(order: { history: Array<{ step: string }> }): number {
  return order.history.filter((step) => step.step === 'PaymentRefunded').length;
}

/** Analytics converges to the order service's own counts. */
export async function assertAnalyticsMatches(system: SagaSystem, orderCount: number): Promise<void> {
  const count = async (status: string) =>
    (await request(system.url('order-service', `/orders?status=${status}&limit=1`))).body.total as number;
  const truth = { orderCount, successfulOrders: await count('completed'), failedOrders: await count('cancelled') };
  await eventually(
    getAnalytics.bind(null, system),
    (analytics) =>
      analytics.orderCount === truth.orderCount &&
      analytics.successfulOrders === truth.successfulOrders &&
      analytics.failedOrders === truth.failedOrders,
    20_000,
    `analytics to equal ${JSON.stringify(truth)}`,
  );
}
