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

/** Pruning reads the inbox by age. */
export const INBOX_AGE_INDEX: PlumbingTable = {
  sqlite: 'CREATE INDEX IF NOT EXISTS processed_events_by_age ON processed_events (processed_at)',
  postgres: 'CREATE INDEX IF NOT EXISTS processed_events_by_age ON processed_events (processed_at)',
};

/** Rows deleted per statement when pruning: short transactions, whatever the backlog. */
const PRUNE_BATCH = 5_000;

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

  /** Forgets the events applied before `before`; resolves to how many. (ISO times in UTC sort as text.) */
  async prune(before: Date): Promise<number> {
    let pruned = 0;
    for (;;) {
      const oldest = this.database.query
        .selectFrom('processed_events')
        .select('event_id')
        .where('processed_at', '<', before.toISOString())
        .limit(PRUNE_BATCH);
      const result = await this.database.query.deleteFrom('processed_events').where('event_id', 'in', oldest).executeTakeFirst();
      const deleted = Number(result.numDeletedRows);
      pruned += deleted;
      if (deleted < PRUNE_BATCH) return pruned;
    }
  }
}
