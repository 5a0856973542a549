import { Inject, Injectable } from '@nestjs/common';
import { DATABASE, type Db } from '#service';
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

/**
 * Snapshots of the stream processor: its aggregates, the order tracks that changed
 * (written incrementally), and the Kafka offsets the snapshot covers, all in one
 * transaction so that state and offsets always agree.
 */
@Injectable()
export class AnalyticsRepository {
  private readonly statements;

  constructor(@Inject(DATABASE) private readonly db: Db) {
    this.statements = {
      saveState: db.prepare(
        `INSERT INTO snapshot (id, state, taken_at) VALUES (1, ?, ?)
         ON CONFLICT (id) DO UPDATE SET state = excluded.state, taken_at = excluded.taken_at`,
      ),
      loadState: db.prepare<[], { state: string }>('SELECT state FROM snapshot WHERE id = 1'),
      saveTrack: db.prepare(
        'INSERT INTO order_tracks (order_id, track) VALUES (?, ?) ON CONFLICT (order_id) DO UPDATE SET track = excluded.track',
      ),
      deleteTrack: db.prepare('DELETE FROM order_tracks WHERE order_id = ?'),
      loadTracks: db.prepare<[], { order_id: string; track: string }>('SELECT order_id, track FROM order_tracks'),
      saveOffset: db.prepare(
        `INSERT INTO snapshot_offsets (topic, partition, next_offset) VALUES (?, ?, ?)
         ON CONFLICT (topic, partition) DO UPDATE SET next_offset = excluded.next_offset`,
      ),
      loadOffsets: db.prepare<[], PartitionOffset>('SELECT topic, partition, next_offset AS next FROM snapshot_offsets'),
    };
  }

  save(
    aggregate: AggregateSnapshot,
    orders: { changed: Array<[string, OrderTrack]>; forgotten: string[] },
    offsets: PartitionOffset[],
  ): void {
    this.db.transaction(() => {
      this.statements.saveState.run(JSON.stringify(aggregate), new Date().toISOString());
      for (const [orderId, track] of orders.changed) this.statements.saveTrack.run(orderId, JSON.stringify(track));
      for (const orderId of orders.forgotten) this.statements.deleteTrack.run(orderId);
      for (const { topic, partition, next } of offsets) this.statements.saveOffset.run(topic, partition, next);
    })();
  }

  /** Forgets the snapshot: the next start rebuilds the state from the topics. */
  clear(): void {
    this.db.exec('DELETE FROM snapshot; DELETE FROM snapshot_offsets; DELETE FROM order_tracks;');
  }

  load(): SavedState | null {
    const row = this.statements.loadState.get();
    if (!row) return null;
    return {
      aggregate: JSON.parse(row.state) as AggregateSnapshot,
      orders: this.statements.loadTracks.all().map(({ order_id, track }) => [order_id, JSON.parse(track) as OrderTrack]),
      offsets: this.statements.loadOffsets.all(),
    };
  }
}
