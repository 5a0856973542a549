import type { SagaMode } from '#contracts';
import { recordFailure, type ScenarioResult } from './measure.js';

/** `FAULTS_QUICK=1` (or `npm run test:faults -- --quick`): the short version CI runs, fewer orders and a subset of scenarios. */
export const QUICK = process.env.FAULTS_QUICK === '1';
/** Orders per scenario. */
export const FAULT_ORDERS = Number(process.env.FAULT_ORDERS ?? (QUICK ? 60 : 300));

/** The services' environment in the fault suite: the saga mode, no simulated failures, stock that never runs out. */
export function faultEnv(mode: SagaMode, extra: Record<string, string> = {}): Record<string, string> {
  return {
    SAGA_MODE: mode,
    PAYMENT_FAILURE_RATE: '0',
    INVENTORY_FAILURE_RATE: '0',
    INITIAL_STOCK: 'prod-1:1000000,prod-2:1000000,prod-3:1000000',
    ...extra,
  };
}

/**
 * One scenario, in each saga mode: a Jest test per mode that resolves to its measured result
 * and fails with the result's problems ("N name" choreographed, "N name, orchestrated"). A
 * scenario that breaks before it measures is recorded as failed. `quick: false` leaves it
 * out of the quick run; `quickOrchestrated: true` keeps its orchestrated run in the quick one
 * (which otherwise runs the choreographed saga only, to keep CI's time).
 *
 * The full run (the one docs/reliability.md quotes) runs one scenario at a time. The quick run
 * starts its scenarios together, as many at once as Jest's `--maxConcurrency` (4, set by
 * `npm run test:faults -- --quick`): each runs its own copy of the system under its own topic
 * prefix, so only their times to recover feel each other. A scenario with `alone: true` (the
 * broker kill, which every other one would feel) is a plain test: Jest runs it after the
 * concurrent ones of its describe block have all ended, so it must be declared after them.
 */
export function scenario(
  name: string,
  { quick, quickOrchestrated = false, alone = false }: { quick: boolean; quickOrchestrated?: boolean; alone?: boolean },
  body: (name: string, mode: SagaMode) => Promise<ScenarioResult>,
  timeoutMs = 900_000,
) {
  const modes: Array<[SagaMode, string, boolean]> = [
    ['choreographed', name, quick],
    ['orchestrated', `${name}, orchestrated`, quick && quickOrchestrated],
  ];
  for (const [mode, title, inQuickRun] of modes) {
    const run = !QUICK ? it : !inQuickRun ? it.skip : alone ? it : it.concurrent;
    run(
      title,
      async () => {
        let result: ScenarioResult;
        try {
          result = await body(title, mode);
        } catch (error) {
          recordFailure(title, error);
          throw error;
        }
        expect(result.problems).toEqual([]);
      },
      timeoutMs,
    );
  }
}
