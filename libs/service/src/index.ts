// What every service is made of: its definition, configuration, database, health, and start-up.
export * from './service-definition.js';
export * from './config.js';
export * from './health.controller.js';
export * from './drain.js';
export * from './service.module.js';
export * from './bootstrap.js';
export * from './openapi.js';
