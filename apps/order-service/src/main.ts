import { startTracing } from '#service/tracing';

// Tracing first: the app's modules are loaded after it, so that its instrumentation sees them.
await startTracing('order-service');
const { runService } = await import('#service');
const { orderService } = await import('./order-service.definition.js');
await runService(orderService);
