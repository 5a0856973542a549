import { eventually, getOrder, getPayment, ORDER, placeOrder, waitForTerminal } from './support/http.js';
import { assertInvariants } from './support/invariants.js';
import { SagaSystem, sagaVariants, sleep } from './support/saga-system.js';

const SAGA_TIMEOUT_MS = 15_000;

/**
 * A saga times out only when no outcome reached Kafka in time, whatever order-service
 * was doing meanwhile. Here inventory is down while 20 orders are paid; order-service is
 * SIGKILLed 8 s before their deadline; inventory comes back and reserves them all before
 * the deadline; order-service restarts at once, and its consumer only rejoins (the dead
 * member holds the group for its 10 s session) after the deadline has passed. Orchestrated,
 * the same: the ReserveStock commands wait on their topic for inventory, and the timeout is
 * the orchestrator's.
 */
describe.each(sagaVariants())('the saga timeout across a restart of order-service, on %s, %s', (backend, mode) => {
  let system: SagaSystem;
  beforeAll(async () => {
    system = await SagaSystem.start({
      backend,
      env: { SAGA_MODE: mode, PAYMENT_FAILURE_RATE: '0', INVENTORY_FAILURE_RATE: '0', SAGA_TIMEOUT_MS: String(SAGA_TIMEOUT_MS) },
    });
  });
  afterAll(() => system?.stop());

  it('completes the orders whose outcome reached Kafka in time, and refunds none', async () => {
    await system.stopService('inventory-service');
    const placedAt = Date.now();
    const orderIds = await Promise.all(Array.from({ length: 20 }, () => placeOrder(system, ORDER)));
    await eventually(
      () => Promise.all(orderIds.map((orderId) => getPayment(system, orderId))),
      (payments) => payments.every((payment) => payment.status === 200 && payment.body.status === 'completed'),
      10_000,
      'every order paid',
    );

    await sleep(Math.max(0, placedAt + SAGA_TIMEOUT_MS - 8_000 - Date.now()));
    await system.stopService('order-service', 'SIGKILL');
    await system.startService('inventory-service');
    await system.startService('order-service');

    for (const orderId of orderIds) await waitForTerminal(system, orderId, performance.now(), 60_000);
    const orders = await Promise.all(orderIds.map((orderId) => getOrder(system, orderId)));
    expect(Date.now() - placedAt).toBeGreaterThan(SAGA_TIMEOUT_MS);
    expect(orders.map((order) => `${order.status} ${order.cancellationCode ?? ''}`.trim())).toEqual(orderIds.map(() => 'completed'));
    await assertInvariants(system, orderIds);
  });
});
