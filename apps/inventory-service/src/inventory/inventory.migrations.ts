import type { Migrations } from '#database';

/** inventory-service schema in each dialect; entry i is schema version i + 1. Never edit a shipped entry: append. */
export const INVENTORY_MIGRATIONS: Migrations = {
  sqlite: [
    `
  CREATE TABLE products (
    product_id TEXT PRIMARY KEY,
    initial    INTEGER NOT NULL CHECK (initial >= 0),
    available  INTEGER NOT NULL CHECK (available >= 0),
    reserved   INTEGER NOT NULL CHECK (reserved >= 0),
    CHECK (available + reserved = initial)
  );
  CREATE TABLE reservations (
    order_id   TEXT PRIMARY KEY,
    status     TEXT NOT NULL CHECK (status IN ('reserved', 'failed', 'released', 'cancelled')),
    items      TEXT NOT NULL,
    reason     TEXT,
    updated_at TEXT NOT NULL
  );
  `,
  ],
  postgres: [
    `
    CREATE TABLE products (
      product_id TEXT PRIMARY KEY,
      initial    INTEGER NOT NULL CHECK (initial >= 0),
      available  INTEGER NOT NULL CHECK (available >= 0),
      reserved   INTEGER NOT NULL CHECK (reserved >= 0),
      CHECK (available + reserved = initial)
    );
    CREATE TABLE reservations (
      order_id   TEXT PRIMARY KEY,
      status     TEXT NOT NULL CHECK (status IN ('reserved', 'failed', 'released', 'cancelled')),
      items      TEXT NOT NULL,
      reason     TEXT,
      updated_at TEXT NOT NULL
    );
    `,
  ],
};
