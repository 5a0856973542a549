export * from './database.js';
export * from './unit-of-work.js';
export * from './config.js';
export * from './health.controller.js';
export * from './messaging.module.js';
export * from './bootstrap.js';
export * from './money.js';
export * from './simulation.js';
