import { FAILURE_CODES } from '#kafka';
import { ITEMS, next, orderCreated } from '#kafka/testing';
import { decide, decideTimeout, evolve, newOrder, totalOf, type Order } from './order.domain.js';

const NOW = new Date('2026-11-25T10:00:00.000Z');

function givenPendingOrder(): { order: Order; created: ReturnType<typeof orderCreated> } {
  const order = newOrder('1b4e28ba-2fa1-41d2-883f-0016d3cca427', 'user-123', ITEMS, NOW);
  return { order, created: orderCreated(order.id, ITEMS) };
}

describe('order saga decisions', () => {
  it('totals the items in cents', () => {
    expect(totalOf(ITEMS)).toBe(2 * 2500 + 1000);
  });

  it('completes when inventory is reserved', () => {
    const { order, created } = givenPendingOrder();
    const paid = next(created, 'PaymentCompleted', { paymentId: created.eventId, amountCents: 6000, items: ITEMS });
    const reserved = next(paid, 'InventoryReserved', { items: ITEMS });

    const events = decide(order, reserved, NOW);

    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'OrderCompleted', causationId: reserved.eventId, payload: { orderId: order.id, totalCents: 6000 } });
    expect(evolve(order, events[0]).status).toBe('completed');
  });

  it('cancels with the payment reason when payment fails', () => {
    const { order, created } = givenPendingOrder();
    const failed = next(created, 'PaymentFailed', { amountCents: 6000, code: FAILURE_CODES.PAYMENT_DECLINED, reason: 'card declined' });

    const [cancelled] = decide(order, failed, NOW);

    expect(cancelled).toMatchObject({ type: 'OrderCancelled', payload: { code: 'PAYMENT.DECLINED' } });
    const after = evolve(order, cancelled);
    expect(after).toMatchObject({ status: 'cancelled', cancellationCode: 'PAYMENT.DECLINED' });
    expect(after.cancellationReason).toContain('card declined');
  });

  it('cancels with the inventory reason when inventory fails', () => {
    const { order, created } = givenPendingOrder();
    const failed = next(created, 'InventoryFailed', { code: FAILURE_CODES.INVENTORY_INSUFFICIENT_STOCK, reason: 'prod-1: 2 requested, 1 available' });

    const [cancelled] = decide(order, failed, NOW);

    expect(cancelled.type).toBe('OrderCancelled');
    expect(evolve(order, cancelled).cancellationReason).toContain('prod-1: 2 requested, 1 available');
  });

  it('records payment progress without changing state', () => {
    const { order, created } = givenPendingOrder();
    const paid = next(created, 'PaymentCompleted', { paymentId: created.eventId, amountCents: 6000, items: ITEMS });
    expect(decide(order, paid, NOW)).toEqual([]);
  });

  it('decides nothing for an order that already finished', () => {
    const { order, created } = givenPendingOrder();
    const cancelled = evolve(order, decide(order, next(created, 'PaymentFailed', { amountCents: 0, code: 'PAYMENT.DECLINED', reason: 'x' }), NOW)[0]);
    const lateReservation = next(created, 'InventoryReserved', { items: ITEMS });

    expect(decide(cancelled, lateReservation, NOW)).toEqual([]);
  });

  it('times out a pending order only after the timeout', () => {
    const { order } = givenPendingOrder();
    expect(decideTimeout(order, new Date(NOW.getTime() + 29_999), 30_000)).toBeNull();

    const timeout = decideTimeout(order, new Date(NOW.getTime() + 30_000), 30_000);

    expect(timeout).toMatchObject({ type: 'OrderCancelled', causationId: null, payload: { code: FAILURE_CODES.SAGA_TIMEOUT } });
    expect(decideTimeout(evolve(order, timeout!), new Date(NOW.getTime() + 60_000), 30_000)).toBeNull();
  });
});
