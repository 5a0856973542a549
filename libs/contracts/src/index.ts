// The event contract: what every service may know of the others. No Nest, no kafkajs, no database.
export * from './events.js';
export * from './failure-codes.js';
export * from './topics.js';
export * from './envelope.js';
export * from './parse-event.js';
