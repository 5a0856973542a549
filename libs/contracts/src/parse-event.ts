import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { ENVELOPE_SCHEMA, FORMATS, PAYLOAD_SCHEMAS } from './event-schemas.js';
import type { EventOf, EventType } from './events.js';

/** Why a consumed message was rejected; the consumer sends it to the dead-letter topic. */
export class InvalidEventError extends Error {
  override readonly name = 'InvalidEventError';
}

// Compiled once: checking an event is a few microseconds (class-validator took ~50, docs/performance.md).
const ajv = new Ajv({ allErrors: true, verbose: true, formats: FORMATS });
const validEnvelope = ajv.compile(ENVELOPE_SCHEMA);
const validPayload = Object.fromEntries(Object.entries(PAYLOAD_SCHEMAS).map(([type, schema]) => [type, ajv.compile(schema)])) as Record<
  EventType,
  ValidateFunction
>;

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
  if (!validEnvelope(raw)) throw new InvalidEventError(`invalid envelope: ${describe(validEnvelope.errors)}`);
  if (!Number.isFinite(Date.parse(raw.occurredAt))) {
    // A well-formed date-time can still be no date (month 13): event time must be usable.
    throw new InvalidEventError('invalid envelope: occurredAt must be a date-time such as 2026-11-25T10:00:00.000Z');
  }
  if (!(expected as readonly EventType[]).includes(raw.type)) {
    throw new InvalidEventError(`unexpected event type "${raw.type}" (expected ${expected.join(' or ')})`);
  }
  const validate = validPayload[raw.type];
  if (!validate(raw.payload)) throw new InvalidEventError(`invalid payload: ${describe(validate.errors)}`);
  if ((raw.payload as { orderId: string }).orderId !== raw.correlationId) {
    throw new InvalidEventError('correlationId must equal payload.orderId');
  }
  return raw as unknown as EventOf<T>;
}

function jsonOf(bytes: Buffer | string): unknown {
  try {
    return JSON.parse(bytes.toString());
  } catch {
    throw new InvalidEventError('message value is not a JSON object (not JSON at all)');
  }
}

/** At most this many findings in a reason: it travels in a dead letter's header. */
const MAX_FINDINGS = 20;

/** Ajv's findings as sentences that name each field by its path (items.0.quantity), joined by "; ". */
function describe(errors: ErrorObject[] | null | undefined): string {
  const all = errors ?? [];
  const said = all.slice(0, MAX_FINDINGS).map(sentence);
  if (all.length > MAX_FINDINGS) said.push(`and ${all.length - MAX_FINDINGS} more`);
  return said.join('; ');
}

function sentence({ keyword, instancePath, params, parentSchema }: ErrorObject): string {
  // A JSON pointer: "/items/0/quantity", with "~1" for "/" and "~0" for "~" inside a name.
  const path = instancePath.slice(1).replaceAll('/', '.').replaceAll('~1', '/').replaceAll('~0', '~');
  const field = path || 'value';
  const at = (name: string) => (path ? `${path}.${name}` : name);
  switch (keyword) {
    case 'required':
      return `${at(params.missingProperty as string)} is required`;
    case 'additionalProperties':
      return `property ${at(params.additionalProperty as string)} should not exist`;
    case 'type':
      return `${field} must be ${params.type === 'integer' ? 'an integer number' : `a${/^[aeiou]/.test(params.type as string) ? 'n' : ''} ${params.type}`}`;
    case 'format':
      return params.format === 'uuid' ? `${field} must be a UUID` : `${field} must be a date-time such as 2026-11-25T10:00:00.000Z`;
    case 'const':
      return `${field} must be ${JSON.stringify(params.allowedValue)}`;
    case 'enum':
      return `${field} must be one of: ${(params.allowedValues as unknown[]).join(', ')}`;
    case 'minimum':
      return `${field} must not be less than ${params.limit}`;
    case 'minLength':
      return `${field} should not be empty`;
    case 'maxLength':
      return `${field} must be shorter than or equal to ${params.limit} characters`;
    case 'minItems':
      return `${field} must contain at least ${params.limit} elements`;
    case 'maxItems':
      return `${field} must contain no more than ${params.limit} elements`;
    case 'pattern':
      return `${field} must be ${(parentSchema as { description?: string }).description ?? `like ${params.pattern}`}`;
    default:
      return `${field} ${keyword}: ${JSON.stringify(params)}`;
  }
}
