import { startTracing } from '#service/tracing';

// Tracing first: the app's modules are loaded after it, so that its instrumentation sees them.
await startTracing('analytics-service');
const { runService } = await import('#service');
const { analyticsService } = await import('./analytics-service.definition.js');
await runService(analyticsService);
