import type { SagaEvent } from '#contracts';

/**
 * The one shape of a saga participant's logic, as pure functions (after the
 * Decider pattern of event-sourced systems):
 *
 * - `decide(state, event, context)`: the events the participant emits in reaction
 *   to a consumed event, given what it knows of the order. No I/O: the context
 *   brings the clock and the settings.
 * - `evolve(state, event)`: the state after an event, first the consumed one, then
 *   each emitted one. A cancellation that arrives before the event it cancels is
 *   recorded here, as a tombstone in the state, so that the late event finds it.
 */
export interface Decider<State, Input extends SagaEvent, Output extends SagaEvent, Context> {
  readonly decide: (state: State, event: Input, context: Context) => Output[];
  readonly evolve: (state: State, event: Input | Output) => State;
}

/** What a participant does with one consumed event: the events it emits and its state afterwards. */
export interface Reaction<State, Output extends SagaEvent> {
  readonly events: Output[];
  readonly state: State;
}

/** decide, then evolve by the consumed event and each emitted one. */
export function react<State, Input extends SagaEvent, Output extends SagaEvent, Context>(
  decider: Decider<State, Input, Output, Context>,
  state: State,
  event: Input,
  context: Context,
): Reaction<State, Output> {
  const events = decider.decide(state, event, context);
  return { events, state: [event, ...events].reduce<State>(decider.evolve, state) };
}

/** Ends an exhaustive `switch` over a union: a case left out is a compile error. */
export function assertNever(value: never): never {
  throw new Error(`unhandled case ${JSON.stringify(value)}`);
}
