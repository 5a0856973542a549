import 'reflect-metadata';
/**
 * Runtime schemas of the contract (class-validator): every consumed event is
 * checked against them before any handler logic runs (see parse-event.ts). Each
 * class implements the payload type it checks, so the two cannot drift apart.
 */
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsISO8601,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { EVENT_TYPES, EVENT_VERSION, type EventType, type OrderItem, type PayloadOf } from './events.js';

export class EnvelopeSchema {
  @IsUUID()
  eventId: string;

  @IsIn(EVENT_TYPES)
  type: EventType;

  @IsInt()
  @IsIn([EVENT_VERSION], { message: `version must be ${EVENT_VERSION}` })
  version: number;

  @IsISO8601({ strict: true })
  occurredAt: string;

  @IsUUID()
  correlationId: string;

  @IsOptional()
  @IsUUID()
  causationId: string | null;

  @IsObject()
  payload: object;
}

class OrderItemSchema implements OrderItem {
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

abstract class OrderSchema {
  @IsUUID()
  readonly orderId: string;
}

abstract class OrderItemsSchema extends OrderSchema {
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => OrderItemSchema)
  readonly items: readonly OrderItem[];
}

abstract class FailureSchema extends OrderSchema {
  @IsString()
  @IsNotEmpty()
  readonly code: string;

  @IsString()
  @MaxLength(500)
  readonly reason: string;
}

class OrderCreatedSchema extends OrderItemsSchema implements PayloadOf<'OrderCreated'> {
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  readonly userId: string;

  @IsInt()
  @Min(1)
  readonly totalCents: number;
}

class PaymentCompletedSchema extends OrderItemsSchema implements PayloadOf<'PaymentCompleted'> {
  @IsUUID()
  readonly paymentId: string;

  @IsInt()
  @Min(1)
  readonly amountCents: number;
}

class PaymentFailedSchema extends FailureSchema implements PayloadOf<'PaymentFailed'> {
  @IsInt()
  @Min(0)
  readonly amountCents: number;
}

class PaymentRefundedSchema extends FailureSchema implements PayloadOf<'PaymentRefunded'> {
  @IsUUID()
  readonly paymentId: string;

  @IsInt()
  @Min(1)
  readonly amountCents: number;
}

class OrderCompletedSchema extends OrderSchema implements PayloadOf<'OrderCompleted'> {
  @IsInt()
  @Min(1)
  readonly totalCents: number;
}

class InventoryReservedSchema extends OrderItemsSchema implements PayloadOf<'InventoryReserved'> {}
class InventoryReleasedSchema extends OrderItemsSchema implements PayloadOf<'InventoryReleased'> {}
class InventoryFailedSchema extends FailureSchema implements PayloadOf<'InventoryFailed'> {}
class OrderCancelledSchema extends FailureSchema implements PayloadOf<'OrderCancelled'> {}

/** The payload schema of each event type. */
export const PAYLOAD_SCHEMAS: { readonly [T in EventType]: new () => PayloadOf<T> } = {
  OrderCreated: OrderCreatedSchema,
  PaymentCompleted: PaymentCompletedSchema,
  PaymentFailed: PaymentFailedSchema,
  PaymentRefunded: PaymentRefundedSchema,
  InventoryReserved: InventoryReservedSchema,
  InventoryFailed: InventoryFailedSchema,
  InventoryReleased: InventoryReleasedSchema,
  OrderCancelled: OrderCancelledSchema,
  OrderCompleted: OrderCompletedSchema,
};
