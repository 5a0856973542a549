import type { Migrations } from '#database';

/** order-service schema in each dialect; entry i is schema version i + 1. Never edit a shipped entry: append. */
export const ORDER_MIGRATIONS: Migrations = {
  sqlite: [
    `
  CREATE TABLE orders (
    id                  TEXT PRIMARY KEY,
    user_id             TEXT NOT NULL,
    items               TEXT NOT NULL,
    total_cents         INTEGER NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('pending', 'completed', 'cancelled')),
    cancellation_code   TEXT,
    cancellation_reason TEXT,
    idempotency_key     TEXT UNIQUE,
    request_hash        TEXT,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
  );
  CREATE INDEX orders_by_status ON orders (status, created_at);
  CREATE TABLE order_history (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id TEXT NOT NULL REFERENCES orders (id),
    step     TEXT NOT NULL,
    detail   TEXT,
    at       TEXT NOT NULL
  );
  CREATE INDEX order_history_by_order ON order_history (order_id, id);
  `,
    // The trace of the request that placed the order (null when tracing is off).
    `ALTER TABLE orders ADD COLUMN trace_id TEXT;`,
    // The orchestrated saga's step (SAGA_MODE=orchestrated): charging, reserving, completed, cancelled; null when choreographed.
    `ALTER TABLE orders ADD COLUMN saga_step TEXT CHECK (saga_step IN ('charging', 'reserving', 'completed', 'cancelled'));`,
  ],
  postgres: [
    `
    CREATE TABLE orders (
      id                  TEXT PRIMARY KEY,
      user_id             TEXT NOT NULL,
      items               TEXT NOT NULL,
      total_cents         BIGINT NOT NULL,
      status              TEXT NOT NULL CHECK (status IN ('pending', 'completed', 'cancelled')),
      cancellation_code   TEXT,
      cancellation_reason TEXT,
      idempotency_key     TEXT UNIQUE,
      request_hash        TEXT,
      created_at          TEXT NOT NULL,
      updated_at          TEXT NOT NULL
    );
    CREATE INDEX orders_by_status ON orders (status, created_at);
    CREATE TABLE order_history (
      id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      order_id TEXT NOT NULL REFERENCES orders (id),
      step     TEXT NOT NULL,
      detail   TEXT,
      at       TEXT NOT NULL
    );
    CREATE INDEX order_history_by_order ON order_history (order_id, id);
    `,
    `ALTER TABLE orders ADD COLUMN trace_id TEXT;`,
    `ALTER TABLE orders ADD COLUMN saga_step TEXT CHECK (saga_step IN ('charging', 'reserving', 'completed', 'cancelled'));`,
  ],
};
