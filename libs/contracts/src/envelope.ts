import { randomUUID } from 'node:crypto';
import { EVENT_VERSION, type EventEnvelope, type EventType, type PayloadOf } from './events.js';

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
