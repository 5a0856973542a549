/**
 * The orchestrated saga (SAGA_MODE=orchestrated), top to bottom in one file: order-service
 * owns each order's saga as a state machine stored with the order (`sagaStep`), sends each
 * participant a command on its command topic and reacts to the participant's reply, which
 * is the same event the choreographed saga publishes. Pure functions: no Kafka, no Nest.
 *
 *     POST /orders ──▶ charging ──PaymentCompleted──▶ reserving ──InventoryReserved──▶ completed
 *     (ChargePayment)     │        (ReserveStock)        │                            (OrderCompleted)
 *                   PaymentFailed                  InventoryFailed
 *                         ▼                              ▼
 *                    cancelled                      cancelled
 *                 (OrderCancelled)      (RefundPayment, then OrderCancelled)
 *
 *     saga timeout:  charging  ──▶ cancelled (RefundPayment, then OrderCancelled)
 *                    reserving ──▶ cancelled (ReleaseStock, RefundPayment, then OrderCancelled)
 *
 * The **pivot** is the stock reservation: once InventoryReserved arrives the order completes,
 * and nothing after it can fail. Before it, every step that succeeded has its compensation,
 * listed last step first and committed in one transaction with the cancellation. Each goes to
 * a different participant on its own topic, so they are applied in either order: none needs
 * another done first. A compensation is a command too (RefundPayment, ReleaseStock): the
 * participant refunds or releases if it charged or reserved, and otherwise records that it
 * must not do so later (a command can overtake another on its way).
 *
 * An order placed before the system was switched to this mode has no step (null): the
 * orchestrator adopts it from the reply it gets, and on a timeout compensates both steps.
 *
 * Where the choreographed saga spreads these decisions over three services (payment reacts to
 * OrderCreated, inventory to PaymentCompleted, both to OrderCancelled), here they are all below.
 */
import { eventCausedBy, FAILURE_CODES, createEvent, type EventOf } from '#contracts';
import { assertNever, type Decider } from '#domain';
import {
  cancellation,
  orderDecider,
  type Order,
  type OrderContext,
  type OrderInput,
  type OrderOutput,
  type SagaStep,
} from './order.domain.js';

/** Which step each command starts. */
const STEP_OF: Partial<Record<OrderOutput['type'], SagaStep>> = { ChargePayment: 'charging', ReserveStock: 'reserving' };

export const orchestratorDecider: Decider<Order, OrderInput, OrderOutput, OrderContext> = {
  /** Only a pending order's saga moves; a reply to a finished one changes nothing (its compensation is already sent). */
  decide(order, reply, { now }) {
    if (order.status !== 'pending') return [];
    switch (reply.type) {
      case 'PaymentCompleted':
        if (order.sagaStep !== 'charging' && order.sagaStep !== null) return [];
        return [eventCausedBy(reply, 'ReserveStock', { orderId: order.id, items: order.items }, now)];
      case 'PaymentFailed':
        return [cancellation(reply, reply.payload.code, `payment failed: ${reply.payload.reason}`, now)];
      case 'InventoryReserved':
        if (order.sagaStep !== 'reserving' && order.sagaStep !== null) return [];
        return [eventCausedBy(reply, 'OrderCompleted', { orderId: order.id, totalCents: order.totalCents }, now)];
      case 'InventoryFailed': {
        const reason = `inventory failed: ${reply.payload.reason}`;
        return [
          eventCausedBy(reply, 'RefundPayment', { orderId: order.id, code: reply.payload.code, reason }, now),
          cancellation(reply, reply.payload.code, `${reason}; payment refunded`, now),
        ];
      }
      case 'PaymentRefunded':
        return []; // the answer to a compensation: the order was cancelled when it was sent
      default:
        return assertNever(reply);
    }
  },

  /** The order's status as in the choreographed saga, and the step each command starts. */
  evolve(order, event) {
    const step = STEP_OF[event.type as OrderOutput['type']];
    return step ? { ...order, sagaStep: step } : orderDecider.evolve(order, event);
  },
};

/** The saga's first command, sent with OrderCreated in the transaction that places the order. */
export function startSaga(order: Order, created: EventOf<'OrderCreated'>, now: Date): { order: Order; command: EventOf<'ChargePayment'> } {
  const command = eventCausedBy(created, 'ChargePayment', created.payload, now);
  return { order: orchestratorDecider.evolve(order, command), command };
}

/**
 * A pending saga older than the timeout is cancelled here, by the orchestrator: the
 * compensations of the steps it may have reached, last step first, then OrderCancelled.
 */
export function orchestrateTimeout(order: Order, { now, sagaTimeoutMs }: OrderContext): OrderOutput[] {
  if (order.status !== 'pending') return [];
  if (now.getTime() - Date.parse(order.createdAt) < sagaTimeoutMs) return [];
  const meta = { correlationId: order.id, causationId: null, occurredAt: now };
  const failure = { orderId: order.id, code: FAILURE_CODES.SAGA_TIMEOUT, reason: `no outcome within ${sagaTimeoutMs} ms` };
  // Charging: nothing was reserved. Reserving, or adopted without a step: release whatever may be held.
  return [
    ...(order.sagaStep !== 'charging' ? [createEvent('ReleaseStock', failure, meta)] : []),
    createEvent('RefundPayment', failure, meta),
    createEvent('OrderCancelled', failure, meta),
  ];
}
