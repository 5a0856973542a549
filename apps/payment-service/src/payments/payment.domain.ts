/**
 * The payment's part of the saga as a decider: pure functions. One payment per
 * order: it is decided once (charged or declined), and a charged payment is
 * refunded at most once, when the saga is compensated (inventory failed, or the
 * order was cancelled).
 */
import { randomUUID } from 'node:crypto';
import { eventCausedBy, FAILURE_CODES, type EventOf } from '#contracts';
import { assertNever, simulatedFailure, type Decider, type SimulatedSystem } from '#domain';

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

/**
 * What the payment service reacts to: the other services' events when the saga is
 * choreographed, the orchestrator's commands when it is orchestrated. A command does what
 * the event it stands for does: ChargePayment as OrderCreated, RefundPayment as OrderCancelled.
 */
export const PAYMENT_REACTS_TO = {
  choreographed: ['OrderCreated', 'InventoryFailed', 'OrderCancelled'],
  orchestrated: ['ChargePayment', 'RefundPayment'],
} as const;
export type PaymentInput = EventOf<(typeof PAYMENT_REACTS_TO)[keyof typeof PAYMENT_REACTS_TO][number]>;
export type PaymentOutput = EventOf<'PaymentCompleted' | 'PaymentFailed' | 'PaymentRefunded'>;

export interface PaymentContext {
  readonly now: Date;
  readonly gateway: SimulatedSystem;
}

export const paymentDecider: Decider<Payment | undefined, PaymentInput, PaymentOutput, PaymentContext> = {
  decide(payment, event, { now, gateway }) {
    switch (event.type) {
      case 'OrderCreated':
      case 'ChargePayment':
        return payment ? [] : [charge(event, gateway, now)];
      case 'InventoryFailed':
        return refundIfCharged(payment, event, `inventory failed: ${event.payload.reason}`, now);
      case 'OrderCancelled':
        // No payment yet: tell the others none will be taken (every order gets one payment outcome).
        if (!payment) return [declinedBecauseCancelled(event, now)];
        return refundIfCharged(payment, event, `order cancelled: ${event.payload.reason}`, now);
      case 'RefundPayment':
        if (!payment) return [declinedBecauseCancelled(event, now)];
        return refundIfCharged(payment, event, event.payload.reason, now);
      default:
        return assertNever(event);
    }
  },

  evolve(payment, event) {
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
        return payment && { ...payment, status: 'refunded', reason: event.payload.reason, updatedAt: at };
      case 'OrderCancelled':
      case 'RefundPayment':
        // Cancelled before its OrderCreated (ChargePayment) arrived: a tombstone, so that the late one charges nothing.
        return payment ?? { ...CANCELLED_BEFORE_PAYMENT, orderId: event.correlationId, createdAt: at, updatedAt: at };
      default:
        return payment;
    }
  },
};

const CANCELLED_BEFORE_PAYMENT = {
  paymentId: null,
  amountCents: 0,
  status: 'failed',
  reason: `${FAILURE_CODES.ORDER_CANCELLED}: order cancelled before payment`,
} as const;

/** The simulated gateway's answer for an order: the same every time it is asked. */
export function gatewayDeclines(orderId: string, gateway: SimulatedSystem): boolean {
  return simulatedFailure(gateway, 'payment', orderId);
}

function charge(event: EventOf<'OrderCreated' | 'ChargePayment'>, gateway: SimulatedSystem, now: Date): PaymentOutput {
  const { orderId, totalCents, items } = event.payload;
  if (gatewayDeclines(orderId, gateway)) {
    const reason = 'card declined by the (simulated) gateway';
    return eventCausedBy(event, 'PaymentFailed', { orderId, amountCents: totalCents, code: FAILURE_CODES.PAYMENT_DECLINED, reason }, now);
  }
  return eventCausedBy(event, 'PaymentCompleted', { orderId, paymentId: randomUUID(), amountCents: totalCents, items }, now);
}

function refundIfCharged(
  payment: Payment | undefined,
  cause: EventOf<'InventoryFailed' | 'OrderCancelled' | 'RefundPayment'>,
  reason: string,
  now: Date,
): PaymentOutput[] {
  if (payment?.status !== 'completed') return [];
  const { orderId, paymentId, amountCents } = payment;
  return [eventCausedBy(cause, 'PaymentRefunded', { orderId, paymentId: paymentId!, amountCents, code: cause.payload.code, reason }, now)];
}

function declinedBecauseCancelled(event: EventOf<'OrderCancelled' | 'RefundPayment'>, now: Date): PaymentOutput {
  const { orderId } = event.payload;
  const reason = 'order cancelled before payment';
  return eventCausedBy(event, 'PaymentFailed', { orderId, amountCents: 0, code: FAILURE_CODES.ORDER_CANCELLED, reason }, now);
}
