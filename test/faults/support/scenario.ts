import { recordFailure, type ScenarioResult } from './measure.js';

/** `FAULTS_QUICK=1` (or `npm run test:faults -- --quick`): the short version CI runs, fewer orders and a subset of scenarios. */
export const QUICK = process.env.FAULTS_QUICK === '1';
/** Orders per scenario. */
export const FAULT_ORDERS = Number(process.env.FAULT_ORDERS ?? (QUICK ? 60 : 300));

/** The services' environment in the fault suite: no simulated failures, stock that never runs out. */
export function faultEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PAYMENT_FAILURE_RATE: '0',
    INVENTORY_FAILURE_RATE: '0',
    INITIAL_STOCK: 'prod-1:1000000,prod-2:1000000,prod-3:1000000',
    ...extra,
  };
}

/**
 * One scenario: a Jest test that resolves to its measured result and fails with the
 * result's problems. A scenario that breaks before it measures is recorded as failed.
 * `quick: false` leaves it out of the quick run.
 */
export function scenario(
  name: string,
  { quick }: { quick: boolean },
  body: (name: string) => Promise<ScenarioResult>,
  timeoutMs = 900_000,
) {
  const run = QUICK && !quick ? it.skip : it;
  run(
    name,
    async () => {
      let result: ScenarioResult;
      try {
        result = await body(name);
      } catch (error) {
        recordFailure(name, error);
        throw error;
      }
      expect(result.problems).toEqual([]);
    },
    timeoutMs,
  );
}
