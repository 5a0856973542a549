import { FAILURE_CODES } from '#contracts';
import { ITEMS, next, orderCreated } from '#contracts/testing';
import { react, type SimulatedSystem } from '#domain';
import { gatewayDeclines, paymentDecider, type PaymentContext } from './payment.domain.js';

const NOW = new Date('2026-11-25T10:00:00.000Z');
const ALWAYS_PAYS: PaymentContext = { now: NOW, gateway: { failureRate: 0, simulationSeed: 'test' } };
const ALWAYS_DECLINES: PaymentContext = { now: NOW, gateway: { failureRate: 1, simulationSeed: 'test' } };

/** Given an order that was charged. */
function givenChargedOrder() {
  const created = orderCreated();
  const { events, state } = react(paymentDecider, undefined, created, ALWAYS_PAYS);
  return { created, completed: events[0], payment: state };
}

describe('payment participant', () => {
  it('given no payment, when an order is created, then it charges the total and passes the items on', () => {
    const created = orderCreated();

    const { events, state } = react(paymentDecider, undefined, created, ALWAYS_PAYS);

    expect(events).toEqual([
      expect.objectContaining({
        type: 'PaymentCompleted',
        causationId: created.eventId,
        payload: expect.objectContaining({ amountCents: 6000, items: ITEMS }),
      }),
    ]);
    expect(state).toMatchObject({ status: 'completed', amountCents: 6000 });
  });

  it('given no payment, when the gateway declines, then the payment fails with a reason', () => {
    const { events, state } = react(paymentDecider, undefined, orderCreated(), ALWAYS_DECLINES);

    expect(events).toEqual([
      expect.objectContaining({
        type: 'PaymentFailed',
        payload: expect.objectContaining({ code: FAILURE_CODES.PAYMENT_DECLINED, amountCents: 6000 }),
      }),
    ]);
    expect(state?.status).toBe('failed');
  });

  it('given a charged order, when OrderCreated comes again, then it is not charged twice', () => {
    const { created, payment } = givenChargedOrder();
    expect(react(paymentDecider, payment, created, ALWAYS_PAYS)).toEqual({ events: [], state: payment });
  });

  it('given a charged order, when inventory fails, then the whole charge is refunded once', () => {
    const { completed, payment } = givenChargedOrder();
    const inventoryFailed = next(completed, 'InventoryFailed', { code: FAILURE_CODES.INVENTORY_SIMULATED_FAILURE, reason: 'glitch' });

    const { events, state: refunded } = react(paymentDecider, payment, inventoryFailed, ALWAYS_PAYS);

    expect(events).toEqual([
      expect.objectContaining({
        type: 'PaymentRefunded',
        payload: expect.objectContaining({ amountCents: 6000, paymentId: payment?.paymentId }),
      }),
    ]);
    expect(refunded?.status).toBe('refunded');
    const orderCancelled = next(inventoryFailed, 'OrderCancelled', { code: 'INVENTORY.SIMULATED_FAILURE', reason: 'glitch' });
    expect(react(paymentDecider, refunded, orderCancelled, ALWAYS_PAYS).events).toEqual([]);
  });

  it('given a charged order, when the saga times out, then it is refunded', () => {
    const { created, payment } = givenChargedOrder();
    const timedOut = next(created, 'OrderCancelled', { code: FAILURE_CODES.SAGA_TIMEOUT, reason: 'no outcome' });

    expect(react(paymentDecider, payment, timedOut, ALWAYS_PAYS).events.map((event) => event.type)).toEqual(['PaymentRefunded']);
  });

  it('given a declined payment, when the order is cancelled, then nothing is refunded', () => {
    const created = orderCreated();
    const { state: declined } = react(paymentDecider, undefined, created, ALWAYS_DECLINES);
    const cancelled = next(created, 'OrderCancelled', { code: FAILURE_CODES.PAYMENT_DECLINED, reason: 'declined' });

    expect(react(paymentDecider, declined, cancelled, ALWAYS_PAYS).events).toEqual([]);
  });

  it('given no payment, when the order is cancelled first, then a tombstone makes the late OrderCreated charge nothing', () => {
    const created = orderCreated();
    const cancelled = next(created, 'OrderCancelled', { code: FAILURE_CODES.SAGA_TIMEOUT, reason: 'no outcome' });

    const { events, state: tombstone } = react(paymentDecider, undefined, cancelled, ALWAYS_PAYS);

    expect(events).toEqual([
      expect.objectContaining({
        type: 'PaymentFailed',
        payload: expect.objectContaining({ code: FAILURE_CODES.ORDER_CANCELLED, amountCents: 0 }),
      }),
    ]);
    expect(tombstone).toMatchObject({ status: 'failed', amountCents: 0 });
    expect(react(paymentDecider, tombstone, created, ALWAYS_PAYS)).toEqual({ events: [], state: tombstone });
  });

  it('gives the same gateway answer for the same order, and about the configured share of declines', () => {
    const gateway: SimulatedSystem = { failureRate: 0.3, simulationSeed: 'demo' };
    const ids = Array.from({ length: 2000 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    const declined = ids.filter((id) => gatewayDeclines(id, gateway));

    expect(ids.filter((id) => gatewayDeclines(id, gateway))).toEqual(declined);
    expect(declined.length / ids.length).toBeGreaterThan(0.25);
    expect(declined.length / ids.length).toBeLessThan(0.35);
  });
});

describe('payment participant, orchestrated (commands)', () => {
  function chargeCommand() {
    const created = orderCreated();
    return next(created, 'ChargePayment', { userId: 'user-123', items: ITEMS, totalCents: 6000 });
  }

  it('charges on ChargePayment as on OrderCreated, once', () => {
    const charge = chargeCommand();
    const { events, state } = react(paymentDecider, undefined, charge, ALWAYS_PAYS);
    expect(events).toEqual([expect.objectContaining({ type: 'PaymentCompleted', causationId: charge.eventId })]);
    expect(react(paymentDecider, state, charge, ALWAYS_PAYS).events).toEqual([]);
  });

  it('refunds a charge on RefundPayment, with the orchestrator’s code and reason', () => {
    const charge = chargeCommand();
    const charged = react(paymentDecider, undefined, charge, ALWAYS_PAYS).state;
    const refund = next(charge, 'RefundPayment', { code: FAILURE_CODES.SAGA_TIMEOUT, reason: 'no outcome within 30000 ms' });
    const { events, state } = react(paymentDecider, charged, refund, ALWAYS_PAYS);
    expect(events).toEqual([
      expect.objectContaining({
        type: 'PaymentRefunded',
        payload: expect.objectContaining({ code: FAILURE_CODES.SAGA_TIMEOUT, amountCents: 6000 }),
      }),
    ]);
    expect(state?.status).toBe('refunded');
  });

  it('given no payment, when RefundPayment overtakes ChargePayment, then the late charge takes nothing', () => {
    const charge = chargeCommand();
    const refund = next(charge, 'RefundPayment', { code: FAILURE_CODES.SAGA_TIMEOUT, reason: 'late' });
    const first = react(paymentDecider, undefined, refund, ALWAYS_PAYS);
    expect(first.events).toEqual([
      expect.objectContaining({ type: 'PaymentFailed', payload: expect.objectContaining({ amountCents: 0 }) }),
    ]);
    expect(react(paymentDecider, first.state, charge, ALWAYS_PAYS).events).toEqual([]);
  });
});
