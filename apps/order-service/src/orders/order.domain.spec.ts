import { FAILURE_CODES } from '#contracts';
import { ITEMS, next, orderCreated } from '#contracts/testing';
import { react } from '#domain';
import { decideTimeout, orderDecider, placeOrder, totalOf, type OrderContext } from './order.domain.js';

const NOW = new Date('2026-11-25T10:00:00.000Z');
const CONTEXT: OrderContext = { now: NOW, sagaTimeoutMs: 30_000 };

/** Given a pending order and its OrderCreated. */
function givenPendingOrder() {
  const { order } = placeOrder('1b4e28ba-2fa1-41d2-883f-0016d3cca427', 'user-123', ITEMS, NOW);
  return { order, created: orderCreated(order.id, ITEMS) };
}

describe('order participant', () => {
  it('places a pending order whose OrderCreated carries the computed total', () => {
    const { order, created } = placeOrder('1b4e28ba-2fa1-41d2-883f-0016d3cca427', 'user-123', ITEMS, NOW);
    expect(totalOf(ITEMS)).toBe(2 * 2500 + 1000);
    expect(order).toMatchObject({ status: 'pending', totalCents: 6000 });
    expect(created).toMatchObject({ type: 'OrderCreated', correlationId: order.id, causationId: null, payload: { totalCents: 6000 } });
  });

  it('given a pending order, when inventory is reserved, then it completes', () => {
    const { order, created } = givenPendingOrder();
    const paid = next(created, 'PaymentCompleted', { paymentId: created.eventId, amountCents: 6000, items: ITEMS });
    const reserved = next(paid, 'InventoryReserved', { items: ITEMS });

    const { events, state } = react(orderDecider, order, reserved, CONTEXT);

    expect(events).toEqual([
      expect.objectContaining({ type: 'OrderCompleted', causationId: reserved.eventId, payload: { orderId: order.id, totalCents: 6000 } }),
    ]);
    expect(state.status).toBe('completed');
  });

  it('given a pending order, when payment fails, then it is cancelled with the payment reason', () => {
    const { order, created } = givenPendingOrder();
    const failed = next(created, 'PaymentFailed', { amountCents: 6000, code: FAILURE_CODES.PAYMENT_DECLINED, reason: 'card declined' });

    const { events, state } = react(orderDecider, order, failed, CONTEXT);

    expect(events).toEqual([
      expect.objectContaining({ type: 'OrderCancelled', payload: expect.objectContaining({ code: 'PAYMENT.DECLINED' }) }),
    ]);
    expect(state).toMatchObject({ status: 'cancelled', cancellationCode: 'PAYMENT.DECLINED' });
    expect(state.cancellationReason).toContain('card declined');
  });

  it('given a pending order, when inventory fails, then it is cancelled with the inventory reason', () => {
    const { order, created } = givenPendingOrder();
    const reason = 'prod-1: 2 requested, 1 available';
    const failed = next(created, 'InventoryFailed', { code: FAILURE_CODES.INVENTORY_INSUFFICIENT_STOCK, reason });

    const { events, state } = react(orderDecider, order, failed, CONTEXT);

    expect(events.map((event) => event.type)).toEqual(['OrderCancelled']);
    expect(state.cancellationReason).toContain(reason);
  });

  it('given a pending order, when payment completes, then nothing is emitted and it stays pending', () => {
    const { order, created } = givenPendingOrder();
    const paid = next(created, 'PaymentCompleted', { paymentId: created.eventId, amountCents: 6000, items: ITEMS });

    expect(react(orderDecider, order, paid, CONTEXT)).toEqual({ events: [], state: order });
  });

  it('given a cancelled order, when a late reservation arrives, then nothing happens', () => {
    const { order, created } = givenPendingOrder();
    const declined = next(created, 'PaymentFailed', { amountCents: 0, code: 'PAYMENT.DECLINED', reason: 'x' });
    const { state: cancelled } = react(orderDecider, order, declined, CONTEXT);

    const late = react(orderDecider, cancelled, next(created, 'InventoryReserved', { items: ITEMS }), CONTEXT);

    expect(late).toEqual({ events: [], state: cancelled });
  });

  it('times out a pending order only once the saga timeout has passed', () => {
    const { order } = givenPendingOrder();
    const at = (ms: number): OrderContext => ({ ...CONTEXT, now: new Date(NOW.getTime() + ms) });
    expect(decideTimeout(order, at(29_999))).toEqual([]);

    const [timeout] = decideTimeout(order, at(30_000));

    expect(timeout).toMatchObject({ type: 'OrderCancelled', causationId: null, payload: { code: FAILURE_CODES.SAGA_TIMEOUT } });
    expect(decideTimeout(orderDecider.evolve(order, timeout), at(60_000))).toEqual([]);
  });
});
