import type { Migrations } from '#database';

/** analytics-service schema in each dialect; entry i is schema version i + 1. Never edit a shipped entry: append. */
export const ANALYTICS_MIGRATIONS: Migrations = {
  sqlite: [
    `
  CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
  );
  CREATE TABLE orders_by_second (
    second INTEGER PRIMARY KEY,
    orders INTEGER NOT NULL
  );
  `,
    // v2: the stream processor keeps its state in memory and saves snapshots with the
    // offsets they cover. Without a snapshot it replays the topics, so v1's tables go.
    `
  DROP TABLE counters;
  DROP TABLE orders_by_second;
  CREATE TABLE snapshot (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    state    TEXT NOT NULL,
    taken_at TEXT NOT NULL
  );
  CREATE TABLE snapshot_offsets (
    topic       TEXT NOT NULL,
    partition   INTEGER NOT NULL,
    next_offset INTEGER NOT NULL,
    PRIMARY KEY (topic, partition)
  );
  CREATE TABLE order_tracks (
    order_id TEXT PRIMARY KEY,
    track    TEXT NOT NULL
  );
  `,
    // v3: the state is kept per partition number, so that instances sharing a database each own
    // the partitions the consumer group gives them. The v2 snapshot goes; the topics are replayed.
    `
  DROP TABLE snapshot;
  DROP TABLE snapshot_offsets;
  DROP TABLE order_tracks;
  CREATE TABLE partition_snapshots (
    partition INTEGER PRIMARY KEY,
    state     TEXT NOT NULL,
    taken_at  TEXT NOT NULL
  );
  CREATE TABLE partition_offsets (
    topic       TEXT NOT NULL,
    partition   INTEGER NOT NULL,
    next_offset INTEGER NOT NULL,
    PRIMARY KEY (topic, partition)
  );
  CREATE TABLE order_tracks (
    order_id  TEXT PRIMARY KEY,
    partition INTEGER NOT NULL,
    track     TEXT NOT NULL
  );
  CREATE INDEX order_tracks_by_partition ON order_tracks (partition);
  `,
  ],
  postgres: [
    `
    CREATE TABLE partition_snapshots (
      partition INTEGER PRIMARY KEY,
      state     TEXT NOT NULL,
      taken_at  TEXT NOT NULL
    );
    CREATE TABLE partition_offsets (
      topic       TEXT NOT NULL,
      partition   INTEGER NOT NULL,
      next_offset BIGINT NOT NULL,
      PRIMARY KEY (topic, partition)
    );
    CREATE TABLE order_tracks (
      order_id  TEXT PRIMARY KEY,
      partition INTEGER NOT NULL,
      track     TEXT NOT NULL
    );
    CREATE INDEX order_tracks_by_partition ON order_tracks (partition);
    `,
  ],
};
