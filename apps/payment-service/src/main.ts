import { startTracing } from '#service/tracing';

// Tracing first: the app's modules are loaded after it, so that its instrumentation sees them.
await startTracing('payment-service');
const { runService } = await import('#service');
const { paymentService } = await import('./payment-service.definition.js');
await runService(paymentService);
