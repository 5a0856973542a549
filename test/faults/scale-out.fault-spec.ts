import { SagaSystem, SERVICE_NAMES } from '../e2e/support/saga-system.js';
import { Load } from './support/load.js';
import { measure } from './support/measure.js';
import { FAULT_ORDERS, faultEnv, scenario } from './support/scenario.js';

const SAGA_TIMEOUT_MS = 60_000;

/**
 * Scenario 9: two instances of every service sharing their PostgreSQL database; one
 * instance of each is SIGKILLed mid-load and not restarted: the survivors take over its
 * partitions, its outbox rows and its HTTP traffic. Needs PostgreSQL (`npm run
 * test:faults` starts it); on one broker by default, on the three-broker cluster with
 * `npm run test:faults -- --scale-out`.
 */
const withPostgres = process.env.TEST_POSTGRES_URL ? describe : describe.skip;
if (!process.env.TEST_POSTGRES_URL) process.stdout.write('\n[faults] scenario 9 skipped: no PostgreSQL (TEST_POSTGRES_URL unset)\n');

withPostgres('fault suite, scale-out', () => {
  scenario('9 two instances of each service, one of each SIGKILLed', { quick: true }, async (name, mode) => {
    const system = await SagaSystem.start({
      backend: 'postgres',
      instances: 2,
      env: faultEnv(mode, { SAGA_TIMEOUT_MS: String(SAGA_TIMEOUT_MS) }),
    });
    try {
      const urls = [0, 1].map((instance) => system.url('order-service', '', instance));
      const load = new Load({ orders: FAULT_ORDERS, durationMs: 50_000, urls: () => urls, keyPrefix: `${system.prefix}order-` });
      let faultEndedAt = 0;
      for (const [index, service] of SERVICE_NAMES.entries()) {
        await load.untilFraction(0.15 + 0.15 * index);
        await system.stopService(service, 'SIGKILL', 0);
        faultEndedAt = Date.now();
      }
      return await measure(system, { scenario: name, load, faultEndedAt: () => faultEndedAt, quietTimeoutMs: SAGA_TIMEOUT_MS + 120_000 });
    } finally {
      await system.stop();
    }
  });
});
