import type { EventOf, EventType, SagaEvent } from '#contracts';
import type { Decider } from '#domain';
import type { EventReactor, FoldedMessage } from './consumer/event-reactor.js';
import type { Participant, UnitOfWork } from './unit-of-work.js';

/**
 * The most events one transaction applies: a bigger batch is split, so that the database's
 * one writer (SQLite) is not held for long while an HTTP request waits for it.
 */
export const FOLD_TRANSACTION_EVENTS = 100;

/**
 * The service of a saga participant: each consumed event goes through the unit of
 * work (load → decide → evolve → save → emit, exactly once). A subclass brings its
 * decider and says how its state for one order is loaded and saved, and what
 * context (clock, settings) its decider needs.
 */
export abstract class SagaParticipant<State, Input extends EventType, Output extends SagaEvent, Context>
  implements Participant<State, EventOf<Input>, Output, Context>, EventReactor<Input>
{
  protected constructor(
    readonly decider: Decider<State, EventOf<Input>, Output, Context>,
    protected readonly unitOfWork: UnitOfWork,
  ) {}

  /** Resolves to false if the event had been applied before. */
  react(event: EventOf<Input>): Promise<boolean> {
    return this.unitOfWork.react(this, event);
  }

  /**
   * A fetched batch of one partition: its events in transactions of up to FOLD_TRANSACTION_EVENTS,
   * instead of one each. If one fails, the consumer handles the batch again one event at a time
   * (with its retries and dead letters), and what the transactions before committed is then
   * found applied.
   */
  async fold(_topic: string, _partition: number, messages: readonly FoldedMessage<Input>[]): Promise<boolean[]> {
    const applied: boolean[] = [];
    for (let start = 0; start < messages.length; start += FOLD_TRANSACTION_EVENTS) {
      const events = messages.slice(start, start + FOLD_TRANSACTION_EVENTS).map(({ event }) => event);
      applied.push(...(await this.unitOfWork.reactAll(this, events)));
    }
    return applied;
  }

  abstract context(): Context;
  abstract load(orderId: string): Promise<State>;
  abstract save(state: State, before: State, events: readonly SagaEvent[]): Promise<void>;
}
