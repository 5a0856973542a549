import type Database from 'better-sqlite3';
import type { SagaEvent, Topics } from '#contracts';
import type { OutboxMessage, OutboxSource } from './outbox-relay.js';

/** The transactional outbox: events committed with the state change that caused them, until Kafka has them. */
export const OUTBOX_TABLE = `
  CREATE TABLE IF NOT EXISTS outbox (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    topic      TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
`;

/** The outbox table: written inside the unit of work, read and emptied by the relay. */
export class OutboxStore implements OutboxSource {
  private readonly insert;
  private readonly select;
  private readonly remove;

  constructor(
    db: Database.Database,
    private readonly topics: Topics,
  ) {
    this.insert = db.prepare('INSERT INTO outbox (topic, key, value, created_at) VALUES (?, ?, ?, ?)');
    this.select = db.prepare<[number], OutboxMessage>('SELECT id, topic, key, value FROM outbox ORDER BY id LIMIT ?');
    this.remove = db.prepare('DELETE FROM outbox WHERE id = ?');
  }

  add(event: SagaEvent): void {
    this.insert.run(this.topics.of(event.type), event.correlationId, JSON.stringify(event), new Date().toISOString());
  }

  pending(limit: number): OutboxMessage[] {
    return this.select.all(limit);
  }

  markPublished(ids: number[]): void {
    for (const id of ids) this.remove.run(id);
  }
}
