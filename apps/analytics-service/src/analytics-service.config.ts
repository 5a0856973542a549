import { IsInt, Max, Min } from 'class-validator';
import { ServiceConfig } from '#service';

export class AnalyticsServiceConfig extends ServiceConfig {
  /**
   * Analytics lets the broker gather events for up to 250 ms (or 64 KiB) per fetch, where a
   * saga participant asks again 25 ms after an empty one: nobody waits on its figures, and
   * under load it made one small fetch per event, a quarter of its CPU spent writing
   * requests (docs/performance.md). A backlog is read at full speed either way.
   */
  override KAFKA_MAX_WAIT_MS: number = 250;
  override KAFKA_MIN_BYTES: number = 65_536;

  /** How often the console report is printed. */
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  REPORT_INTERVAL_MS: number = 10_000;

  /** How long after its end an event-time window still accepts late events. */
  @IsInt()
  @Min(0)
  @Max(3_600_000)
  GRACE_PERIOD_MS: number = 5_000;

  /** How often the state and the offsets it covers are saved (only when something changed). */
  @IsInt()
  @Min(50)
  @Max(600_000)
  SNAPSHOT_INTERVAL_MS: number = 1_000;

  /** An order not heard of for this long (event time) leaves the join/de-duplication state. */
  @IsInt()
  @Min(60_000)
  ORDER_TRACKING_TTL_MS: number = 3_600_000;

  /** An event time more than this ahead of when it is read counts as read then (`futureEventsClamped`). */
  @IsInt()
  @Min(0)
  MAX_CLOCK_SKEW_MS: number = 60_000;

  /** Upper bound of the orders tracked at once: the memory bound of the join/de-duplication state. */
  @IsInt()
  @Min(100)
  MAX_TRACKED_ORDERS: number = 100_000;
}
