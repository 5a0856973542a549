import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Subject } from 'rxjs';
import { Topics, type SagaFact } from '#contracts';
import {
  GroupAdmin,
  KafkaRuntime,
  partitionKey,
  partitionOf,
  TOPIC_PARTITIONS,
  type EventReactor,
  type FoldedMessage,
  type MessagePosition,
} from '#messaging';
import { AnalyticsServiceConfig } from '../analytics-service.config.js';
import { totalsReport, type TotalsReport } from './analytics.domain.js';
import { AnalyticsRepository, type PartitionOffset, type PartitionSnapshot, type SavedPartition } from './analytics.repository.js';
import { mergeSnapshots, StreamAggregator, type StreamFigures, type StreamSettings } from './stream/stream-aggregator.js';

export type AnalyticsReport = TotalsReport &
  Omit<StreamFigures, 'counters'> & {
    /** True until the backlog present at start-up has been read: figures are still growing. */
    readonly catchingUp: boolean;
    /** Events on this instance's partitions not read yet. */
    readonly lag: number;
    /** The partitions this instance aggregates live, and those it reports from another instance's last snapshot. */
    readonly partitions: { readonly live: number[]; readonly fromSnapshots: Array<{ partition: number; snapshotAgeMs: number }> };
    readonly generatedAt: string;
  };

const LAG_CHECK_MS = 1_000;
/** A topic-partition with nothing unread for this long stops holding the watermark back (it is idle, not late). */
const PARTITION_IDLE_MS = 10_000;
/**
 * While the backlog present at start-up is read, state is saved this many times less often.
 * An order then passes through the tracked orders between two saves, and is neither written
 * nor deleted; a crash meanwhile re-reads a few seconds more of the backlog.
 */
const CATCH_UP_SAVES_APART = 5;
/** How long a partition taken over waits for its previous owner's last save to show. */
const SNAPSHOT_CATCH_UP_MS = 5_000;

/** The state of one partition number (partition N of every topic) that this instance aggregates. */
interface OwnedPartition {
  readonly number: number;
  readonly aggregator: StreamAggregator;
  /** `topic:partition` → the first offset the state does not include. */
  readonly next: Map<string, PartitionOffset>;
  dirty: boolean;
}

/**
 * The stream processor around the pure aggregator, one aggregator per partition
 * number this instance owns (the consumer group's co-partitioning assignor gives
 * partition N of every topic to one instance). Exactly once by offsets: each
 * partition's state is saved with the offsets it covers, an event at an offset the
 * state already covers is skipped, and a partition taken over (after a restart or a
 * rebalance) continues from its saved state. With no saved state at all (a first
 * start, or a lost database) the group's offsets are forgotten and the topics read
 * again from the start. GET /analytics merges every partition: live ones here, the
 * others from their owner's last snapshot.
 */
