import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '#common';
import type { SagaEvent } from '#kafka';
import { buildReport, countersFor, MINUTES_REPORTED, orderSecond, type AnalyticsReport } from './analytics.domain.js';
import { AnalyticsRepository } from './analytics.repository.js';

const WINDOW_SECONDS = MINUTES_REPORTED * 60;

@Injectable()
export class AnalyticsService {
  constructor(
    private readonly analytics: AnalyticsRepository,
    private readonly unitOfWork: UnitOfWork,
  ) {}

  /** Folds one event into the aggregates, exactly once even if Kafka redelivers it. */
  apply(event: SagaEvent): void {
    this.unitOfWork.applyOnce(event, () => {
      this.analytics.increment(countersFor(event));
      const second = orderSecond(event);
      if (second !== null) this.analytics.countOrderAt(second);
    });
  }

  report(now = new Date()): AnalyticsReport {
    const windowStart = Math.floor(now.getTime() / 1000) - WINDOW_SECONDS;
    return buildReport(this.analytics.counters(), this.analytics.ordersBySecondSince(windowStart), now);
  }

  pruneWindows(now = new Date()): void {
    this.analytics.pruneBefore(Math.floor(now.getTime() / 1000) - WINDOW_SECONDS - 60);
  }
}
