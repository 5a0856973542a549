import { Injectable } from '@nestjs/common';
import { Database } from '#database';
import type { AggregateSnapshot, OrderTrack } from './stream/stream-aggregator.js';

export interface PartitionOffset {
  readonly topic: string;
  readonly partition: number;
  /** The first offset the snapshot does not cover. */
  readonly next: number;
}

export interface SavedState {
  readonly aggregate: AggregateSnapshot;
  readonly orders: Array<[string, OrderTrack]>;
  readonly offsets: PartitionOffset[];
}

/** The analytics service's tables, as Kysely sees them (see analytics.migrations.ts). */
export interface AnalyticsTables {
  snapshot: { id: number; state: string; taken_at: string };
  snapshot_offsets: { topic: string; partition: number; next_offset: number };
  order_tracks: { order_id: string; track: string };
}

/**
 * Snapshots of the stream processor: its aggregates, the order tracks that changed
 * (written incrementally), and the Kafka offsets the snapshot covers, all in one
 * transaction so that state and offsets always agree.
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

  async save(
    aggregate: AggregateSnapshot,
    orders: { changed: Array<[string, OrderTrack]>; forgotten: string[] },
    offsets: PartitionOffset[],
  ): Promise<void> {
    await this.database.transaction(async () => {
      await this.db
        .insertInto('snapshot')
        .values({ id: 1, state: JSON.stringify(aggregate), taken_at: new Date().toISOString() })
        .onConflict((conflict) =>
          conflict.column('id').doUpdateSet((eb) => ({ state: eb.ref('excluded.state'), taken_at: eb.ref('excluded.taken_at') })),
        )
        .execute();
      for (const rows of chunks(orders.changed.map(([order_id, track]) => ({ order_id, track: JSON.stringify(track) })))) {
        await this.db
          .insertInto('order_tracks')
          .values(rows)
          .onConflict((conflict) => conflict.column('order_id').doUpdateSet((eb) => ({ track: eb.ref('excluded.track') })))
          .execute();
      }
      for (const ids of chunks(orders.forgotten)) await this.db.deleteFrom('order_tracks').where('order_id', 'in', ids).execute();
      for (const rows of chunks(offsets.map(({ topic, partition, next }) => ({ topic, partition, next_offset: next })))) {
        await this.db
          .insertInto('snapshot_offsets')
          .values(rows)
          .onConflict((conflict) =>
            conflict.columns(['topic', 'partition']).doUpdateSet((eb) => ({ next_offset: eb.ref('excluded.next_offset') })),
          )
          .execute();
      }
    });
  }

  /** Forgets the snapshot: the next start rebuilds the state from the topics. */
  async clear(): Promise<void> {
    await this.database.transaction(async () => {
      await this.db.deleteFrom('snapshot').execute();
      await this.db.deleteFrom('snapshot_offsets').execute();
      await this.db.deleteFrom('order_tracks').execute();
    });
  }

  async load(): Promise<SavedState | null> {
    const row = await this.db.selectFrom('snapshot').select('state').where('id', '=', 1).executeTakeFirst();
    if (!row) return null;
    const tracks = await this.db.selectFrom('order_tracks').select(['order_id', 'track']).execute();
    const offsets = await this.db.selectFrom('snapshot_offsets').select(['topic', 'partition', 'next_offset as next']).execute();
    return {
      aggregate: JSON.parse(row.state) as AggregateSnapshot,
      orders: tracks.map(({ order_id, track }) => [order_id, JSON.parse(track) as OrderTrack]),
      offsets,
    };
  }
}

/** Rows in groups small enough for one statement's parameters (SQLite allows 32766 of them). */
function chunks<T>(rows: readonly T[], size = 500): T[][] {
  const groups: T[][] = [];
  for (let start = 0; start < rows.length; start += size) groups.push(rows.slice(start, start + size));
  return groups;
}
