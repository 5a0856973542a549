import { Inject, Injectable } from '@nestjs/common';
import { topicOf, type OutboxMessage, type OutboxSource, OutboxRelay, type SagaEvent, type EventEnvelope } from '#kafka';
import { DATABASE, type Db } from './database.js';

export type Emit = (event: SagaEvent) => void;

/** The outbox table, as the relay reads it. */
@Injectable()
export class OutboxStore implements OutboxSource {
  private readonly insert;
  private readonly select;
  private readonly remove;

  constructor(@Inject(DATABASE) db: Db) {
    this.insert = db.prepare('INSERT INTO outbox (topic, key, value, created_at) VALUES (?, ?, ?, ?)');
    this.select = db.prepare<[number], OutboxMessage>('SELECT id, topic, key, value FROM outbox ORDER BY id LIMIT ?');
    this.remove = db.prepare('DELETE FROM outbox WHERE id = ?');
  }

  add(event: SagaEvent): void {
    this.insert.run(topicOf(event.type), event.correlationId, JSON.stringify(event), new Date().toISOString());
  }

  pending(limit: number): OutboxMessage[] {
    return this.select.all(limit);
  }

  markPublished(ids: number[]): void {
    for (const id of ids) this.remove.run(id);
  }
}

/**
 * One local transaction for a state change and the events it causes (the
 * transactional outbox), and, for a consumed event, the record that it was
 * applied (the idempotent consumer). Events are published right after commit.
 */
@Injectable()
export class UnitOfWork {
  private readonly markProcessed;

  constructor(
    @Inject(DATABASE) private readonly db: Db,
    private readonly outbox: OutboxStore,
    private readonly relay: OutboxRelay,
  ) {
    this.markProcessed = db.prepare('INSERT OR IGNORE INTO processed_events (event_id, type, processed_at) VALUES (?, ?, ?)');
  }

  /** Runs `work` in a transaction; events it emits are committed with it. */
  commit<R>(work: (emit: Emit) => R): R {
    const result = this.db.transaction(() => work((event) => this.outbox.add(event)))();
    this.relay.notify();
    return result;
  }

  /**
   * Applies a consumed event exactly once: returns false (and changes nothing) if
   * this event id was applied before, whether Kafka redelivered it or a producer
   * published it twice.
   */
  applyOnce(event: EventEnvelope, work: (emit: Emit) => void): boolean {
    return this.commit((emit) => {
      const firstTime = this.markProcessed.run(event.eventId, event.type, new Date().toISOString()).changes === 1;
      if (firstTime) work(emit);
      return firstTime;
    });
  }
}
