import type { Migrations } from '#database';

/** payment-service schema in each dialect; entry i is schema version i + 1. Never edit a shipped entry: append. */
export const PAYMENT_MIGRATIONS: Migrations = {
  sqlite: [
    `
  CREATE TABLE payments (
    order_id     TEXT PRIMARY KEY,
    payment_id   TEXT,
    amount_cents INTEGER NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('completed', 'failed', 'refunded')),
    reason       TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
  );
  `,
  ],
  postgres: [
    `
    CREATE TABLE payments (
      order_id     TEXT PRIMARY KEY,
      payment_id   TEXT,
      amount_cents BIGINT NOT NULL,
      status       TEXT NOT NULL CHECK (status IN ('completed', 'failed', 'refunded')),
      reason       TEXT,
      created_at   TEXT NOT NULL,
      updated_at   TEXT NOT NULL
    );
    `,
  ],
};
