import { resolve } from 'node:path';
import { runCommand } from './support/run-command.js';
import { SagaSystem } from './support/saga-system.js';

const ROOT = resolve(import.meta.dirname, '..', '..');

/**
 * ./test-saga.sh works unchanged against the orchestrated saga (SAGA_MODE=orchestrated) at the
 * default failure rates: the same API, the same paths, the same invariants. (The README's own
 * ./test-saga.sh block runs against the choreographed saga in readme.e2e-spec.ts.)
 */
describe('./test-saga.sh against the orchestrated saga', () => {
  let system: SagaSystem;
  beforeAll(async () => {
    system = await SagaSystem.start({ env: { SAGA_MODE: 'orchestrated' } });
  });
  afterAll(() => system?.stop());

  it('passes every check, with the paths of the default failure rates', async () => {
    const { code, output } = await runCommand(resolve(ROOT, 'test-saga.sh'), [], {
      ORDERS: '60',
      ORDER_URL: system.url('order-service'),
      PAYMENT_URL: system.url('payment-service'),
      INVENTORY_URL: system.url('inventory-service'),
      ANALYTICS_URL: system.url('analytics-service'),
    });
    expect([code, output]).toEqual([0, expect.stringMatching(/\n\d+ passed, 0 failed\n?$/)]);
    // Every path of the default rates, the two compensations included (a 60-order run misses the refund path with p = 0.86^60 ≈ 1e-4).
    const mix = output.slice(output.indexOf('Path mix'));
    const count = (label: string) => Number(new RegExp(`^ {2}${label} +(\\d+) `, 'm').exec(mix)?.[1] ?? 0);
    for (const label of ['completed', 'cancelled, payment failed', 'cancelled after payment, refunded']) {
      expect([label, count(label) > 0]).toEqual([label, true]);
    }
  });
});
