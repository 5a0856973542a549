import type Database from 'better-sqlite3';
import type { SagaEvent } from '#contracts';

/** The inbox: the id of every event a service applied, so that a redelivered one changes nothing. */
export const INBOX_TABLE = `
  CREATE TABLE IF NOT EXISTS processed_events (
    event_id     TEXT PRIMARY KEY,
    type         TEXT NOT NULL,
    processed_at TEXT NOT NULL
  );
`;

export class Inbox {
  private readonly insert;

  constructor(db: Database.Database) {
    this.insert = db.prepare('INSERT OR IGNORE INTO processed_events (event_id, type, processed_at) VALUES (?, ?, ?)');
  }

  /** Records the event as applied; false if it was applied before. Call inside the transaction that applies it. */
  firstDelivery(event: SagaEvent): boolean {
    return this.insert.run(event.eventId, event.type, new Date().toISOString()).changes === 1;
  }
}
