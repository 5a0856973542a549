import { Module, type DynamicModule } from '@nestjs/common';
import { MessagingModule } from '#common';
import { AnalyticsServiceConfig } from './analytics-service.config.js';
import { AnalyticsEventsController } from './analytics/analytics-events.controller.js';
import { AnalyticsController } from './analytics/analytics.controller.js';
import { ANALYTICS_MIGRATIONS } from './analytics/analytics.migrations.js';
import { AnalyticsRepository } from './analytics/analytics.repository.js';
import { AnalyticsService } from './analytics/analytics.service.js';
import { ConsoleReporter } from './analytics/console-reporter.js';
import { DashboardController } from './dashboard/dashboard.controller.js';

@Module({})
export class AnalyticsServiceModule {
  static forRoot(config: AnalyticsServiceConfig): DynamicModule {
    return {
      module: AnalyticsServiceModule,
      imports: [
        MessagingModule.forService({
          service: 'analytics-service',
          dataDir: config.DATA_DIR,
          migrations: ANALYTICS_MIGRATIONS,
        }),
      ],
      controllers: [AnalyticsController, AnalyticsEventsController, DashboardController],
      providers: [{ provide: AnalyticsServiceConfig, useValue: config }, AnalyticsRepository, AnalyticsService, ConsoleReporter],
    };
  }
}
