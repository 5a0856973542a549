import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { EnvelopeSchema, PAYLOAD_SCHEMAS } from './event-schemas.js';
import type { EventOf, EventType } from './events.js';

/** Why a consumed message was rejected; the consumer sends it to the dead-letter topic. */
export class InvalidEventError extends Error {
  override readonly name = 'InvalidEventError';
}

/**
 * Checks a consumed value (the message's bytes as read from Kafka, or an already
 * parsed object) against the envelope and the payload schema of the expected types.
 * Throws InvalidEventError with every problem found, so the dead letter says it all.
 */
export function parseEvent<T extends EventType>(value: unknown, expected: readonly T[]): EventOf<T> {
  const raw = Buffer.isBuffer(value) || typeof value === 'string' ? jsonOf(value) : value;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
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
  const payload = plainToInstance(PAYLOAD_SCHEMAS[envelope.type] as new () => object, envelope.payload);
  assertValid(payload, 'payload');
  if ((payload as { orderId: string }).orderId !== envelope.correlationId) {
    throw new InvalidEventError('correlationId must equal payload.orderId');
  }
  return { ...raw, payload } as EventOf<T>;
}

function jsonOf(bytes: Buffer | string): unknown {
  try {
    return JSON.parse(bytes.toString());
  } catch {
    throw new InvalidEventError('message value is not a JSON object (not JSON at all)');
  }
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
