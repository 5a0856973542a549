import { Topics, type EventOf, type SagaEvent } from '#contracts';
import { next, orderCreated } from '#contracts/testing';
import { testBackends, type TestDatabase } from '#database/testing';
import type { Decider } from '#domain';
import { Inbox, INBOX_TABLE } from './inbox/inbox.js';
import { OutboxRelay } from './outbox/outbox-relay.js';
import { OUTBOX_TABLE, OutboxStore } from './outbox/outbox-store.js';
import { UnitOfWork, type Participant } from './unit-of-work.js';

/** A participant that counts the orders it saw created and answers each with PaymentCompleted (but those it `refuses`: it throws). */
class CountingParticipant implements Participant<number, EventOf<'OrderCreated'>, EventOf<'PaymentCompleted'>, { amountCents: number }> {
  committed?: (state: number) => void;
  constructor(private readonly refuses: (event: SagaEvent) => boolean = () => false) {}
  readonly saved: Array<{ state: number; events: readonly SagaEvent[] }> = [];
  readonly decider: Decider<number, EventOf<'OrderCreated'>, EventOf<'PaymentCompleted'>, { amountCents: number }> = {
    decide: (_count, event, { amountCents }) => {
      if (this.refuses(event)) throw new Error(`cannot decide on ${event.eventId}`);
      return [next(event, 'PaymentCompleted', { paymentId: event.eventId, amountCents, items: event.payload.items })];
    },
    evolve: (count, event) => (event.type === 'OrderCreated' ? count + 1 : count),
  };
  context() {
    return { amountCents: 6000 };
  }
  load(): Promise<number> {
    return Promise.resolve(this.saved.at(-1)?.state ?? 0);
  }
  save(state: number, _before: number, events: readonly SagaEvent[]): Promise<void> {
    this.saved.push({ state, events });
    return Promise.resolve();
  }
}

interface Tables {
  things: { id: string };
}

const MIGRATIONS = { sqlite: ['CREATE TABLE things (id TEXT PRIMARY KEY)'], postgres: ['CREATE TABLE things (id TEXT PRIMARY KEY)'] };

/** The outbox and the inbox around one transaction, on each backend. */
describe.each(testBackends())('UnitOfWork on $dialect', (backend) => {
  let test: TestDatabase<unknown>;
  let outbox: OutboxStore;
  let unitOfWork: UnitOfWork;

  beforeEach(async () => {
    test = await backend.open({ migrations: MIGRATIONS, plumbing: [OUTBOX_TABLE, INBOX_TABLE] });
    outbox = new OutboxStore(test.database, new Topics('test.'));
    unitOfWork = new UnitOfWork(test.database, outbox, new OutboxRelay(outbox), new Inbox(test.database));
  });
  afterEach(() => test.dispose());

  const tables = () => test.database.withTables<Tables>().query;
  const insertThing = (id: string) => tables().insertInto('things').values({ id }).execute();
  const things = async () => (await tables().selectFrom('things').selectAll().execute()).length;

  it('commits the state change and its events together, on the topic of their type', async () => {
    const event = orderCreated();
    await unitOfWork.commit(async (emit) => {
      await insertThing('a');
      emit(event);
    });

    expect(await things()).toBe(1);
    expect(await outbox.pending(10)).toEqual([
      expect.objectContaining({ topic: 'test.order.created', key: event.correlationId, value: JSON.stringify(event) }),
    ]);
  });

  it('rolls back both when the work throws', async () => {
    await expect(
      unitOfWork.commit(async (emit) => {
        await insertThing('a');
        emit(orderCreated());
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');

    expect(await things()).toBe(0);
    expect(await outbox.pending(10)).toEqual([]);
  });

  it('does not mark an event applied when reacting to it failed, so a retry can apply it', async () => {
    const event = orderCreated();
    let failing = true;
    const participant = new CountingParticipant(() => failing);

    await expect(unitOfWork.react(participant, event)).rejects.toThrow(`cannot decide on ${event.eventId}`);
    failing = false;

    expect(await unitOfWork.react(participant, event)).toBe(true);
    expect(participant.saved.map(({ state }) => state)).toEqual([1]);
  });

  it('drives a participant: loads, decides, evolves by the consumed and emitted events, saves and emits, once', async () => {
    const participant = new CountingParticipant();
    const created = orderCreated();

    expect(await unitOfWork.react(participant, created)).toBe(true);
    expect(await unitOfWork.react(participant, created)).toBe(false);

    expect(participant.saved).toEqual([
      { state: 1, events: [created, expect.objectContaining({ type: 'PaymentCompleted', causationId: created.eventId })] },
    ]);
    expect((await outbox.pending(10)).map((row) => row.topic)).toEqual(['test.payment.completed']);
  });

  it('drives a participant through a batch in one transaction: each event once, in order, seeing what the ones before saved', async () => {
    const participant = new CountingParticipant();
    const committed: number[] = [];
    participant.committed = (state: number) => committed.push(state);
    const [first, second] = [orderCreated(), orderCreated()];

    expect(await unitOfWork.reactAll(participant, [first, first, null, second])).toEqual([true, false, false, true]);
    expect(await unitOfWork.reactAll(participant, [second])).toEqual([false]);

    expect(participant.saved.map(({ state }) => state)).toEqual([1, 2]);
    expect(committed).toEqual([1, 2]);
    expect((await outbox.pending(10)).map((row) => JSON.parse(row.value).causationId)).toEqual([first.eventId, second.eventId]);
  });

  it('applies none of a batch when one of its events fails, so that each can be applied again', async () => {
    const [first, poisoned] = [orderCreated(), orderCreated()];
    const participant = new CountingParticipant((event) => event.eventId === poisoned.eventId);

    await expect(unitOfWork.reactAll(participant, [first, poisoned])).rejects.toThrow(`cannot decide on ${poisoned.eventId}`);

    expect(await outbox.pending(10)).toEqual([]);
    expect(await unitOfWork.reactAll(participant, [first])).toEqual([true]);
  });

  it('drives a decision that no event caused, saving only when it emits', async () => {
    const participant = new CountingParticipant();
    const created = orderCreated();
    const paid = next(created, 'PaymentCompleted', { paymentId: created.eventId, amountCents: 1, items: created.payload.items });

    expect(await unitOfWork.decide(participant, created.correlationId, () => [])).toEqual([]);
    expect(await unitOfWork.decide(participant, created.correlationId, () => [paid])).toEqual([paid]);

    expect(participant.saved).toEqual([{ state: 0, events: [paid] }]);
    expect(await outbox.pending(10)).toHaveLength(1);
  });
});
