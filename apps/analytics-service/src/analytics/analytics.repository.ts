import { Injectable } from '@nestjs/common';
import { Database } from '#database';
import type { AggregateSnapshot, OrderChanges, OrderTrack } from './stream/stream-aggregator.js';

export interface PartitionOffset {
  readonly topic: string;
  readonly partition: number;
  /** The first offset the snapshot does not cover. */
  readonly next: number;
}

/** What is saved of one partition number: its aggregates, its order tracks, and the offsets they cover. */
export interface SavedPartition {
  readonly aggregate: AggregateSnapshot;
  readonly orders: Array<[string, OrderTrack]>;
  readonly offsets: PartitionOffset[];
}

/** The aggregates of a partition another instance owns, as last saved. */
export interface PartitionSnapshot {
  readonly partition: number;
  readonly aggregate: AggregateSnapshot;
  readonly takenAt: string;
}

/** The analytics service's tables, as Kysely sees them (see analytics.migrations.ts). */
export interface AnalyticsTables {
  partition_snapshots: { partition: number; state: string; taken_at: string };
  partition_offsets: { topic: string; partition: number; next_offset: number };
  order_tracks: { order_id: string; partition: number; track: string };
}

/**
 * Snapshots of the stream processor, one per partition number (partition N of every
 * topic): its aggregates, the order tracks that changed (written incrementally), and
 * the Kafka offsets the snapshot covers, all in one transaction so that state and
 * offsets always agree.
 */
@Injectable()
export class AnalyticsRepository {
  private readonly database: Database<AnalyticsTables>;

  constructor(database: Database) {
    this.database = database.withTables<AnalyticsTables>();
  }

  private get db() {
    return this.database.query;
  }

  async save(partition: number, aggregate: AggregateSnapshot, orders: OrderChanges, offsets: PartitionOffset[]): Promise<void> {
    await this.database.transaction(async () => {
      await this.db
        .insertInto('partition_snapshots')
        .values({ partition, state: JSON.stringify(aggregate), taken_at: new Date().toISOString() })
        .onConflict((conflict) =>
          conflict.column('partition').doUpdateSet((eb) => ({ state: eb.ref('excluded.state'), taken_at: eb.ref('excluded.taken_at') })),
        )
        .execute();
      for (const rows of chunks(orders.changed.map(([order_id, track]) => ({ order_id, partition, track })))) {
        await this.db
          .insertInto('order_tracks')
          .values(rows)
          .onConflict((conflict) => conflict.column('order_id').doUpdateSet((eb) => ({ track: eb.ref('excluded.track') })))
          .execute();
      }
      for (const ids of chunks(orders.forgotten)) await this.db.deleteFrom('order_tracks').where('order_id', 'in', ids).execute();
      for (const rows of chunks(offsets.map(({ topic, next }) => ({ topic, partition, next_offset: next })))) {
        await this.db
          .insertInto('partition_offsets')
          .values(rows)
          .onConflict((conflict) =>
            conflict.columns(['topic', 'partition']).doUpdateSet((eb) => ({ next_offset: eb.ref('excluded.next_offset') })),
          )
          .execute();
      }
    });
  }

  /** Forgets a partition's snapshot: it is rebuilt from the topics. */
  async clear(partition: number): Promise<void> {
    await this.database.transaction(async () => {
      await this.db.deleteFrom('partition_snapshots').where('partition', '=', partition).execute();
      await this.db.deleteFrom('partition_offsets').where('partition', '=', partition).execute();
      await this.db.deleteFrom('order_tracks').where('partition', '=', partition).execute();
    });
  }

  /** A partition's snapshot, read in one transaction: its state and its offsets always come from the same save. */
  load(partition: number): Promise<SavedPartition | null> {
    return this.database.transaction(() => this.read(partition));
  }

  private async read(partition: number): Promise<SavedPartition | null> {
    const row = await this.db.selectFrom('partition_snapshots').select('state').where('partition', '=', partition).executeTakeFirst();
    if (!row) return null;
    const tracks = await this.db.selectFrom('order_tracks').select(['order_id', 'track']).where('partition', '=', partition).execute();
    const offsets = await this.db
      .selectFrom('partition_offsets')
      .select(['topic', 'partition', 'next_offset as next'])
      .where('partition', '=', partition)
      .execute();
    return {
      aggregate: JSON.parse(row.state) as AggregateSnapshot,
      orders: tracks.map(({ order_id, track }) => [order_id, JSON.parse(track) as OrderTrack]),
      offsets,
    };
  }

  async hasAnySnapshot(): Promise<boolean> {
    return (await this.db.selectFrom('partition_snapshots').select('partition').limit(1).executeTakeFirst()) !== undefined;
  }

  /** The aggregates of every partition but `except` (the ones this instance owns), as last saved. */
  async others(except: readonly number[]): Promise<PartitionSnapshot[]> {
    const query = this.db.selectFrom('partition_snapshots').select(['partition', 'state', 'taken_at']);
    const rows = await (except.length > 0 ? query.where('partition', 'not in', [...except]) : query).execute();
    return rows.map(({ partition, state, taken_at }) => ({
      partition,
      aggregate: JSON.parse(state) as AggregateSnapshot,
      takenAt: taken_at,
    }));
  }
}

/** Rows in groups small enough for one statement's parameters (SQLite allows 32766 of them). */
function chunks<T>(rows: readonly T[], size = 500): T[][] {
  const groups: T[][] = [];
  for (let start = 0; start < rows.length; start += size) groups.push(rows.slice(start, start + size));
  return groups;
}
