import { runService } from '#common';
import { AnalyticsServiceConfig } from './analytics-service.config.js';
import { AnalyticsServiceModule } from './analytics-service.module.js';

await runService({
  name: 'analytics-service',
  group: 'ANALYTICS_SERVICE',
  config: AnalyticsServiceConfig,
  module: (config) => AnalyticsServiceModule.forRoot(config),
  // The service commits the offsets its snapshots cover (see AnalyticsService).
  autoCommit: false,
});
