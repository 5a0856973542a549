/** analytics-service schema; entry i is schema version i + 1. Never edit a shipped entry: append. */
export const ANALYTICS_MIGRATIONS: readonly string[] = [
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
];
