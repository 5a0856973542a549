import { randomUUID } from 'node:crypto';
import { createEvent, eventCausedBy } from '../envelope.js';
import type { EventOf, EventType, OrderItem, PayloadOf } from '../events.js';

/** Builders for unit tests: a saga's events as the services would emit them. */
export const ITEMS: OrderItem[] = [
  { productId: 'prod-1', quantity: 2, unitPriceCents: 2500 },
  { productId: 'prod-2', quantity: 1, unitPriceCents: 1000 },
];

export function orderCreated(orderId: string = randomUUID(), items: readonly OrderItem[] = ITEMS): EventOf<'OrderCreated'> {
  const totalCents = items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0);
  return createEvent('OrderCreated', { orderId, userId: 'user-123', items, totalCents }, { correlationId: orderId, causationId: null });
}

/** The event `cause` leads to, for the same order. */
export function next<T extends EventType>(cause: EventOf<EventType>, type: T, payload: Omit<PayloadOf<T>, 'orderId'>): EventOf<T> {
  return eventCausedBy(cause, type, { ...payload, orderId: cause.correlationId } as PayloadOf<T>) as unknown as EventOf<T>;
}
