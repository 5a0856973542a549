import { EVENT_TYPES } from '#contracts';
import { defineService } from '#service';
import { AnalyticsServiceConfig } from './analytics-service.config.js';
import { AnalyticsController } from './analytics/analytics.controller.js';
import { ANALYTICS_MIGRATIONS } from './analytics/analytics.migrations.js';
import { AnalyticsRepository } from './analytics/analytics.repository.js';
import { AnalyticsService } from './analytics/analytics.service.js';
import { ConsoleReporter } from './analytics/console-reporter.js';
import { DashboardController } from './dashboard/dashboard.controller.js';

/**
 * Reads every saga topic in its own consumer group (pub/sub) and keeps windowed
 * aggregates. It emits nothing, so it has no outbox; it is exactly-once by the
 * offsets its snapshots cover, so it has no inbox either.
 */
export const analyticsService = defineService({
  name: 'analytics-service',
  summary:
    'Reads every saga topic in its own consumer group and keeps windowed aggregates by event time: GET /analytics, the live stream and the dashboard.',
  port: 3005,
  config: AnalyticsServiceConfig,
  migrations: ANALYTICS_MIGRATIONS,
  reactions: { to: EVENT_TYPES, by: AnalyticsService },
  delivery: 'own-offsets',
  controllers: [AnalyticsController, DashboardController],
  providers: [AnalyticsRepository, AnalyticsService, ConsoleReporter],
});
