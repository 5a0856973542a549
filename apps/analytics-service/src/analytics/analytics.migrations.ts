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
  ],
  postgres: [
    `
    CREATE TABLE snapshot (
      id       INTEGER PRIMARY KEY CHECK (id = 1),
      state    TEXT NOT NULL,
      taken_at TEXT NOT NULL
    );
    CREATE TABLE snapshot_offsets (
      topic       TEXT NOT NULL,
      partition   INTEGER NOT NULL,
      next_offset BIGINT NOT NULL,
      PRIMARY KEY (topic, partition)
    );
    CREATE TABLE order_tracks (
      order_id TEXT PRIMARY KEY,
      track    TEXT NOT NULL
    );
    `,
  ],
};
