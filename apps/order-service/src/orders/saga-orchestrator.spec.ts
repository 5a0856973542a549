import { FAILURE_CODES } from '#contracts';
import { ITEMS, next } from '#contracts/testing';
import { react } from '#domain';
import { placeOrder, type Order, type OrderContext } from './order.domain.js';
import { orchestrateTimeout, orchestratorDecider, startSaga } from './saga-orchestrator.js';

const NOW = new Date('2026-11-27T10:00:00.000Z');
const CONTEXT: OrderContext = { now: NOW, sagaTimeoutMs: 30_000 };
const LATER: OrderContext = { now: new Date(NOW.getTime() + 30_000), sagaTimeoutMs: 30_000 };

/** An order placed in orchestrated mode: pending, charging, and its ChargePayment command. */
function placed() {
  const { order, created } = placeOrder('1b4e28ba-2fa1-41d2-883f-0016d3cca427', 'user-123', ITEMS, NOW);
  const { order: charging, command } = startSaga(order, created, NOW);
  return { order: charging, command };
}

/** The same order once the payment went through: reserving, and its ReserveStock command. */
function paid() {
  const { order, command } = placed();
  const completed = next(command, 'PaymentCompleted', { paymentId: command.eventId, amountCents: 6000, items: ITEMS });
  const { events, state } = react(orchestratorDecider, order, completed, CONTEXT);
  return { order: state, reserve: events[0], completed };
}

const types = (events: ReadonlyArray<{ type: string }>) => events.map((event) => event.type);

describe('saga orchestrator', () => {
  it('starts the saga with ChargePayment, carrying the order, caused by OrderCreated', () => {
    const { order, command } = placed();
    expect(order).toMatchObject({ status: 'pending', sagaStep: 'charging' });
    expect(command).toMatchObject({
      type: 'ChargePayment',
      correlationId: order.id,
      payload: { orderId: order.id, totalCents: 6000, items: ITEMS },
    });
  });

  it('given charging, when the payment completes, then it asks inventory to reserve the items', () => {
    const { order, reserve, completed } = paid();
    expect(reserve).toMatchObject({ type: 'ReserveStock', causationId: completed.eventId, payload: { orderId: order.id, items: ITEMS } });
    expect(order).toMatchObject({ status: 'pending', sagaStep: 'reserving' });
  });

  it('given charging, when the payment fails, then it cancels the order and compensates nothing', () => {
    const { order, command } = placed();
    const failed = next(command, 'PaymentFailed', { amountCents: 6000, code: FAILURE_CODES.PAYMENT_DECLINED, reason: 'card declined' });
    const { events, state } = react(orchestratorDecider, order, failed, CONTEXT);
    expect(types(events)).toEqual(['OrderCancelled']);
    expect(state).toMatchObject({ status: 'cancelled', sagaStep: 'cancelled', cancellationCode: FAILURE_CODES.PAYMENT_DECLINED });
  });

  it('given reserving, when the stock is reserved (the pivot), then the order completes', () => {
    const { order, reserve } = paid();
    const reserved = next(reserve, 'InventoryReserved', { items: ITEMS });
    const { events, state } = react(orchestratorDecider, order, reserved, CONTEXT);
    expect(events).toEqual([expect.objectContaining({ type: 'OrderCompleted', payload: { orderId: order.id, totalCents: 6000 } })]);
    expect(state).toMatchObject({ status: 'completed', sagaStep: 'completed' });
  });

  it('given reserving, when inventory fails, then it refunds the payment, then cancels', () => {
    const { order, reserve } = paid();
    const failed = next(reserve, 'InventoryFailed', {
      code: FAILURE_CODES.INVENTORY_INSUFFICIENT_STOCK,
      reason: 'prod-1: 2 requested, 0 available',
    });
    const { events, state } = react(orchestratorDecider, order, failed, CONTEXT);
    expect(types(events)).toEqual(['RefundPayment', 'OrderCancelled']);
    expect(events[0]).toMatchObject({
      payload: { code: FAILURE_CODES.INVENTORY_INSUFFICIENT_STOCK, reason: expect.stringMatching(/^inventory failed/) },
    });
    expect(state).toMatchObject({ status: 'cancelled', sagaStep: 'cancelled' });
  });

  it('ignores a reply that does not fit the step (a duplicate), and any reply once the order is finished', () => {
    const { order, completed } = paid();
    expect(react(orchestratorDecider, order, completed, CONTEXT).events).toEqual([]);
    const cancelled: Order = { ...order, status: 'cancelled', sagaStep: 'cancelled' };
    expect(react(orchestratorDecider, cancelled, next(completed, 'InventoryReserved', { items: ITEMS }), CONTEXT).events).toEqual([]);
  });

  it('adopts an order placed before the switch to orchestration (no step) from the replies it gets', () => {
    const { order: placedChoreographed, created } = placeOrder('3f2504e0-4f89-41d3-9a0c-0305e82c3301', 'user-123', ITEMS, NOW);
    expect(placedChoreographed.sagaStep).toBeNull();
    const completed = next(created, 'PaymentCompleted', { paymentId: created.eventId, amountCents: 6000, items: ITEMS });
    expect(types(react(orchestratorDecider, placedChoreographed, completed, CONTEXT).events)).toEqual(['ReserveStock']);
    const reserved = next(completed, 'InventoryReserved', { items: ITEMS });
    expect(types(react(orchestratorDecider, placedChoreographed, reserved, CONTEXT).events)).toEqual(['OrderCompleted']);
    expect(types(orchestrateTimeout(placedChoreographed, LATER))).toEqual(['ReleaseStock', 'RefundPayment', 'OrderCancelled']);
  });

  it('on the saga timeout, compensates the steps it may have reached, last first, then cancels', () => {
    const charging = placed().order;
    const reserving = paid().order;
    expect(orchestrateTimeout(charging, CONTEXT)).toEqual([]);
    expect(types(orchestrateTimeout(charging, LATER))).toEqual(['RefundPayment', 'OrderCancelled']);
    expect(types(orchestrateTimeout(reserving, LATER))).toEqual(['ReleaseStock', 'RefundPayment', 'OrderCancelled']);
    expect(orchestrateTimeout(reserving, LATER).map((event) => (event.payload as { code?: string }).code)).toEqual(
      Array(3).fill(FAILURE_CODES.SAGA_TIMEOUT),
    );
    expect(orchestrateTimeout({ ...reserving, status: 'completed', sagaStep: 'completed' }, LATER)).toEqual([]);
  });
});
