import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { AnalyticsServiceConfig } from '../analytics-service.config.js';
import { formatReport } from './analytics.domain.js';
import { AnalyticsService } from './analytics.service.js';

/** Prints the report every REPORT_INTERVAL_MS (10 s by default). */
@Injectable()
export class ConsoleReporter implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('StreamingAnalytics');
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly analytics: AnalyticsService,
    private readonly config: AnalyticsServiceConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.tick(), this.config.REPORT_INTERVAL_MS);
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private tick(): void {
    this.logger.log(`\n${formatReport(this.analytics.report())}`);
  }
}
