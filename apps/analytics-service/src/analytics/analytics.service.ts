import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Subject } from 'rxjs';
import { Topics, type SagaEvent } from '#contracts';
import { GroupAdmin, KafkaRuntime, partitionKey, type EventReactor, type MessagePosition } from '#messaging';
import { AnalyticsServiceConfig } from '../analytics-service.config.js';
import { totalsReport, type TotalsReport } from './analytics.domain.js';
import { AnalyticsRepository, type PartitionOffset, type SavedState } from './analytics.repository.js';
import { StreamAggregator, type StreamFigures } from './stream/stream-aggregator.js';

export type AnalyticsReport = TotalsReport &
  Omit<StreamFigures, 'counters'> & {
    /** True until the backlog present at start-up has been read: figures are still growing. */
    readonly catchingUp: boolean;
    /** Events on the topics not read yet. */
    readonly lag: number;
    readonly generatedAt: string;
  };

const LAG_CHECK_MS = 1_000;

/**
 * The stream processor around the pure aggregator: exactly-once by offsets (an
 * event at an offset the state already covers is skipped), snapshots of the state
 * with those offsets, and a restart that resumes from the last snapshot: its cost
 * grows with the events since that snapshot, not with the whole history.
 */
@Injectable()
export class AnalyticsService implements EventReactor, OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(AnalyticsService.name);
  private readonly aggregator: StreamAggregator;
  private readonly groupAdmin: GroupAdmin;
  /** `topic:partition` → the first offset the state does not include. */
  private readonly next = new Map<string, PartitionOffset>();
  private readonly timers: NodeJS.Timeout[] = [];
  private dirty = false;
  private saving: Promise<void> | null = null;
  private catchingUp = true;
  /** Nothing was left to read at the last lag check: the wall clock may close windows. */
  private caughtUpNow = false;
  private lag = 0;
  /** Emits whenever the figures changed. */
  readonly changes = new Subject<void>();

  constructor(
    private readonly repository: AnalyticsRepository,
    private readonly kafka: KafkaRuntime,
    private readonly topics: Topics,
    private readonly config: AnalyticsServiceConfig,
  ) {
    this.aggregator = new StreamAggregator({
      graceMs: config.GRACE_PERIOD_MS,
      orderTtlMs: config.ORDER_TRACKING_TTL_MS,
      maxTrackedOrders: config.MAX_TRACKED_ORDERS,
    });
    this.groupAdmin = new GroupAdmin(config.KAFKA_BROKERS);
  }

  async onModuleInit(): Promise<void> {
    const saved = await this.usableSnapshot();
    if (saved) {
      this.aggregator.restore(saved.aggregate, saved.orders);
      for (const offset of saved.offsets) this.next.set(partitionKey(offset.topic, offset.partition), offset);
      this.logger.log(`restored the snapshot: ${saved.aggregate.eventsProcessed} events, ${saved.orders.length} tracked orders`);
    } else {
      // No state (first start, or the data folder was wiped): rebuild it from the topics.
      await this.groupAdmin.forgetOffsets(this.kafka.groupId, this.topics.events());
    }
    await this.checkLag();
    this.every(this.config.SNAPSHOT_INTERVAL_MS, () => this.snapshot());
    this.every(LAG_CHECK_MS, () => this.checkLag());
    this.every(1_000, () => this.aggregator.expire(this.wallClock()));
  }

  async onModuleDestroy(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    await this.saving;
    await this.snapshot();
    await this.groupAdmin.close();
  }

  /** Folds in one consumed event, unless the state already covers its offset. */
  react(event: SagaEvent, position: MessagePosition): void {
    if (this.covers(position)) return;
    this.aggregator.apply(event, this.wallClock(), partitionKey(position.topic, position.partition));
    this.changes.next();
  }

  /**
   * Moves the position past a message once it was handled (applied, skipped or
   * dead-lettered): the next snapshot covers it.
   */
  settled(position: MessagePosition): void {
    if (this.covers(position)) return;
    this.next.set(partitionKey(position.topic, position.partition), {
      topic: position.topic,
      partition: position.partition,
      next: position.offset + 1,
    });
    this.dirty = true;
  }

  private covers(position: MessagePosition): boolean {
    return position.offset < (this.next.get(partitionKey(position.topic, position.partition))?.next ?? 0);
  }

  report(now = Date.now()): AnalyticsReport {
    const { counters, ...figures } = this.aggregator.report(now, this.caughtUpNow);
    return { ...totalsReport(counters), ...figures, catchingUp: this.catchingUp, lag: this.lag, generatedAt: new Date(now).toISOString() };
  }

  /** Saves the state with the offsets it covers (one save at a time), then tells Kafka where to resume. */
  async snapshot(): Promise<void> {
    if (!this.dirty || this.saving) return;
    // Taken at one instant: events applied while the save is in flight go into the next snapshot.
    const offsets = [...this.next.values()];
    const aggregate = this.aggregator.snapshot();
    const orders = this.aggregator.takeOrderChanges();
    this.dirty = false;
    this.saving = this.repository.save(aggregate, orders, offsets);
    try {
      await this.saving;
    } catch (error) {
      // Everything stays unsaved, and the next tick tries again.
      this.aggregator.returnOrderChanges(orders);
      this.dirty = true;
      throw error;
    } finally {
      this.saving = null;
    }
    try {
      await this.kafka.commitOffsets(offsets.map(({ topic, partition, next }) => ({ topic, partition, offset: String(next) })));
    } catch (error) {
      // Harmless: Kafka then resumes earlier, and the offsets the snapshot covers are skipped.
      this.logger.debug(`committing offsets failed: ${(error as Error).message}`);
    }
  }

  /**
   * The saved snapshot, unless it covers offsets beyond the end of the topics: then
   * the broker's data was recreated under a kept data folder, and the state is rebuilt.
   */
  private async usableSnapshot(): Promise<SavedState | null> {
    const saved = await this.repository.load();
    if (!saved) return null;
    const ends = await this.groupAdmin.endOffsets(this.topics.events());
    const ahead = saved.offsets.filter(({ topic, partition, next }) => next > (ends.get(partitionKey(topic, partition))?.high ?? 0));
    if (ahead.length === 0) return saved;
    this.logger.warn(`the snapshot covers offsets beyond the end of the topics (recreated?): rebuilding from the topics`);
    await this.repository.clear();
    return null;
  }

  /**
   * The wall clock may close windows only while nothing is left to read: a quiet
   * stream then still gets final figures, while a backlog (after a restart, or under
   * load) is windowed by its own event times and not dropped as late.
   */
  private wallClock(): number | null {
    return this.caughtUpNow ? Date.now() : null;
  }

  private async checkLag(): Promise<void> {
    try {
      const ends = await this.groupAdmin.endOffsets(this.topics.events());
      let lag = 0;
      const pending: string[] = [];
      for (const [key, { low, high }] of ends) {
        const unread = Math.max(0, high - Math.max(low, this.next.get(key)?.next ?? 0));
        if (unread > 0) pending.push(key);
        lag += unread;
      }
      this.aggregator.expectPartitions(pending);
      this.lag = lag;
      this.caughtUpNow = lag === 0;
      if (this.catchingUp && lag === 0) {
        this.catchingUp = false;
        this.changes.next();
      }
    } catch (error) {
      // Unknown lag: the wall clock must not close windows on events that may still be on their way.
      this.caughtUpNow = false;
      this.logger.warn(`measuring the consumer lag failed: ${(error as Error).message}`);
    }
  }

  private every(ms: number, task: () => unknown): void {
    const run = async () => {
      try {
        await task();
      } catch (error) {
        // Logged, not thrown: an unhandled rejection would end the process; the next tick tries again.
        this.logger.error(`periodic task failed: ${(error as Error).message}`);
      }
    };
    this.timers.push(setInterval(() => void run(), ms));
  }
}
