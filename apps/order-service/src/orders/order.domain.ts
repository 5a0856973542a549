/**
 * The order's part of the choreographed saga as a decider: pure functions, no Kafka, no
 * Nest, no database. An order is created pending; the first outcome it hears of finishes
 * it. (The orchestrated saga's decider, which also sends the participants their commands,
 * is saga-orchestrator.ts.)
 */
import { createEvent, eventCausedBy, FAILURE_CODES, type CommandType, type EventOf, type OrderItem } from '#contracts';
import { assertNever, type Decider } from '#domain';

export type OrderStatus = 'pending' | 'completed' | 'cancelled';
export const ORDER_STATUSES: readonly OrderStatus[] = ['pending', 'completed', 'cancelled'];

/** Where an orchestrated saga stands (SAGA_MODE=orchestrated; see saga-orchestrator.ts). */
export type SagaStep = 'charging' | 'reserving' | 'completed' | 'cancelled';
export const SAGA_STEPS: readonly SagaStep[] = ['charging', 'reserving', 'completed', 'cancelled'];

export interface Order {
  readonly id: string;
  readonly userId: string;
  readonly items: readonly OrderItem[];
  readonly totalCents: number;
  readonly status: OrderStatus;
  readonly cancellationCode: string | null;
  readonly cancellationReason: string | null;
  /** The orchestrated saga's step; null when the saga is choreographed. */
  readonly sagaStep: SagaStep | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** The events the order service reacts to. */
export const ORDER_REACTS_TO = ['PaymentCompleted', 'PaymentFailed', 'PaymentRefunded', 'InventoryReserved', 'InventoryFailed'] as const;
export type OrderInput = EventOf<(typeof ORDER_REACTS_TO)[number]>;
/** What it emits once the order exists: the saga's end, and (orchestrated) the participants' commands. */
export type OrderOutput = EventOf<'OrderCompleted' | 'OrderCancelled' | CommandType>;

export interface OrderContext {
  readonly now: Date;
  readonly sagaTimeoutMs: number;
}

export const orderDecider: Decider<Order, OrderInput, OrderOutput, OrderContext> = {
  /** Only a pending order reacts; a finished one has nothing left to decide. */
  decide(order, event, { now }) {
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
  },

  evolve(order, event) {
    const updatedAt = event.occurredAt;
    switch (event.type) {
      case 'OrderCompleted':
        return { ...order, status: 'completed', sagaStep: order.sagaStep && 'completed', updatedAt };
      case 'OrderCancelled':
        return {
          ...order,
          status: 'cancelled',
          sagaStep: order.sagaStep && 'cancelled',
          cancellationCode: event.payload.code,
          cancellationReason: event.payload.reason,
          updatedAt,
        };
      default:
        // The consumed events change the order only through the outcomes decided on them.
        return order;
    }
  },
};

export function totalOf(items: readonly OrderItem[]): number {
  return items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0);
}

/** A new pending order and the OrderCreated event that starts its saga. */
export function placeOrder(
  id: string,
  userId: string,
  items: readonly OrderItem[],
  now: Date,
): { order: Order; created: EventOf<'OrderCreated'> } {
  const at = now.toISOString();
  const order: Order = {
    id,
    userId,
    items,
    totalCents: totalOf(items),
    status: 'pending',
    cancellationCode: null,
    cancellationReason: null,
    sagaStep: null,
    createdAt: at,
    updatedAt: at,
  };
  const created = createEvent(
    'OrderCreated',
    { orderId: id, userId, items, totalCents: order.totalCents },
    { correlationId: id, causationId: null, occurredAt: now },
  );
  return { order, created };
}

/** A pending order older than the saga timeout is cancelled; its participants compensate. */
export function decideTimeout(order: Order, { now, sagaTimeoutMs }: OrderContext): OrderOutput[] {
  if (order.status !== 'pending') return [];
  if (now.getTime() - Date.parse(order.createdAt) < sagaTimeoutMs) return [];
  const cancelled = createEvent(
    'OrderCancelled',
    { orderId: order.id, code: FAILURE_CODES.SAGA_TIMEOUT, reason: `no outcome within ${sagaTimeoutMs} ms` },
    { correlationId: order.id, causationId: null, occurredAt: now },
  );
  return [cancelled];
}

export function cancellation(cause: OrderInput, code: string, reason: string, now: Date): EventOf<'OrderCancelled'> {
  return eventCausedBy(cause, 'OrderCancelled', { orderId: cause.correlationId, code, reason }, now);
}
