/**
 * The saga's public contract: every event type, its payload, and the envelope that
 * carries it. Plain types only: the runtime schemas are in event-schemas.ts, the
 * topic of each type in topics.ts.
 *
 * Every event is keyed by its order id (`correlationId`), so all events of one order
 * land on one partition per topic and are applied in order. Amounts are integer
 * cents: money is never a float inside the system.
 */

export interface OrderItem {
  readonly productId: string;
  readonly quantity: number;
  readonly unitPriceCents: number;
}

interface OrderPayload {
  readonly orderId: string;
}

interface OrderItemsPayload extends OrderPayload {
  readonly items: readonly OrderItem[];
}

/** A business failure: a stable code (see FAILURE_CODES) and a human reason. */
interface FailurePayload extends OrderPayload {
  readonly code: string;
  readonly reason: string;
}

/** The payload of each event type. */
export interface EventPayloads {
  readonly OrderCreated: OrderItemsPayload & { readonly userId: string; readonly totalCents: number };
  readonly PaymentCompleted: OrderItemsPayload & { readonly paymentId: string; readonly amountCents: number };
  readonly PaymentFailed: FailurePayload & { readonly amountCents: number };
  readonly PaymentRefunded: FailurePayload & { readonly paymentId: string; readonly amountCents: number };
  readonly InventoryReserved: OrderItemsPayload;
  readonly InventoryFailed: FailurePayload;
  /** Stock held for an order went back on the shelf (the order was cancelled). */
  readonly InventoryReleased: OrderItemsPayload;
  readonly OrderCancelled: FailurePayload;
  readonly OrderCompleted: OrderPayload & { readonly totalCents: number };
}

export type EventType = keyof EventPayloads;
export type PayloadOf<T extends EventType> = EventPayloads[T];

export const EVENT_TYPES: readonly EventType[] = [
  'OrderCreated',
  'PaymentCompleted',
  'PaymentFailed',
  'PaymentRefunded',
  'InventoryReserved',
  'InventoryFailed',
  'InventoryReleased',
  'OrderCancelled',
  'OrderCompleted',
];

/** Current schema version of every event. Older versions would be upcast at the boundary. */
export const EVENT_VERSION = 1;

/**
 * The one envelope every message carries. `correlationId` is the order id (also the
 * Kafka key); `causationId` is the id of the event that caused this one (null for
 * OrderCreated, which an HTTP request caused, and for a saga timeout).
 */
export interface EventEnvelope<T extends EventType = EventType> {
  readonly eventId: string;
  readonly type: T;
  readonly version: number;
  readonly occurredAt: string;
  readonly correlationId: string;
  readonly causationId: string | null;
  readonly payload: PayloadOf<T>;
}

/** Discriminated union of every saga event: `switch (event.type)` narrows the payload. */
export type SagaEvent = { [T in EventType]: EventEnvelope<T> }[EventType];

/** The event (or union of events) of the given type(s). */
export type EventOf<T extends EventType> = Extract<SagaEvent, { type: T }>;
