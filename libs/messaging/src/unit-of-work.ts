import type { SagaEvent } from '#contracts';
import type { Database } from '#database';
import { react, type Decider, type Reaction } from '#domain';
import type { Inbox } from './inbox/inbox.js';
import type { OutboxRelay } from './outbox/outbox-relay.js';
import type { OutboxStore } from './outbox/outbox-store.js';

export type Emit = (event: SagaEvent) => void;

/**
 * A saga participant as the unit of work drives it: its pure decider, and how its
 * state for one order is read and written. `load` and `save` run inside the
 * transaction, so what they read is what the decision is based on.
 */
export interface Participant<State, Input extends SagaEvent, Output extends SagaEvent, Context> {
  readonly decider: Decider<State, Input, Output, Context>;
  /** The clock and the settings the decider needs. */
  context(): Context;
  load(orderId: string): Promise<State>;
  /** Writes the new state. `events`: the consumed event (if any), then the emitted ones. */
  save(state: State, before: State, events: readonly SagaEvent[]): Promise<void>;
  /** After the transaction committed (once, however often it ran): the new state and the events it emitted. */
  committed?(state: State, emitted: readonly Output[]): void;
}

/**
 * One local transaction for a state change and the events it causes (the
 * transactional outbox), and, for a consumed event, the record that it was
 * applied (the inbox: an idempotent consumer). Events are published right after
 * commit. On PostgreSQL a transaction that loses a conflict with another instance
 * runs again from the start (see Database.transaction), so `work` must do nothing
 * but database work and emit.
 */
export class UnitOfWork {
  constructor(
    private readonly database: Database,
    private readonly outbox: OutboxStore,
    private readonly relay: OutboxRelay,
    private readonly inbox: Inbox,
  ) {}

  /** Runs `work` in a transaction; events it emits are committed with it. */
  async commit<R>(work: (emit: Emit) => Promise<R>): Promise<R> {
    const result = await this.database.transaction(async () => {
      const emitted: SagaEvent[] = [];
      const value = await work((event) => emitted.push(event));
      await this.outbox.add(emitted);
      return value;
    });
    this.relay.notify();
    return result;
  }

  /**
   * A participant's reaction to a consumed event, exactly once: load → decide → evolve → save →
   * emit, in one transaction. Resolves to false (and changes nothing) if this event id was
   * applied before, whether Kafka redelivered it or a producer published it twice.
   */
  async react<S, I extends SagaEvent, O extends SagaEvent, C>(participant: Participant<S, I, O, C>, event: I): Promise<boolean> {
    const [applied] = await this.reactAll(participant, [event]);
    return applied;
  }

  /**
   * A participant's reactions to consecutive events of one partition, in one transaction: each
   * as `react` would (once, in order, an event seeing the state its predecessors saved), with
   * one commit and one outbox write for all. Resolves to whether each was applied (null, a
   * message already dead-lettered: false). If any fails, none is: the transaction rolls back.
   */
  async reactAll<S, I extends SagaEvent, O extends SagaEvent, C>(
    participant: Participant<S, I, O, C>,
    events: ReadonlyArray<I | null>,
  ): Promise<boolean[]> {
    if (events.every((event) => event === null)) return events.map(() => false);
    let reactions: Array<Reaction<S, O> | null> = []; // the last run's: the one that committed
    await this.commit(async (emit) => {
      reactions = [];
      for (const event of events) {
        if (event === null || !(await this.inbox.firstDelivery(event))) {
          reactions.push(null);
          continue;
        }
        const before = await participant.load(event.correlationId);
        const reaction = react(participant.decider, before, event, participant.context());
        await participant.save(reaction.state, before, [event, ...reaction.events]);
        reaction.events.forEach(emit);
        reactions.push(reaction);
      }
    });
    for (const reaction of reactions) if (reaction) participant.committed?.(reaction.state, reaction.events);
    return reactions.map((reaction) => reaction !== null);
  }

  /**
   * A decision that no consumed event caused (the saga timeout): load → decide →
   * evolve → save → emit for one order, in one transaction. Resolves to the emitted events.
   */
  async decide<S, I extends SagaEvent, O extends SagaEvent, C>(
    participant: Participant<S, I, O, C>,
    orderId: string,
    decision: (state: S, context: C) => O[],
  ): Promise<O[]> {
    const { events, state } = await this.commit(async (emit) => {
      const before = await participant.load(orderId);
      const events = decision(before, participant.context());
      const state = events.reduce<S>(participant.decider.evolve, before);
      if (events.length > 0) await participant.save(state, before, events);
      events.forEach(emit);
      return { events, state };
    });
    if (events.length > 0) participant.committed?.(state, events);
    return events;
  }
}
