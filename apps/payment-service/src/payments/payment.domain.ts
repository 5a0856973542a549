/**
 * The payment's part of the saga as pure functions. One payment per order: it is
 * decided once (charged or declined), and a charged payment is refunded at most
 * once, when the saga is compensated (inventory failed, or the order was cancelled).
 */
import { randomUUID } from 'node:crypto';
import { simulatedFailure } from '#common';
import {
  eventCausedBy,
  FAILURE_CODES,
  type InventoryFailedEvent,
  type OrderCancelledEvent,
  type OrderCreatedEvent,
  type PaymentCompletedEvent,
  type PaymentFailedEvent,
  type PaymentRefundedEvent,
} from '#kafka';

export type PaymentStatus = 'completed' | 'failed' | 'refunded';

export interface Payment {
  readonly orderId: string;
  readonly paymentId: string | null;
  readonly amountCents: number;
  readonly status: PaymentStatus;
  readonly reason: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface Gateway {
  readonly failureRate: number;
  readonly seed: string;
}

export type PaymentSagaEvent = OrderCreatedEvent | InventoryFailedEvent | OrderCancelledEvent;
export type PaymentOutcomeEvent = PaymentCompletedEvent | PaymentFailedEvent | PaymentRefundedEvent;

/** The simulated gateway's answer for an order: the same every time it is asked. */
export function gatewayDeclines(orderId: string, gateway: Gateway): boolean {
  return simulatedFailure(gateway.seed, 'payment', orderId, gateway.failureRate);
}

export function decide(payment: Payment | undefined, event: PaymentSagaEvent, gateway: Gateway, now: Date): PaymentOutcomeEvent[] {
  switch (event.type) {
    case 'OrderCreated':
      return payment ? [] : [charge(event, gateway, now)];
    case 'InventoryFailed':
      return refundIfCharged(payment, event, `inventory failed: ${event.payload.reason}`, now);
    case 'OrderCancelled':
      if (!payment) return [declinedBecauseCancelled(event, now)];
      return refundIfCharged(payment, event, `order cancelled: ${event.payload.reason}`, now);
    default:
      return assertNever(event);
  }
}

export function evolve(payment: Payment | undefined, event: PaymentOutcomeEvent): Payment {
  const at = event.occurredAt;
  switch (event.type) {
    case 'PaymentCompleted': {
      const { orderId, paymentId, amountCents } = event.payload;
      return { orderId, paymentId, amountCents, status: 'completed', reason: null, createdAt: at, updatedAt: at };
    }
    case 'PaymentFailed': {
      const { orderId, amountCents, code, reason } = event.payload;
      return { orderId, paymentId: null, amountCents, status: 'failed', reason: `${code}: ${reason}`, createdAt: at, updatedAt: at };
    }
    case 'PaymentRefunded':
      return { ...payment!, status: 'refunded', reason: event.payload.reason, updatedAt: at };
    default:
      return assertNever(event);
  }
}

function charge(event: OrderCreatedEvent, gateway: Gateway, now: Date): PaymentCompletedEvent | PaymentFailedEvent {
  const { orderId, totalCents, items } = event.payload;
  if (gatewayDeclines(orderId, gateway)) {
    return eventCausedBy(
      event,
      'PaymentFailed',
      { orderId, amountCents: totalCents, code: FAILURE_CODES.PAYMENT_DECLINED, reason: 'card declined by the (simulated) gateway' },
      now,
    );
  }
  return eventCausedBy(event, 'PaymentCompleted', { orderId, paymentId: randomUUID(), amountCents: totalCents, items }, now);
}

function refundIfCharged(payment: Payment | undefined, cause: InventoryFailedEvent | OrderCancelledEvent, reason: string, now: Date): PaymentRefundedEvent[] {
  if (payment?.status !== 'completed') return [];
  const { orderId, paymentId, amountCents } = payment;
  return [eventCausedBy(cause, 'PaymentRefunded', { orderId, paymentId: paymentId!, amountCents, code: cause.payload.code, reason }, now)];
}

/**
 * The order was cancelled (saga timeout) before its OrderCreated reached us: record
 * the payment as failed so that a late OrderCreated charges nothing.
 */
function declinedBecauseCancelled(event: OrderCancelledEvent, now: Date): PaymentFailedEvent {
  const { orderId } = event.payload;
  return eventCausedBy(
    event,
    'PaymentFailed',
    { orderId, amountCents: 0, code: FAILURE_CODES.ORDER_CANCELLED, reason: 'order cancelled before payment' },
    now,
  );
}

function assertNever(value: never): never {
  throw new Error(`unhandled event ${JSON.stringify(value)}`);
}
