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
    // Restocks (POST /inventory/restock): a ledger of each, and their sum on the product. SQLite
    // cannot change a CHECK constraint in place, so the products table is rebuilt.
    `
  CREATE TABLE products_v2 (
    product_id TEXT PRIMARY KEY,
    initial    INTEGER NOT NULL CHECK (initial >= 0),
    restocked  INTEGER NOT NULL DEFAULT 0 CHECK (restocked >= 0),
    available  INTEGER NOT NULL CHECK (available >= 0),
    reserved   INTEGER NOT NULL CHECK (reserved >= 0),
    CHECK (available + reserved = initial + restocked)
  );
  INSERT INTO products_v2 (product_id, initial, restocked, available, reserved)
    SELECT product_id, initial, 0, available, reserved FROM products;
  DROP TABLE products;
  ALTER TABLE products_v2 RENAME TO products;
  CREATE TABLE restocks (
    restock_id   TEXT PRIMARY KEY,
    product_id   TEXT NOT NULL REFERENCES products (product_id),
    quantity     INTEGER NOT NULL CHECK (quantity > 0),
    restocked_at TEXT NOT NULL
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
    `
    ALTER TABLE products ADD COLUMN restocked INTEGER NOT NULL DEFAULT 0 CHECK (restocked >= 0);
    ALTER TABLE products DROP CONSTRAINT products_check;
    ALTER TABLE products ADD CONSTRAINT products_stock_conserved CHECK (available + reserved = initial + restocked);
    CREATE TABLE restocks (
      restock_id   TEXT PRIMARY KEY,
      product_id   TEXT NOT NULL REFERENCES products (product_id),
      quantity     INTEGER NOT NULL CHECK (quantity > 0),
      restocked_at TEXT NOT NULL
    );
    `,
  ],
};
