import type { SagaEvent } from '#contracts';
import type { Database, PlumbingTable } from '#database';

/** The inbox: the id of every event a service applied, so that a redelivered one changes nothing. */
export const INBOX_TABLE: PlumbingTable = {
  sqlite: `
    CREATE TABLE IF NOT EXISTS processed_events (
      event_id     TEXT PRIMARY KEY,
      type         TEXT NOT NULL,
      processed_at TEXT NOT NULL
    )`,
  postgres: `
    CREATE TABLE IF NOT EXISTS processed_events (
      event_id     TEXT PRIMARY KEY,
      type         TEXT NOT NULL,
      processed_at TEXT NOT NULL
    )`,
};

export interface InboxTables {
  processed_events: { event_id: string; type: string; processed_at: string };
}

export class Inbox {
  private readonly database: Database<InboxTables>;

  constructor(database: Database) {
    this.database = database.withTables<InboxTables>();
  }

  /** Records the event as applied; false if it was applied before. Call inside the transaction that applies it. */
  async firstDelivery(event: SagaEvent): Promise<boolean> {
    const result = await this.database.query
      .insertInto('processed_events')
      .values({ event_id: event.eventId, type: event.type, processed_at: new Date().toISOString() })
      .onConflict((conflict) => conflict.column('event_id').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }
}
