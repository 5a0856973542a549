import { IsInt, Max, Min } from 'class-validator';
import { ServiceConfig } from '#common';

export class AnalyticsServiceConfig extends ServiceConfig {
  override PORT = 3005;

  /** How often the console report is printed. */
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  REPORT_INTERVAL_MS: number = 10_000;
}
