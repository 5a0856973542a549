import { startTracing } from '#service/tracing';

// Tracing first: the app's modules are loaded after it, so that its instrumentation sees them.
await startTracing('inventory-service');
const { runService } = await import('#service');
const { inventoryService } = await import('./inventory-service.definition.js');
await runService(inventoryService);
