import { CONSUMER_GROUPS, EVENT_DEFINITIONS, TOPICS, type ConsumerGroupKey, type EventType, type TopicKey } from './events.types.js';

/**
 * Topic and group names as this process uses them. `KAFKA_TOPIC_PREFIX` (default
 * empty) namespaces both, so several copies of the system (the e2e tests, a
 * developer's own run) can share one broker without seeing each other's events.
 * Resolved once at start-up because `@EventPattern` needs the names at class load.
 */
const prefix = process.env.KAFKA_TOPIC_PREFIX ?? '';

export const topics = Object.fromEntries(
  Object.entries(TOPICS).map(([key, name]) => [key, `${prefix}${name}`]),
) as { readonly [K in TopicKey]: string };

export const consumerGroups = Object.fromEntries(
  Object.entries(CONSUMER_GROUPS).map(([key, name]) => [key, `${prefix}${name}`]),
) as { readonly [K in ConsumerGroupKey]: string };

export function topicOf(type: EventType): string {
  return topics[EVENT_DEFINITIONS[type].topic];
}

/** The topics that carry saga events (every topic but the dead-letter one). */
export function eventTopics(): string[] {
  return [...new Set(Object.values(EVENT_DEFINITIONS).map(({ topic }) => topics[topic]))];
}

/** Every topic the system uses, as created up front by the broker script and each service. */
export function allTopics(): string[] {
  return Object.values(topics);
}

/** The group id on the broker: Nest's Kafka server appends `-server` to the configured one. */
export function serverGroupId(group: ConsumerGroupKey): string {
  return `${consumerGroups[group]}-server`;
}
