import { Controller, Get, Sse, type MessageEvent } from '@nestjs/common';
import { asyncScheduler, interval, map, merge, startWith, throttleTime, type Observable } from 'rxjs';
import { AnalyticsService } from './analytics.service.js';

/** At most this many snapshots a second on the stream. */
const STREAM_MIN_GAP_MS = 250;
/** A snapshot at least this often, so sliding windows move on a quiet stream too. */
const STREAM_HEARTBEAT_MS = 5_000;

@Controller('analytics')
export class AnalyticsController {
  constructor(private readonly analytics: AnalyticsService) {}

  @Get()
  get() {
    return this.analytics.currentReport();
  }

  /** Server-sent events: a snapshot on connect, then one each time the figures change. */
  @Sse('stream')
  stream(): Observable<MessageEvent> {
    return merge(this.analytics.changes, interval(STREAM_HEARTBEAT_MS)).pipe(
      throttleTime(STREAM_MIN_GAP_MS, asyncScheduler, { leading: true, trailing: true }),
      startWith(null),
      map(() => ({ data: this.analytics.report() })),
    );
  }
}
