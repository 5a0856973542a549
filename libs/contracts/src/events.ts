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

/**
 * The payload of each message type: the saga's events (facts, in both modes) and the
 * orchestrator's commands (requests to one participant, only with SAGA_MODE=orchestrated).
 */
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
  /** Command: charge the order (payment-service replies PaymentCompleted or PaymentFailed). */
  readonly ChargePayment: OrderItemsPayload & { readonly userId: string; readonly totalCents: number };
  /** Command: refund the order's charge if there is one, and take none afterwards (replies PaymentRefunded, or PaymentFailed if none was taken). */
  readonly RefundPayment: FailurePayload;
  /** Command: reserve the order's items (inventory-service replies InventoryReserved or InventoryFailed). */
  readonly ReserveStock: OrderItemsPayload;
  /** Command: put the order's reservation back on the shelf if there is one, and reserve none afterwards (replies InventoryReleased). */
  readonly ReleaseStock: FailurePayload;
}

export type EventType = keyof EventPayloads;
export type PayloadOf<T extends EventType> = EventPayloads[T];

/** The facts: what happened, published in both modes; analytics reads these. */
export const EVENT_TYPES: readonly FactType[] = [
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

/** The orchestrator's commands (SAGA_MODE=orchestrated). */
export const COMMAND_TYPES = ['ChargePayment', 'RefundPayment', 'ReserveStock', 'ReleaseStock'] as const satisfies readonly EventType[];
export type CommandType = (typeof COMMAND_TYPES)[number];
/** The types of the facts (every message type but the commands). */
export type FactType = Exclude<EventType, CommandType>;

/** Every message type a topic can carry. */
export const MESSAGE_TYPES: readonly EventType[] = [...EVENT_TYPES, ...COMMAND_TYPES];

/**
 * How the saga is coordinated (SAGA_MODE): `choreographed`, each participant reacts to the
 * others' events; `orchestrated`, order-service's orchestrator sends each participant a command
 * and reacts to its reply (apps/order-service/src/orders/saga-orchestrator.ts).
 */
export const SAGA_MODES = ['choreographed', 'orchestrated'] as const;
export type SagaMode = (typeof SAGA_MODES)[number];

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

/** A fact of the saga: any message but an orchestrator's command (what analytics folds). */
export type SagaFact = EventOf<FactType>;
