import type { EventOf, EventType } from '#contracts';

/** Where a consumed message was read: what a consumer that tracks offsets itself keeps. */
export interface MessagePosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/** A message of a fetched batch as a folding reactor gets it: its event, or null for one that was dead-lettered. */
export interface FoldedMessage<T extends EventType = EventType> {
  readonly event: EventOf<T> | null;
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
  /**
   * Optional: handles the messages of one fetched batch of one topic-partition at once, in
   * offset order, as `react` then `settled` would one by one. Analytics folds them into its
   * state in memory; a saga participant applies them in one transaction. Resolves to whether
   * each was applied (false for a duplicate or a dead-lettered message). The consumer uses
   * it while nothing asks for each event's own trace span or debug line; when it fails, the
   * consumer handles the same messages one by one, so an event folded before the failure
   * must count as settled (`react` then finds it applied before).
   */
  fold?(topic: string, partition: number, messages: readonly FoldedMessage<T>[]): Promise<boolean[]>;
}

/** Injection token of the service's EventReactor. */
export const EVENT_REACTOR = Symbol('EVENT_REACTOR');
