/**
 * The order's part of the saga as pure functions: no Kafka, no Nest, no database.
 * `decide(order, event)` says which events the order emits in reaction to a saga
 * event; `evolve(order, event)` applies an emitted event to the order's state.
 */
import {
  createEvent,
  eventCausedBy,
  FAILURE_CODES,
  type InventoryFailedEvent,
  type InventoryReservedEvent,
  type OrderCancelledEvent,
  type OrderCompletedEvent,
  type OrderItem,
  type PaymentCompletedEvent,
  type PaymentFailedEvent,
  type PaymentRefundedEvent,
} from '#kafka';

export type OrderStatus = 'pending' | 'completed' | 'cancelled';
export const ORDER_STATUSES: readonly OrderStatus[] = ['pending', 'completed', 'cancelled'];

export interface Order {
  readonly id: string;
  readonly userId: string;
  readonly items: readonly OrderItem[];
  readonly totalCents: number;
  readonly status: OrderStatus;
  readonly cancellationCode: string | null;
  readonly cancellationReason: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** Saga events the order service listens to. */
export type OrderSagaEvent =
  | PaymentCompletedEvent
  | PaymentFailedEvent
  | PaymentRefundedEvent
  | InventoryReservedEvent
  | InventoryFailedEvent;

/** Events the order service emits after its creation event. */
export type OrderOutcomeEvent = OrderCancelledEvent | OrderCompletedEvent;

export function totalOf(items: readonly OrderItem[]): number {
  return items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0);
}

export function newOrder(id: string, userId: string, items: readonly OrderItem[], now: Date): Order {
  const at = now.toISOString();
  return {
    id,
    userId,
    items,
    totalCents: totalOf(items),
    status: 'pending',
    cancellationCode: null,
    cancellationReason: null,
    createdAt: at,
    updatedAt: at,
  };
}

/** Only a pending order reacts; a finished one has nothing left to decide. */
export function decide(order: Order, event: OrderSagaEvent, now: Date): OrderOutcomeEvent[] {
  if (order.status !== 'pending') return [];
  switch (event.type) {
    case 'PaymentFailed':
      return [cancellation(event, event.payload.code, `payment failed: ${event.payload.reason}`, now)];
    case 'InventoryFailed':
      return [cancellation(event, event.payload.code, `inventory failed: ${event.payload.reason}; payment refunded`, now)];
    case 'InventoryReserved':
      return [eventCausedBy(event, 'OrderCompleted', { orderId: order.id, totalCents: order.totalCents }, now)];
    case 'PaymentCompleted':
    case 'PaymentRefunded':
      return [];
    default:
      return assertNever(event);
  }
}

/** A pending order older than the saga timeout is cancelled; its participants compensate. */
export function decideTimeout(order: Order, now: Date, timeoutMs: number): OrderCancelledEvent | null {
  if (order.status !== 'pending') return null;
  if (now.getTime() - Date.parse(order.createdAt) < timeoutMs) return null;
  return createEvent(
    'OrderCancelled',
    { orderId: order.id, code: FAILURE_CODES.SAGA_TIMEOUT, reason: `no outcome within ${timeoutMs} ms` },
    { correlationId: order.id, causationId: null, occurredAt: now },
  );
}

export function evolve(order: Order, event: OrderOutcomeEvent): Order {
  const updatedAt = event.occurredAt;
  switch (event.type) {
    case 'OrderCompleted':
      return { ...order, status: 'completed', updatedAt };
    case 'OrderCancelled':
      return { ...order, status: 'cancelled', cancellationCode: event.payload.code, cancellationReason: event.payload.reason, updatedAt };
    default:
      return assertNever(event);
  }
}

function cancellation(cause: OrderSagaEvent, code: string, reason: string, now: Date): OrderCancelledEvent {
  return eventCausedBy(cause, 'OrderCancelled', { orderId: cause.correlationId, code, reason }, now);
}

function assertNever(value: never): never {
  throw new Error(`unhandled event ${JSON.stringify(value)}`);
}
