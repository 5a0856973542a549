// Plumbing between a service and Kafka: the runtime, the consumer path, the outbox, the inbox, the unit of work.
export * from './kafka/kafka-connection.js';
export * from './kafka/kafka-options.js';
export * from './kafka/co-partitioned-assigner.js';
export * from './kafka/kafka-runtime.js';
export * from './kafka/ensure-topics.js';
export * from './kafka/group-admin.js';
export * from './kafka/topic-retention.js';
export * from './consumer/event-reactor.js';
export * from './consumer/event-consumer.js';
export * from './consumer/events-controller.js';
export * from './outbox/outbox-relay.js';
export * from './outbox/outbox-store.js';
export * from './inbox/inbox.js';
export * from './inbox/inbox-pruner.js';
export * from './unit-of-work.js';
export * from './saga-participant.js';
export * from './transactional-messaging.js';
