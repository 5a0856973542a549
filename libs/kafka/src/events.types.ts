import 'reflect-metadata';
/**
 * The saga's public contract: topic names, consumer groups and every event type.
 *
 * Each event type travels on exactly one topic, always keyed by the order id, so
 * all events of one order land on one partition per topic and are applied in order.
 * Amounts are integer cents: money is never a float inside the system.
 *
 * The payload classes double as runtime schemas (class-validator): every consumed
 * event is checked against them before any handler logic runs (see envelope.ts).
 */
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  IsNotEmpty,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';

export const TOPICS = {
  ORDER_CREATED: 'order.created',
  PAYMENT_COMPLETED: 'payment.completed',
  PAYMENT_FAILED: 'payment.failed',
  PAYMENT_REFUNDED: 'payment.refunded',
  INVENTORY_RESERVED: 'inventory.reserved',
  INVENTORY_FAILED: 'inventory.failed',
  INVENTORY_RELEASED: 'inventory.released',
  ORDER_CANCELLED: 'order.cancelled',
  ORDER_COMPLETED: 'order.completed',
  /** Messages a consumer could not process, with the reason in the headers. */
  DEAD_LETTER: 'saga.dead-letter',
} as const;
export type TopicKey = keyof typeof TOPICS;

/** One group per service: a shared group would split topics between services (silent loss). */
export const CONSUMER_GROUPS = {
  ORDER_SERVICE: 'order-service',
  PAYMENT_SERVICE: 'payment-service',
  INVENTORY_SERVICE: 'inventory-service',
  ANALYTICS_SERVICE: 'analytics-service',
} as const;
export type ConsumerGroupKey = keyof typeof CONSUMER_GROUPS;

/** Stable, machine-readable reasons. The human text travels beside them. */
export const FAILURE_CODES = {
  PAYMENT_DECLINED: 'PAYMENT.DECLINED',
  ORDER_CANCELLED: 'ORDER.CANCELLED',
  INVENTORY_SIMULATED_FAILURE: 'INVENTORY.SIMULATED_FAILURE',
  INVENTORY_INSUFFICIENT_STOCK: 'INVENTORY.INSUFFICIENT_STOCK',
  INVENTORY_UNKNOWN_PRODUCT: 'INVENTORY.UNKNOWN_PRODUCT',
  SAGA_TIMEOUT: 'SAGA.TIMEOUT',
} as const;
export type FailureCode = (typeof FAILURE_CODES)[keyof typeof FAILURE_CODES];

// ---------------------------------------------------------------- payloads

export class OrderItem {
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'productId must be 1-64 letters, digits, "-" or "_"' })
  readonly productId: string;

  @IsInt()
  @Min(1)
  readonly quantity: number;

  @IsInt()
  @Min(1)
  readonly unitPriceCents: number;
}

abstract class OrderPayload {
  @IsUUID()
  readonly orderId: string;
}

abstract class OrderItemsPayload extends OrderPayload {
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => OrderItem)
  readonly items: readonly OrderItem[];
}

abstract class FailurePayload extends OrderPayload {
  @IsString()
  @IsNotEmpty()
  readonly code: string;

  @IsString()
  @MaxLength(500)
  readonly reason: string;
}

export class OrderCreatedPayload extends OrderItemsPayload {
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  readonly userId: string;

  @IsInt()
  @Min(1)
  readonly totalCents: number;
}

export class PaymentCompletedPayload extends OrderItemsPayload {
  @IsUUID()
  readonly paymentId: string;

  @IsInt()
  @Min(1)
  readonly amountCents: number;
}

export class PaymentFailedPayload extends FailurePayload {
  @IsInt()
  @Min(0)
  readonly amountCents: number;
}

export class PaymentRefundedPayload extends FailurePayload {
  @IsUUID()
  readonly paymentId: string;

  @IsInt()
  @Min(1)
  readonly amountCents: number;
}

export class InventoryReservedPayload extends OrderItemsPayload {}

export class InventoryFailedPayload extends FailurePayload {}

/** Stock held for an order went back on the shelf (the order was cancelled). */
export class InventoryReleasedPayload extends OrderItemsPayload {}

export class OrderCancelledPayload extends FailurePayload {}

export class OrderCompletedPayload extends OrderPayload {
  @IsInt()
  @Min(1)
  readonly totalCents: number;
}

// ---------------------------------------------------------------- event registry

/** Each event type: its topic and its payload schema. The single source for both. */
export const EVENT_DEFINITIONS = {
  OrderCreated: { topic: 'ORDER_CREATED', payload: OrderCreatedPayload },
  PaymentCompleted: { topic: 'PAYMENT_COMPLETED', payload: PaymentCompletedPayload },
  PaymentFailed: { topic: 'PAYMENT_FAILED', payload: PaymentFailedPayload },
  PaymentRefunded: { topic: 'PAYMENT_REFUNDED', payload: PaymentRefundedPayload },
  InventoryReserved: { topic: 'INVENTORY_RESERVED', payload: InventoryReservedPayload },
  InventoryFailed: { topic: 'INVENTORY_FAILED', payload: InventoryFailedPayload },
  InventoryReleased: { topic: 'INVENTORY_RELEASED', payload: InventoryReleasedPayload },
  OrderCancelled: { topic: 'ORDER_CANCELLED', payload: OrderCancelledPayload },
  OrderCompleted: { topic: 'ORDER_COMPLETED', payload: OrderCompletedPayload },
} as const satisfies Record<string, { topic: TopicKey; payload: new () => OrderPayload }>;

export type EventType = keyof typeof EVENT_DEFINITIONS;
export const EVENT_TYPES = Object.keys(EVENT_DEFINITIONS) as EventType[];
export type PayloadOf<T extends EventType> = InstanceType<(typeof EVENT_DEFINITIONS)[T]['payload']>;

/** Current schema version of every event. Older versions would be upcast at the boundary. */
export const EVENT_VERSION = 1;

/**
 * The one envelope every message carries. `correlationId` is the order id (also the
 * Kafka key); `causationId` is the id of the event that caused this one (null for
 * OrderCreated, which an HTTP request caused).
 */
export interface EventEnvelope<T extends EventType = EventType> {
  readonly eventId: string;
  readonly type: T;
  readonly version: number;
  readonly occurredAt: string;
  readonly correlationId: string;
  readonly causationId: string | null;
  readonly payload: Readonly<PayloadOf<T>>;
}

export type OrderCreatedEvent = EventEnvelope<'OrderCreated'>;
export type PaymentCompletedEvent = EventEnvelope<'PaymentCompleted'>;
export type PaymentFailedEvent = EventEnvelope<'PaymentFailed'>;
export type PaymentRefundedEvent = EventEnvelope<'PaymentRefunded'>;
export type InventoryReservedEvent = EventEnvelope<'InventoryReserved'>;
export type InventoryFailedEvent = EventEnvelope<'InventoryFailed'>;
export type InventoryReleasedEvent = EventEnvelope<'InventoryReleased'>;
export type OrderCancelledEvent = EventEnvelope<'OrderCancelled'>;
export type OrderCompletedEvent = EventEnvelope<'OrderCompleted'>;

/** Discriminated union of every saga event: `switch (event.type)` narrows the payload. */
export type SagaEvent = { [T in EventType]: EventEnvelope<T> }[EventType];

/** The event (or union of events) of the given type(s). */
export type EventOf<T extends EventType> = Extract<SagaEvent, { type: T }>;
