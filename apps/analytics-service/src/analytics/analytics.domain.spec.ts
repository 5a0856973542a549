import { createEvent, FAILURE_CODES } from '#kafka';
import { ITEMS, next, orderCreated } from '#kafka/testing';
import { buildReport, countersFor, formatReport, orderSecond, type CounterDelta } from './analytics.domain.js';

const NOW = new Date('2026-11-25T10:00:30.000Z');

function fold(deltas: CounterDelta[]): Record<string, number> {
  const counters: Record<string, number> = {};
  for (const [name, delta] of deltas) counters[name] = (counters[name] ?? 0) + delta;
  return counters;
}

describe('analytics aggregation', () => {
  it('derives the seed figures and the compensation figures from the events', () => {
    const completedOrder = orderCreated();
    const paid = next(completedOrder, 'PaymentCompleted', { paymentId: completedOrder.eventId, amountCents: 6000, items: ITEMS });
    const refundedOrder = orderCreated();
    const paid2 = next(refundedOrder, 'PaymentCompleted', { paymentId: refundedOrder.eventId, amountCents: 6000, items: ITEMS });
    const declinedOrder = orderCreated();
    const events = [
      completedOrder, paid, next(paid, 'InventoryReserved', { items: ITEMS }), next(paid, 'OrderCompleted', { totalCents: 6000 }),
      refundedOrder, paid2,
      next(paid2, 'InventoryFailed', { code: FAILURE_CODES.INVENTORY_INSUFFICIENT_STOCK, reason: 'short' }),
      next(paid2, 'PaymentRefunded', { paymentId: refundedOrder.eventId, amountCents: 6000, code: 'INVENTORY.INSUFFICIENT_STOCK', reason: 'short' }),
      next(paid2, 'OrderCancelled', { code: 'INVENTORY.INSUFFICIENT_STOCK', reason: 'short' }),
      declinedOrder,
      next(declinedOrder, 'PaymentFailed', { amountCents: 6000, code: FAILURE_CODES.PAYMENT_DECLINED, reason: 'declined' }),
    ];

    const report = buildReport(fold(events.flatMap(countersFor)), new Map(), NOW);

    expect(report).toMatchObject({
      orderCount: 3,
      successfulOrders: 1,
      failedOrders: 1,
      ordersInFlight: 1,
      successRate: 50,
      totalRevenue: 120,
      refunds: 1,
      refundedAmount: 60,
      netRevenue: 60,
      paymentsFailed: 1,
      inventoryFailures: { 'INVENTORY.INSUFFICIENT_STOCK': 1 },
    });
  });

  it('buckets orders by event time into the last 60 minutes, oldest first', () => {
    const at = (iso: string) => orderSecond(createEvent('OrderCreated', orderCreated().payload, { correlationId: 'x', causationId: null, occurredAt: new Date(iso) }))!;
    const seconds = new Map<number, number>([
      [at('2026-11-25T10:00:10.000Z'), 2], // this minute, within the last 60 s
      [at('2026-11-25T09:59:45.000Z'), 1], // previous minute, within the last 60 s
      [at('2026-11-25T09:59:05.000Z'), 4], // previous minute, older than 60 s
      [at('2026-11-25T09:01:00.000Z'), 3], // 59 minutes ago: the first bucket
      [at('2026-11-25T08:59:59.000Z'), 9], // outside the hour
    ]);

    const report = buildReport({}, seconds, NOW);

    expect(report.ordersPerMinute).toHaveLength(60);
    expect(report.ordersPerMinute[59]).toBe(2);
    expect(report.ordersPerMinute[58]).toBe(5);
    expect(report.ordersPerMinute[0]).toBe(3);
    expect(report.ordersPerMinute.reduce((a, b) => a + b, 0)).toBe(10);
    expect(report.ordersLastMinute).toBe(3);
  });

  it('reports a success rate of 0 before any order finished', () => {
    expect(buildReport({ orders_created: 2 }, new Map(), NOW).successRate).toBe(0);
  });

  it('prints the console report in the seed shape', () => {
    const text = formatReport(buildReport({ orders_created: 45, orders_completed: 32, orders_cancelled: 13, revenue_cents: 320000 }, new Map(), NOW));
    expect(text.split('\n')).toEqual([
      '📊 [STREAMING ANALYTICS]',
      '   Total Orders: 45',
      '   Successful: 32',
      '   Failed: 13',
      '   Success Rate: 71.1%',
      '   Total Revenue: $3200.00',
      '   Orders Last Minute: 0',
    ]);
  });
});
