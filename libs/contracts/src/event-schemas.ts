/**
 * Runtime schemas of the contract (JSON Schema, compiled by Ajv): every consumed event
 * is checked against them before any handler logic runs (see parse-event.ts). Each
 * schema is typed `JSONSchemaType<the payload type it checks>`, so the compiler refuses
 * a schema that drifts from events.ts. Nothing unknown is accepted, at any level.
 */
import type { JSONSchemaType } from 'ajv';
import { EVENT_VERSION, MESSAGE_TYPES, type EventType, type OrderItem, type PayloadOf } from './events.js';
import { isDateTime, isUuid } from './formats.js';

/** Formats the schemas use (registered by parse-event.ts). */
export const FORMATS = { uuid: isUuid, 'date-time': isDateTime };

/** The envelope as checked: its payload is checked separately, against its type's schema; causationId may be left out. */
interface Envelope {
  eventId: string;
  type: EventType;
  version: number;
  occurredAt: string;
  correlationId: string;
  causationId?: string | null;
  payload: object;
}

const uuid = { type: 'string', format: 'uuid' } as const;
const positiveInt = { type: 'integer', minimum: 1 } as const;

export const ENVELOPE_SCHEMA: JSONSchemaType<Envelope> = {
  type: 'object',
  additionalProperties: false,
  required: ['eventId', 'type', 'version', 'occurredAt', 'correlationId', 'payload'],
  properties: {
    eventId: uuid,
    type: { type: 'string', enum: MESSAGE_TYPES },
    version: { type: 'integer', const: EVENT_VERSION },
    occurredAt: { type: 'string', format: 'date-time' },
    correlationId: uuid,
    causationId: { type: 'string', format: 'uuid', nullable: true },
    payload: { type: 'object' },
  },
};

const ITEM: JSONSchemaType<OrderItem> = {
  type: 'object',
  additionalProperties: false,
  required: ['productId', 'quantity', 'unitPriceCents'],
  properties: {
    productId: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$', description: '1-64 letters, digits, "-" or "_"' },
    quantity: positiveInt,
    unitPriceCents: positiveInt,
  },
};
const items = { type: 'array', minItems: 1, maxItems: 100, items: ITEM } as const;
const code = { type: 'string', minLength: 1 } as const;
const reason = { type: 'string', maxLength: 500 } as const;

/** A business failure and nothing else: the payload of InventoryFailed, OrderCancelled, RefundPayment and ReleaseStock. */
const FAILURE: JSONSchemaType<PayloadOf<'InventoryFailed' | 'OrderCancelled' | 'RefundPayment' | 'ReleaseStock'>> = {
  type: 'object',
  additionalProperties: false,
  required: ['orderId', 'code', 'reason'],
  properties: { orderId: uuid, code, reason },
};
/** The order's items and nothing else: the payload of InventoryReserved, InventoryReleased and ReserveStock. */
const ITEMS_ONLY: JSONSchemaType<PayloadOf<'InventoryReserved' | 'InventoryReleased' | 'ReserveStock'>> = {
  type: 'object',
  additionalProperties: false,
  required: ['orderId', 'items'],
  properties: { orderId: uuid, items },
};

/** The payload schema of each event type. */
const ORDER: JSONSchemaType<PayloadOf<'OrderCreated' | 'ChargePayment'>> = {
  type: 'object',
  additionalProperties: false,
  required: ['orderId', 'userId', 'items', 'totalCents'],
  properties: { orderId: uuid, userId: { type: 'string', minLength: 1, maxLength: 100 }, items, totalCents: positiveInt },
};

export const PAYLOAD_SCHEMAS: { readonly [T in EventType]: JSONSchemaType<PayloadOf<T>> } = {
  OrderCreated: ORDER,
  PaymentCompleted: {
    type: 'object',
    additionalProperties: false,
    required: ['orderId', 'items', 'paymentId', 'amountCents'],
    properties: { orderId: uuid, items, paymentId: uuid, amountCents: positiveInt },
  },
  PaymentFailed: {
    type: 'object',
    additionalProperties: false,
    required: ['orderId', 'code', 'reason', 'amountCents'],
    properties: { orderId: uuid, code, reason, amountCents: { type: 'integer', minimum: 0 } },
  },
  PaymentRefunded: {
    type: 'object',
    additionalProperties: false,
    required: ['orderId', 'code', 'reason', 'paymentId', 'amountCents'],
    properties: { orderId: uuid, code, reason, paymentId: uuid, amountCents: positiveInt },
  },
  InventoryReserved: ITEMS_ONLY,
  InventoryFailed: FAILURE,
  InventoryReleased: ITEMS_ONLY,
  OrderCancelled: FAILURE,
  OrderCompleted: {
    type: 'object',
    additionalProperties: false,
    required: ['orderId', 'totalCents'],
    properties: { orderId: uuid, totalCents: positiveInt },
  },
  ChargePayment: ORDER,
  RefundPayment: FAILURE,
  ReserveStock: ITEMS_ONLY,
  ReleaseStock: FAILURE,
};