@Injectable()
export class AnalyticsService implements EventReactor<SagaFact['type']>, OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(AnalyticsService.name);
  private readonly settings: StreamSettings;
  private readonly owned = new Map<number, OwnedPartition>();
  private readonly loading = new Map<number, Promise<OwnedPartition>>();
  /** Partition numbers the group gave this instance (null until it has joined). */
  private assigned: Set<number> | null = null;
  /** Counts the group's rebalances: a partition loaded across one is loaded again (see load). */
  private rebalances = 0;
  /** The partitions this instance does not own, as their owners last saved them. */
  private others: PartitionSnapshot[] = [];
  private ends = new Map<string, { low: number; high: number }>();
  /** The group's committed offsets: where the consumer starts on a partition this instance has not loaded. */
  private committed = new Map<string, number>();
  private readonly timers: NodeJS.Timeout[] = [];
  private saving: Promise<void> | null = null;
  private savedAt = 0;
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
    private readonly groupAdmin: GroupAdmin,
  ) {
    this.settings = streamSettings(config);
    this.kafka.onAssignment((assignment) => this.assign(assignment));
    // Saved and committed while still in the group; what is read after it is saved on destroy, and read again (and skipped) after a restart.
    this.kafka.beforeStopping(() => this.snapshot());
  }

  async onModuleInit(): Promise<void> {
    if (!(await this.repository.hasAnySnapshot())) {
      // No state (first start, or the database was wiped): rebuild it from the topics.
      await this.groupAdmin.forgetOffsets(this.kafka.groupId, this.topics.events());
    }
    await this.checkLag();
    // Figures at once after a start: every partition from its last snapshot until this instance reads it live.
    await this.refreshOthers();
    // What was restored is what is saved: the first save is an interval away (5 while catching up), not at the first tick.
    this.savedAt = Date.now();
    this.every(this.config.SNAPSHOT_INTERVAL_MS, () => this.periodicSnapshot());
    this.every(this.config.SNAPSHOT_INTERVAL_MS, () => this.refreshOthers());
    this.every(LAG_CHECK_MS, () => this.checkLag());
    this.every(1_000, () => {
      for (const partition of this.owned.values()) partition.aggregator.expire(this.wallClock());
    });
  }

  async onModuleDestroy(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    await this.snapshot();
  }

  /** Folds in one consumed event, unless the state already covers its offset; false for an event already counted. */
  async react(event: SagaFact, position: MessagePosition): Promise<boolean> {
    const partition = await this.partition(position.partition);
    if (!this.admit(partition, position)) return false;
    const counted = partition.aggregator.apply(event, this.wallClock(), partitionKey(position.topic, position.partition), Date.now());
    this.changes.next();
    return counted;
  }

  /**
   * Moves the position past a message once it was handled (applied, skipped or
   * dead-lettered): the next snapshot covers it.
   */
  async settled(position: MessagePosition): Promise<void> {
    const partition = await this.partition(position.partition);
    if (!this.admit(partition, position)) return;
    this.advance(partition, position.topic, position.offset + 1);
  }

  /**
   * A fetched batch at once, as `react` then `settled` for each message: the events the state
   * does not cover yet folded in, in order, and the position moved past the last (also past
   * what was folded before a failure, so that the consumer's one-by-one retry skips it).
   */
  async fold(topic: string, number: number, messages: readonly FoldedMessage<SagaFact['type']>[]): Promise<boolean[]> {
    const partition = await this.partition(number);
    const wallClock = this.wallClock();
    const readAt = Date.now();
    const source = partitionKey(topic, number);
    const from = coveredUpTo(partition, source);
    const applied: boolean[] = [];
    let next = -1;
    try {
      for (const { event, offset } of messages) {
        if (offset < from) {
          applied.push(false);
          continue;
        }
        applied.push(event !== null && partition.aggregator.apply(event, wallClock, source, readAt));
        next = offset + 1;
      }
    } finally {
      if (next >= 0) {
        this.advance(partition, topic, next);
        this.changes.next();
      }
    }
    return applied;
  }

  private advance(partition: OwnedPartition, topic: string, next: number): void {
    partition.next.set(partitionKey(topic, partition.number), { topic, partition: partition.number, next });
    partition.dirty = true;
  }

  /** The report with the other instances' partitions as they saved them last: at most SNAPSHOT_INTERVAL_MS old. */
  async currentReport(): Promise<AnalyticsReport> {
    await this.refreshOthers();
    return this.report();
  }

  report(now = Date.now()): AnalyticsReport {
    const live = [...this.owned.values()];
    const fromSnapshots = this.others.filter(({ partition }) => !this.owned.has(partition));
    const merged = new StreamAggregator(this.settings);
    merged.restore(
      mergeSnapshots([...live.map(({ aggregator }) => aggregator.snapshot()), ...fromSnapshots.map(({ aggregate }) => aggregate)]),
      [],
    );
    const { counters, ...figures } = merged.report(now, this.caughtUpNow);
    return {
      ...totalsReport(counters),
      ...figures,
      trackedOrders: live.reduce((total, { aggregator }) => total + aggregator.trackedOrders, 0),
      catchingUp: this.catchingUp,
      lag: this.lag,
      partitions: {
        live: live.map(({ number }) => number).sort(),
        fromSnapshots: fromSnapshots.map(({ partition, takenAt }) => ({
          partition,
          snapshotAgeMs: Math.max(0, now - Date.parse(takenAt)),
        })),
      },
      generatedAt: new Date(now).toISOString(),
    };
  }

  /**
   * Saves each owned partition's state with the offsets it covers, then tells Kafka where to
   * resume. One save at a time: a call during a save waits for it, then saves what came after
   * (on shutdown, the last save must be done before the consumer leaves its group).
   */
  async snapshot(): Promise<void> {
    while (this.saving) await this.saving.catch(() => undefined);
    this.saving = this.saveDirtyPartitions();
    try {
      await this.saving;
    } finally {
      this.saving = null;
    }
  }

  private periodicSnapshot(): Promise<void> | undefined {
    if (this.saving) return; // the tick after it saves what came meanwhile
    const interval = this.config.SNAPSHOT_INTERVAL_MS * (this.catchingUp ? CATCH_UP_SAVES_APART : 1);
    // A tick early by a few milliseconds still saves.
    if (Date.now() - this.savedAt >= interval - this.config.SNAPSHOT_INTERVAL_MS / 2) return this.snapshot();
  }

  private async saveDirtyPartitions(): Promise<void> {
    this.savedAt = Date.now();
    for (const partition of [...this.owned.values()].filter(({ dirty }) => dirty)) {
      // Given to another instance meanwhile: its new owner saves it from now on, never this one.
      if (this.owned.get(partition.number) !== partition) continue;
      // Taken at one instant: events applied while the save is in flight go into the next snapshot.
      const offsets = [...partition.next.values()];
      const aggregate = partition.aggregator.snapshot();
      const orders = partition.aggregator.takeOrderChanges();
      partition.dirty = false;
      try {
        await this.repository.save(partition.number, aggregate, orders, offsets);
      } catch (error) {
        // Everything stays unsaved, and the next tick tries again.
        partition.aggregator.returnOrderChanges(orders);
        partition.dirty = true;
        throw error;
      }
      // A partition lost while saving is not committed: its new owner reads from what it finds saved.
      if (this.owned.get(partition.number) === partition) await this.commit(offsets);
    }
  }

  private async commit(offsets: PartitionOffset[]): Promise<void> {
    try {
      await this.kafka.commitOffsets(offsets.map(({ topic, partition, next }) => ({ topic, partition, offset: String(next) })));
    } catch (error) {
      // Harmless: Kafka then resumes earlier (the covered offsets are skipped), or the partition moved on.
      this.logger.debug(`committing offsets failed: ${(error as Error).message}`);
    }
  }

  /** The owned partition, loaded from its snapshot the first time one of its messages arrives. */
  private partition(number: number): Promise<OwnedPartition> {
    const owned = this.owned.get(number);
    if (owned) return Promise.resolve(owned);
    let loading = this.loading.get(number);
    if (!loading) {
      loading = this.load(number).finally(() => this.loading.delete(number));
      this.loading.set(number, loading);
    }
    return loading;
  }

  /**
   * Restores the partition from its snapshot. A rebalance during the load may have given
   * the partition to another instance (which then saves and commits past what was read
   * here): the load is then discarded, or, if the partition is (again) this instance's,
   * done again. Only a load that no rebalance crossed becomes the owned state.
   */
  private async load(number: number): Promise<OwnedPartition> {
    for (;;) {
      const rebalances = this.rebalances;
      const partition = await this.restore(number);
      if (this.rebalances !== rebalances) {
        if (this.assigned && !this.assigned.has(number)) return partition; // not ours: never registered
        continue;
      }
      this.owned.set(number, partition);
      // Topics of this partition with unread events hold its watermark back from the start, as in checkLag.
      partition.aggregator.expectPartitions(this.unread().get(number)?.keys ?? [], Date.now());
      return partition;
    }
  }

  private async restore(number: number): Promise<OwnedPartition> {
    const partition: OwnedPartition = {
      number,
      aggregator: new StreamAggregator(this.settings),
      next: new Map(),
      dirty: false,
    };
    const saved = await this.latestSnapshot(number);
    if (saved && (await this.coversOnlyWhatExists(saved.offsets))) {
      partition.aggregator.restore(saved.aggregate, saved.orders);
      for (const offset of saved.offsets) partition.next.set(partitionKey(offset.topic, offset.partition), offset);
      this.logger.log(`partition ${number}: restored ${saved.aggregate.eventsProcessed} events, ${saved.orders.length} tracked orders`);
    } else if (saved) {
      this.logger.warn(`partition ${number}: the snapshot covers offsets beyond the end of the topics (recreated?): rebuilding it`);
      await this.repository.clear(number);
    }
    return partition;
  }

  /**
   * The partition's snapshot, as new as the group's committed offsets. A previous owner
   * saves its snapshot, then commits the offsets it covers; one that was saving while
   * the partition moved here may commit after this instance has read the older
   * snapshot, and Kafka would then resume past what that snapshot covers. So the
   * snapshot is read until it covers every committed offset of the partition (a few
   * seconds at most: the commit follows the save).
   */
  private async latestSnapshot(number: number): Promise<SavedPartition | null> {
    const deadline = Date.now() + SNAPSHOT_CATCH_UP_MS;
    for (;;) {
      const saved = await this.repository.load(number);
      const committed = await this.groupAdmin.committedOffsets(this.kafka.groupId, this.topics.events());
      const covered = new Map(saved?.offsets.map(({ topic, partition, next }) => [partitionKey(topic, partition), next]));
      const behind = [...committed].filter(([key, offset]) => partitionOf(key) === number && offset > (covered.get(key) ?? 0));
      if (behind.length === 0) return saved;
      if (Date.now() > deadline) {
        this.logger.warn(
          `partition ${number}: the snapshot covers less than the group committed (${behind.map(([key]) => key).join(', ')})`,
        );
        return saved;
      }
      await sleep(100);
    }
  }

  /** False when the topics were recreated under a kept database: the snapshot then describes events that are gone. */
  private async coversOnlyWhatExists(offsets: readonly PartitionOffset[]): Promise<boolean> {
    this.ends = await this.groupAdmin.endOffsets(this.topics.events());
    return offsets.every(({ topic, partition, next }) => next <= (this.ends.get(partitionKey(topic, partition))?.high ?? 0));
  }

  /**
   * Whether a message is one this partition's state does not cover yet. A partition
   * taken over (a restart, a rebalance) may be read again from before its snapshot,
   * since Kafka's offsets are committed after the snapshot is saved: those messages
   * are skipped. The other way round cannot happen: an offset Kafka has committed is
   * always covered by a saved snapshot.
   */
  private admit(partition: OwnedPartition, { topic, partition: number, offset }: MessagePosition): boolean {
    return offset >= coveredUpTo(partition, partitionKey(topic, number));
  }

  /** A rebalance: partitions given to another instance are dropped here (their owner continues from their snapshot). */
  private assign(assignment: Readonly<Record<string, number[]>>): void {
    const events = new Set(this.topics.events());
    this.assigned = new Set(Object.entries(assignment).flatMap(([topic, partitions]) => (events.has(topic) ? partitions : [])));
    this.rebalances++;
    for (const number of this.owned.keys()) {
      if (!this.assigned.has(number)) this.owned.delete(number);
    }
    // Loaded now rather than on their first message: a quiet partition is then live (and caught up) too.
    for (const number of this.assigned) {
      this.partition(number).catch((error: Error) => this.logger.warn(`loading partition ${number} failed: ${error.message}`));
    }
    this.changes.next();
  }

  private async refreshOthers(): Promise<void> {
    this.others = await this.repository.others([...this.owned.keys()]);
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
    const wasCatchingUp = this.catchingUp;
    try {
      this.ends = await this.groupAdmin.endOffsets(this.topics.events());
      this.committed = await this.groupAdmin.committedOffsets(this.kafka.groupId, this.topics.events());
      const pending = this.unread();
      for (const [number, partition] of this.owned) partition.aggregator.expectPartitions(pending.get(number)?.keys ?? [], Date.now());
      const lag = [...pending.values()].reduce((total, { events }) => total + events, 0);
      this.lag = lag;
      this.caughtUpNow = lag === 0;
      if (this.catchingUp && this.caughtUpNow) {
        this.catchingUp = false;
        this.changes.next();
      }
    } catch (error) {
      // Unknown lag: the wall clock must not close windows on events that may still be on their way.
      this.caughtUpNow = false;
      this.logger.warn(`measuring the consumer lag failed: ${(error as Error).message}`);
    }
    // Saves were spaced while catching up: what was read is saved, and its offsets committed, now.
    if (wasCatchingUp && !this.catchingUp) await this.snapshot();
  }

  /** Per partition number this instance reads (all of them until the group has assigned some): the topic-partitions with unread events, and how many. */
  private unread(): Map<number, { keys: string[]; events: number }> {
    const pending = new Map<number, { keys: string[]; events: number }>();
    for (const [key, { low, high }] of this.ends) {
      const number = partitionOf(key);
      if (this.assigned && !this.assigned.has(number)) continue;
      const position = this.owned.get(number)?.next.get(key)?.next ?? this.committed.get(key) ?? 0;
      const unread = Math.max(0, high - Math.max(low, position));
      if (unread === 0) continue;
      const entry = pending.get(number) ?? { keys: [], events: 0 };
      entry.keys.push(key);
      entry.events += unread;
      pending.set(number, entry);
    }
    return pending;
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

/** The first offset of topic-partition `key` that the partition's state does not cover. */
function coveredUpTo(partition: OwnedPartition, key: string): number {
  return partition.next.get(key)?.next ?? 0;
}

/** The stream processor's settings from the service's configuration: MAX_TRACKED_ORDERS bounds the whole stream, each partition gets its share. */
export function streamSettings(config: AnalyticsServiceConfig): StreamSettings {
  return {
    graceMs: config.GRACE_PERIOD_MS,
    orderTtlMs: config.ORDER_TRACKING_TTL_MS,
    maxTrackedOrders: Math.ceil(config.MAX_TRACKED_ORDERS / TOPIC_PARTITIONS),
    maxClockSkewMs: config.MAX_CLOCK_SKEW_MS,
    idleTimeoutMs: PARTITION_IDLE_MS,
  };
}
