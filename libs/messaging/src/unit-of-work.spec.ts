import Database from 'better-sqlite3';
import { Topics, type EventOf, type SagaEvent } from '#contracts';
import { next, orderCreated } from '#contracts/testing';
import type { Decider } from '#domain';
import { Inbox, INBOX_TABLE } from './inbox/inbox.js';
import { OutboxRelay } from './outbox/outbox-relay.js';
import { OUTBOX_TABLE, OutboxStore } from './outbox/outbox-store.js';
import { UnitOfWork, type Participant } from './unit-of-work.js';

/** A participant that counts the orders it saw created and answers each with PaymentCompleted. */
class CountingParticipant implements Participant<number, EventOf<'OrderCreated'>, EventOf<'PaymentCompleted'>, { amountCents: number }> {
  readonly saved: Array<{ state: number; events: readonly SagaEvent[] }> = [];
  readonly decider: Decider<number, EventOf<'OrderCreated'>, EventOf<'PaymentCompleted'>, { amountCents: number }> = {
    decide: (_count, event, { amountCents }) => [
      next(event, 'PaymentCompleted', { paymentId: event.eventId, amountCents, items: event.payload.items }),
    ],
    evolve: (count, event) => (event.type === 'OrderCreated' ? count + 1 : count),
  };
  context() {
    return { amountCents: 6000 };
  }
  load(): number {
    return this.saved.at(-1)?.state ?? 0;
  }
  save(state: number, _before: number, events: readonly SagaEvent[]): void {
    this.saved.push({ state, events });
  }
}

/** The outbox and the inbox around one transaction, on a real (in-memory) SQLite database. */
describe('UnitOfWork', () => {
  let db: Database.Database;
  let outbox: OutboxStore;
  let unitOfWork: UnitOfWork;

  beforeEach(() => {
    db = new Database(':memory:');
    db.exec(OUTBOX_TABLE + INBOX_TABLE + 'CREATE TABLE things (id TEXT PRIMARY KEY);');
    outbox = new OutboxStore(db, new Topics('test.'));
    unitOfWork = new UnitOfWork(db, outbox, new OutboxRelay(outbox), new Inbox(db));
  });
  afterEach(() => db.close());

  const things = () => db.prepare('SELECT COUNT(*) AS n FROM things').get() as { n: number };

  it('commits the state change and its events together, on the topic of their type', () => {
    const event = orderCreated();
    unitOfWork.commit((emit) => {
      db.prepare('INSERT INTO things VALUES (?)').run('a');
      emit(event);
    });

    expect(things().n).toBe(1);
    expect(outbox.pending(10)).toEqual([
      expect.objectContaining({ topic: 'test.order.created', key: event.correlationId, value: JSON.stringify(event) }),
    ]);
  });

  it('rolls back both when the work throws', () => {
    expect(() =>
      unitOfWork.commit((emit) => {
        db.prepare('INSERT INTO things VALUES (?)').run('a');
        emit(orderCreated());
        throw new Error('boom');
      }),
    ).toThrow('boom');

    expect(things().n).toBe(0);
    expect(outbox.pending(10)).toEqual([]);
  });

  it('applies an event once, however often it is delivered', () => {
    const event = orderCreated();
    const apply = () => unitOfWork.applyOnce(event, () => void db.prepare('INSERT INTO things VALUES (?)').run(event.eventId));

    expect(apply()).toBe(true);
    expect(apply()).toBe(false);
    expect(things().n).toBe(1);
  });

  it('does not mark an event applied when applying it failed, so a retry can apply it', () => {
    const event = orderCreated();
    expect(() =>
      unitOfWork.applyOnce(event, () => {
        throw new Error('transient');
      }),
    ).toThrow('transient');
    expect(unitOfWork.applyOnce(event, () => void db.prepare('INSERT INTO things VALUES (?)').run('x'))).toBe(true);
  });

  it('drives a participant: loads, decides, evolves by the consumed and emitted events, saves and emits, once', () => {
    const participant = new CountingParticipant();
    const created = orderCreated();

    expect(unitOfWork.react(participant, created)).toBe(true);
    expect(unitOfWork.react(participant, created)).toBe(false);

    expect(participant.saved).toEqual([
      { state: 1, events: [created, expect.objectContaining({ type: 'PaymentCompleted', causationId: created.eventId })] },
    ]);
    expect(outbox.pending(10).map((row) => row.topic)).toEqual(['test.payment.completed']);
  });

  it('drives a decision that no event caused, saving only when it emits', () => {
    const participant = new CountingParticipant();
    const created = orderCreated();
    const paid = next(created, 'PaymentCompleted', { paymentId: created.eventId, amountCents: 1, items: created.payload.items });

    expect(unitOfWork.decide(participant, created.correlationId, () => [])).toEqual([]);
    expect(unitOfWork.decide(participant, created.correlationId, () => [paid])).toEqual([paid]);

    expect(participant.saved).toEqual([{ state: 0, events: [paid] }]);
    expect(outbox.pending(10)).toHaveLength(1);
  });
});
