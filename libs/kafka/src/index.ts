export * from './events.types.js';
export * from './topics.js';
export * from './envelope.js';
export * from './kafka-options.js';
export * from './ensure-topics.js';
export * from './kafka-runtime.js';
export * from './outbox-relay.js';
export * from './event-consumer.js';
