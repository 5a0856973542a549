import type { Generated } from 'kysely';
import type { SagaEvent, Topics } from '#contracts';
import type { Database, PlumbingTable } from '#database';
import { traceHeaders } from '../tracing.js';
import type { OutboxMessage, OutboxSource } from './outbox-relay.js';

/** The transactional outbox: events committed with the state change that caused them, until Kafka has them. */
export const OUTBOX_TABLE: PlumbingTable = {
  sqlite: `
    CREATE TABLE IF NOT EXISTS outbox (
      id         INTEGER PRIMARY KEY AUTOINCREMENT,
      topic      TEXT NOT NULL,
      key        TEXT NOT NULL,
      value      TEXT NOT NULL,
      created_at TEXT NOT NULL,
      headers    TEXT
    )`,
  postgres: `
    CREATE TABLE IF NOT EXISTS outbox (
      id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      topic      TEXT NOT NULL,
      key        TEXT NOT NULL,
      value      TEXT NOT NULL,
      created_at TEXT NOT NULL,
      headers    TEXT
    )`,
  // `headers` (the trace context the row was written under, as JSON) came later.
  addedColumns: [{ table: 'outbox', column: 'headers', type: 'TEXT' }],
};

export interface OutboxTables {
  outbox: { id: Generated<number>; topic: string; key: string; value: string; created_at: string; headers: string | null };
}

/** The outbox table: written inside the unit of work, read and emptied by the relay. */
export class OutboxStore implements OutboxSource {
  private readonly database: Database<OutboxTables>;

  constructor(
    database: Database,
    private readonly topics: Topics,
  ) {
    this.database = database.withTables<OutboxTables>();
  }

  /** Adds the events to the outbox, in the transaction in progress. */
  async add(events: readonly SagaEvent[]): Promise<void> {
    if (events.length === 0) return;
    const createdAt = new Date().toISOString();
    const trace = traceHeaders();
    const headers = trace && JSON.stringify(trace);
    const rows = events.map((event) => ({
      topic: this.topics.of(event.type),
      key: event.correlationId,
      value: JSON.stringify(event),
      created_at: createdAt,
      headers,
    }));
    await this.database.query.insertInto('outbox').values(rows).execute();
  }

  pending(limit: number): Promise<OutboxMessage[]> {
    return this.database.query
      .selectFrom('outbox')
      .select(['id', 'topic', 'key', 'value', 'created_at as createdAt', 'headers'])
      .orderBy('id')
      .limit(limit)
      .execute();
  }

  /** How many events wait to be published. */
  async count(): Promise<number> {
    const { count } = await this.database.query
      .selectFrom('outbox')
      .select((select) => select.fn.countAll<number | string>().as('count'))
      .executeTakeFirstOrThrow();
    return Number(count);
  }

  async markPublished(ids: number[]): Promise<void> {
    await this.database.query.deleteFrom('outbox').where('id', 'in', ids).execute();
  }

  /** One relay at a time across the instances sharing this database: the rows go out in order. */
  async exclusively(work: () => Promise<void>): Promise<boolean> {
    const ran = await this.database.exclusively('outbox-relay', async () => {
      await work();
      return true;
    });
    return ran ?? false;
  }
}
