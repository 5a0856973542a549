import type { EventOf, EventType, SagaEvent } from '#contracts';
import type { Decider } from '#domain';
import type { EventReactor } from './consumer/event-reactor.js';
import type { Participant, UnitOfWork } from './unit-of-work.js';

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

  abstract context(): Context;
  abstract load(orderId: string): Promise<State>;
  abstract save(state: State, before: State, events: readonly SagaEvent[]): Promise<void>;
}
