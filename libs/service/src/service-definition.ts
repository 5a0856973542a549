import type { Provider, Type } from '@nestjs/common';
import type { EventType, SagaMode } from '#contracts';
import type { Migrations } from '#database';
import type { EventReactor } from '#messaging';
import type { ServiceConfig } from './config.js';

/**
 * Everything that makes one service, in one place: main.ts runs it, the service
 * module is assembled from it, and the scripts and tests read its name and port.
 */
export interface ServiceDefinition<C extends ServiceConfig = ServiceConfig, T extends EventType = EventType> {
  /** e.g. "order-service": names the logs, the Kafka client and group, and the database file. */
  readonly name: string;
  /** One sentence on what the service does: the description of its API (/docs). */
  readonly summary: string;
  /** Default HTTP port (PORT overrides it). */
  readonly port: number;
  readonly config: new () => C;
  /** The service's own schema in each dialect, oldest first: entry i is version i + 1. */
  readonly migrations: Migrations;
  /**
   * The message types the service consumes (one topic each), the same in both saga modes or
   * per mode (a participant reads events when choreographed, commands when orchestrated), and
   * the provider that reacts to them.
   */
  readonly reactions: { readonly to: readonly T[] | Readonly<Record<SagaMode, readonly T[]>>; readonly by: Type<EventReactor<T>> };
  /**
   * How consumed events become state, exactly once:
   * - 'outbox+inbox': state change, applied-event record and emitted events in one
   *   transaction; Kafka offsets are committed at most 100 ms after the batch that handled
   *   them, and a redelivery is skipped by the inbox (the saga participants).
   * - 'own-offsets': no outbox, no inbox; the service saves its state with the offsets
   *   it covers and commits those offsets itself (analytics).
   */
  readonly delivery: 'outbox+inbox' | 'own-offsets';
  /** HTTP controllers (GET /health is added to every service). */
  readonly controllers: readonly Type[];
  readonly providers: readonly Provider[];
}

/** The message types the service consumes in the given saga mode. */
export function reactsTo<T extends EventType>(
  definition: { readonly reactions: { readonly to: ServiceDefinition<ServiceConfig, T>['reactions']['to'] } },
  mode: SagaMode,
): readonly T[] {
  const { to } = definition.reactions;
  return isPerMode(to) ? to[mode] : to;
}

function isPerMode<T>(to: readonly T[] | Readonly<Record<SagaMode, readonly T[]>>): to is Readonly<Record<SagaMode, readonly T[]>> {
  return !Array.isArray(to);
}

/** Identity function that lets TypeScript check a definition and infer its types. */
export function defineService<C extends ServiceConfig, T extends EventType>(definition: ServiceDefinition<C, T>): ServiceDefinition<C, T> {
  return definition;
}
