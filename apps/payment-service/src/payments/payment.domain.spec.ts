import { FAILURE_CODES } from '#kafka';
import { ITEMS, next, orderCreated } from '#kafka/testing';
import { decide, evolve, gatewayDeclines, type Gateway, type Payment } from './payment.domain.js';

const NOW = new Date('2026-11-25T10:00:00.000Z');
const ALWAYS_PAYS: Gateway = { failureRate: 0, seed: 'test' };
const ALWAYS_DECLINES: Gateway = { failureRate: 1, seed: 'test' };

function chargedPayment() {
  const created = orderCreated();
  const [completed] = decide(undefined, created, ALWAYS_PAYS, NOW);
  return { created, completed, payment: evolve(undefined, completed) };
}

describe('payment saga decisions', () => {
  it('charges the order total and passes the items on', () => {
    const { created, completed, payment } = chargedPayment();

    expect(completed).toMatchObject({ type: 'PaymentCompleted', causationId: created.eventId, payload: { amountCents: 6000, items: ITEMS } });
    expect(payment).toMatchObject({ status: 'completed', amountCents: 6000 });
  });

  it('declines with a reason when the gateway declines', () => {
    const created = orderCreated();

    const [failed] = decide(undefined, created, ALWAYS_DECLINES, NOW);

    expect(failed).toMatchObject({ type: 'PaymentFailed', payload: { code: FAILURE_CODES.PAYMENT_DECLINED, amountCents: 6000 } });
    expect(evolve(undefined, failed).status).toBe('failed');
  });

  it('never charges an order twice', () => {
    const { created, payment } = chargedPayment();
    expect(decide(payment, created, ALWAYS_PAYS, NOW)).toEqual([]);
  });

  it('refunds the whole charge once when inventory fails', () => {
    const { completed, payment } = chargedPayment();
    const inventoryFailed = next(completed, 'InventoryFailed', { code: FAILURE_CODES.INVENTORY_SIMULATED_FAILURE, reason: 'glitch' });

    const [refund] = decide(payment, inventoryFailed, ALWAYS_PAYS, NOW);
    const refunded = evolve(payment, refund);

    expect(refund).toMatchObject({ type: 'PaymentRefunded', payload: { amountCents: 6000, paymentId: payment.paymentId } });
    expect(refunded.status).toBe('refunded');
    const orderCancelled = next(inventoryFailed, 'OrderCancelled', { code: 'INVENTORY.SIMULATED_FAILURE', reason: 'glitch' });
    expect(decide(refunded, orderCancelled, ALWAYS_PAYS, NOW)).toEqual([]);
  });

  it('refunds a charged order that was cancelled by the saga timeout', () => {
    const { created, payment } = chargedPayment();
    const timedOut = next(created, 'OrderCancelled', { code: FAILURE_CODES.SAGA_TIMEOUT, reason: 'no outcome' });

    expect(decide(payment, timedOut, ALWAYS_PAYS, NOW).map((event) => event.type)).toEqual(['PaymentRefunded']);
  });

  it('does not refund a payment that failed', () => {
    const created = orderCreated();
    const failed: Payment = evolve(undefined, decide(undefined, created, ALWAYS_DECLINES, NOW)[0]);
    const cancelled = next(created, 'OrderCancelled', { code: FAILURE_CODES.PAYMENT_DECLINED, reason: 'declined' });

    expect(decide(failed, cancelled, ALWAYS_PAYS, NOW)).toEqual([]);
  });

  it('charges nothing for an order cancelled before its OrderCreated arrived', () => {
    const created = orderCreated();
    const cancelled = next(created, 'OrderCancelled', { code: FAILURE_CODES.SAGA_TIMEOUT, reason: 'no outcome' });

    const [failed] = decide(undefined, cancelled, ALWAYS_PAYS, NOW);
    const payment = evolve(undefined, failed);

    expect(failed).toMatchObject({ type: 'PaymentFailed', payload: { code: FAILURE_CODES.ORDER_CANCELLED, amountCents: 0 } });
    expect(decide(payment, created, ALWAYS_PAYS, NOW)).toEqual([]);
  });

  it('gives the same gateway answer for the same order, and about the configured share of declines', () => {
    const gateway: Gateway = { failureRate: 0.3, seed: 'demo' };
    const ids = Array.from({ length: 2000 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    const declined = ids.filter((id) => gatewayDeclines(id, gateway));

    expect(ids.filter((id) => gatewayDeclines(id, gateway))).toEqual(declined);
    expect(declined.length / ids.length).toBeGreaterThan(0.25);
    expect(declined.length / ids.length).toBeLessThan(0.35);
  });
});
