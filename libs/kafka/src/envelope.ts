import { randomUUID } from 'node:crypto';
import { plainToInstance } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsObject, IsOptional, IsString, IsUUID, validateSync, type ValidationError } from 'class-validator';
import { EVENT_DEFINITIONS, EVENT_TYPES, EVENT_VERSION, type EventEnvelope, type EventOf, type EventType, type PayloadOf } from './events.types.js';

/** Why a consumed message was rejected; the consumer sends it to the dead-letter topic. */
export class InvalidEventError extends Error {
  override readonly name = 'InvalidEventError';
}

class EnvelopeSchema {
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

export interface EventMeta {
  readonly correlationId: string;
  readonly causationId: string | null;
  readonly occurredAt?: Date;
}

export function createEvent<T extends EventType>(type: T, payload: PayloadOf<T>, meta: EventMeta): EventEnvelope<T> {
  return {
    eventId: randomUUID(),
    type,
    version: EVENT_VERSION,
    occurredAt: (meta.occurredAt ?? new Date()).toISOString(),
    correlationId: meta.correlationId,
    causationId: meta.causationId,
    payload,
  };
}

/** The event `cause` leads to: same order, caused by `cause`. */
export function eventCausedBy<T extends EventType>(cause: EventEnvelope, type: T, payload: PayloadOf<T>, at?: Date): EventEnvelope<T> {
  return createEvent(type, payload, { correlationId: cause.correlationId, causationId: cause.eventId, occurredAt: at });
}

/**
 * Checks a consumed value (already JSON-parsed, or left a string/Buffer when it was
 * not JSON) against the envelope and the payload schema of the expected types.
 * Throws InvalidEventError with every problem found, so the dead letter says it all.
 */
export function parseEvent<T extends EventType>(raw: unknown, expected: readonly T[]): EventOf<T> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || Buffer.isBuffer(raw)) {
    throw new InvalidEventError('message value is not a JSON object');
  }
  const envelope = plainToInstance(EnvelopeSchema, raw);
  assertValid(envelope, 'envelope');
  if (!Number.isFinite(Date.parse(envelope.occurredAt))) {
    // ISO 8601 allows forms (week and ordinal dates) that Date cannot read: event time must be usable.
    throw new InvalidEventError('invalid envelope: occurredAt must be a date-time such as 2026-11-25T10:00:00.000Z');
  }
  if (!(expected as readonly EventType[]).includes(envelope.type)) {
    throw new InvalidEventError(`unexpected event type "${envelope.type}" (expected ${expected.join(' or ')})`);
  }
  const payload = plainToInstance(EVENT_DEFINITIONS[envelope.type].payload as new () => object, envelope.payload);
  assertValid(payload, 'payload');
  if ((payload as { orderId: string }).orderId !== envelope.correlationId) {
    throw new InvalidEventError('correlationId must equal payload.orderId');
  }
  return { ...(raw as object), payload } as EventOf<T>;
}

function assertValid(value: object, where: string): void {
  const errors = validateSync(value, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
  if (errors.length > 0) {
    throw new InvalidEventError(`invalid ${where}: ${describe(errors).join('; ')}`);
  }
}

function describe(errors: ValidationError[], path = ''): string[] {
  return errors.flatMap((error) => {
    const at = path ? `${path}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => message.replace(error.property, at));
    return [...own, ...describe(error.children ?? [], at)];
  });
}
