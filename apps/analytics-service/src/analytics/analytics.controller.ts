import { Controller, Get, Sse, type MessageEvent } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { asyncScheduler, interval, map, merge, startWith, throttleTime, type Observable } from 'rxjs';
import { AnalyticsService, type AnalyticsReport } from './analytics.service.js';
import { AnalyticsReportView } from './analytics.view.js';

/** At most this many snapshots a second on the stream. */
const STREAM_MIN_GAP_MS = 250;
/** A snapshot at least this often, so sliding windows move on a quiet stream too. */
const STREAM_HEARTBEAT_MS = 5_000;

@ApiTags('analytics')
@Controller('analytics')
export class AnalyticsController {
  constructor(private readonly analytics: AnalyticsService) {}

  @Get()
  @ApiOperation({ summary: 'The figures: totals, windows by event time, saga durations, lag.' })
  @ApiOkResponse({ type: AnalyticsReportView })
  get(): Promise<AnalyticsReport> {
    return this.analytics.currentReport();
  }

  /** Server-sent events: a snapshot on connect, then one each time the figures change. */
  @Sse('stream')
  @ApiOperation({
    summary: 'Server-sent events: the figures on connect, then each time they change (at most 4 a second, at least every 5 s).',
  })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'one `data:` line per snapshot, each the JSON of GET /analytics' })
  stream(): Observable<MessageEvent> {
    return merge(this.analytics.changes, interval(STREAM_HEARTBEAT_MS)).pipe(
      throttleTime(STREAM_MIN_GAP_MS, asyncScheduler, { leading: true, trailing: true }),
      startWith(null),
      map(() => ({ data: this.analytics.report() })),
    );
  }
}
