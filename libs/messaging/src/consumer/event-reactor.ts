import type { EventOf, EventType } from '#contracts';

/** Where a consumed message was read: what a consumer that tracks offsets itself keeps. */
export interface MessagePosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/**
 * What a service does with the events it consumes. Each event type travels on its
 * own topic, so the consumer knows the type from the topic and hands over an event
 * already checked against that type's schema.
 */
export interface EventReactor<T extends EventType = EventType> {
  /** Resolves to false if the event had been applied before and nothing changed (a duplicate); otherwise it was applied. */
  react(event: EventOf<T>, position: MessagePosition): void | boolean | Promise<void | boolean>;
  /**
   * Called when a message is done with: applied, skipped, or dead-lettered. Not when
   * it failed for a reason of the service's own, since Kafka then delivers it again.
   */
  settled?(position: MessagePosition): void | Promise<void>;
}

/** Injection token of the service's EventReactor. */
export const EVENT_REACTOR = Symbol('EVENT_REACTOR');
