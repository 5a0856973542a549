import { FAILURE_CODES } from '#contracts';
import { ITEMS, next, orderCreated } from '#contracts/testing';
import { countedPart, countersFor, formatReport, totalsReport, type CounterDelta } from './analytics.domain.js';

function fold(deltas: CounterDelta[]): Record<string, number> {
  const counters: Record<string, number> = {};
  for (const [name, delta] of deltas) counters[name] = (counters[name] ?? 0) + delta;
  return counters;
}

describe('analytics aggregation', () => {
  it('derives the original figures and the compensation figures from the events', () => {
    const completedOrder = orderCreated();
    const paid = next(completedOrder, 'PaymentCompleted', { paymentId: completedOrder.eventId, amountCents: 6000, items: ITEMS });
    const refundedOrder = orderCreated();
    const paid2 = next(refundedOrder, 'PaymentCompleted', { paymentId: refundedOrder.eventId, amountCents: 6000, items: ITEMS });
    const declinedOrder = orderCreated();
    const events = [
      completedOrder,
      paid,
      next(paid, 'InventoryReserved', { items: ITEMS }),
      next(paid, 'OrderCompleted', { totalCents: 6000 }),
      refundedOrder,
      paid2,
      next(paid2, 'InventoryFailed', { code: FAILURE_CODES.INVENTORY_INSUFFICIENT_STOCK, reason: 'short' }),
      next(paid2, 'PaymentRefunded', {
        paymentId: refundedOrder.eventId,
        amountCents: 6000,
        code: 'INVENTORY.INSUFFICIENT_STOCK',
        reason: 'short',
      }),
      next(paid2, 'OrderCancelled', { code: 'INVENTORY.INSUFFICIENT_STOCK', reason: 'short' }),
      declinedOrder,
      next(declinedOrder, 'PaymentFailed', { amountCents: 6000, code: FAILURE_CODES.PAYMENT_DECLINED, reason: 'declined' }),
    ];

    const report = totalsReport(fold(events.flatMap(countersFor)));
    // What a held event keeps of itself counts the same, and holds no ids, times or items.
    expect(events.map((event) => countersFor(countedPart(event)))).toEqual(events.map(countersFor));
    for (const event of events) expect(JSON.stringify(countedPart(event))).not.toMatch(/Id|At|items/);

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

  it('reports a success rate of 0 before any order finished', () => {
    expect(totalsReport({ orders_created: 2 }).successRate).toBe(0);
  });

  it('prints the console report in the shape of the original project', () => {
    const totals = totalsReport({ orders_created: 45, orders_completed: 32, orders_cancelled: 13, revenue_cents: 320000 });
    const text = formatReport({ ...totals, ordersLastMinute: 0 });
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
