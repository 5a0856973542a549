import { SagaSystem, sagaVariants } from './support/saga-system.js';
import {
  eventually,
  getAnalytics,
  getOrder,
  getPayment,
  getReservation,
  getStock,
  ORDER,
  placeOrder,
  waitForTerminal,
} from './support/http.js';
import { assertInvariants } from './support/invariants.js';

describe.each(sagaVariants())('compensation when the payment fails, on %s, %s', (backend, mode) => {
  let system: SagaSystem;
  beforeAll(async () => {
    system = await SagaSystem.start({ backend, env: { SAGA_MODE: mode, PAYMENT_FAILURE_RATE: '1', INVENTORY_FAILURE_RATE: '0' } });
  });
  afterAll(() => system?.stop());

  it('cancels the order, charges nothing and reserves nothing', async () => {
    const started = performance.now();
    const orderId = await placeOrder(system, ORDER);

    const { order, elapsedMs } = await waitForTerminal(system, orderId, started);
    console.log(`payment-failure path: POST → cancelled in ${elapsedMs.toFixed(0)} ms`);

    expect(order).toMatchObject({ status: 'cancelled', cancellationCode: 'PAYMENT.DECLINED' });
    expect(order.cancellationReason).toContain('payment failed');
    expect((await getPayment(system, orderId)).body.status).toBe('failed');
    const reservation = await getReservation(system, orderId);
    // Absent, or the tombstone inventory writes when it sees the cancellation first.
    expect(reservation.status === 404 || reservation.body.status === 'cancelled').toBe(true);
    expect((await getStock(system))['prod-1']).toMatchObject({ available: 100, reserved: 0 });
    await assertInvariants(system, [orderId]);
  });
});

describe.each(sagaVariants())('compensation when the inventory fails after payment, on %s, %s', (backend, mode) => {
  let system: SagaSystem;
  beforeAll(async () => {
    system = await SagaSystem.start({ backend, env: { SAGA_MODE: mode, PAYMENT_FAILURE_RATE: '0', INVENTORY_FAILURE_RATE: '1' } });
  });
  afterAll(() => system?.stop());

  it('refunds the payment exactly once, cancels the order and holds no stock', async () => {
    const started = performance.now();
    const orderId = await placeOrder(system, ORDER);

    const { order, elapsedMs } = await waitForTerminal(system, orderId, started);
    console.log(`inventory-failure path: POST → cancelled in ${elapsedMs.toFixed(0)} ms`);

    expect(order).toMatchObject({ status: 'cancelled', cancellationCode: 'INVENTORY.SIMULATED_FAILURE' });
    const payment = await eventually(
      () => getPayment(system, orderId),
      (p) => p.body.status === 'refunded',
    );
    expect(payment.body.amount).toBe(50);
    expect((await getReservation(system, orderId)).body.status).toBe('failed');
    expect((await getStock(system))['prod-1']).toMatchObject({ available: 100, reserved: 0 });
    const analytics = await eventually(
      () => getAnalytics(system),
      (a) => a.refunds === 1 && a.failedOrders === 1,
    );
    expect(analytics).toMatchObject({ totalRevenue: 50, refundedAmount: 50, netRevenue: 0, successfulOrders: 0 });
    await assertInvariants(system, [orderId]);
  });
});

describe.each(sagaVariants())('compensation when the saga times out, on %s, %s', (backend, mode) => {
  let system: SagaSystem;
  beforeAll(async () => {
    system = await SagaSystem.start({
      backend,
      env: { SAGA_MODE: mode, PAYMENT_FAILURE_RATE: '0', INVENTORY_FAILURE_RATE: '0', SAGA_TIMEOUT_MS: '3000' },
    });
  });
  afterAll(() => system?.stop());

  it('cancels an order stuck behind a stopped service, refunds it, and holds no stock once the service is back', async () => {
    await system.stopService('inventory-service');
    const orderId = await placeOrder(system, ORDER);
    // Charged before the deadline (3 s): the saga is then stuck at the reservation, where this test wants it.
    await eventually(
      () => getPayment(system, orderId),
      (p) => p.status === 200 && ['completed', 'refunded'].includes(p.body.status),
    );

    const { order } = await waitForTerminal(system, orderId);
    expect(order).toMatchObject({ status: 'cancelled', cancellationCode: 'SAGA.TIMEOUT' });
    await eventually(
      () => getPayment(system, orderId),
      (p) => p.body.status === 'refunded',
    );

    await system.startService('inventory-service');
    // Inventory now reads what waited for it, in either order: PaymentCompleted and OrderCancelled
    // (orchestrated: ReserveStock and ReleaseStock). A reservation made from the first is
    // released by the second, or the second leaves a tombstone first.
    const reservation = await eventually(
      () => getReservation(system, orderId),
      (r) => ['released', 'cancelled'].includes(r.body.status),
    );
    expect(reservation.body.status).toMatch(/released|cancelled/);
    expect((await getStock(system))['prod-1']).toMatchObject({ available: 100, reserved: 0 });
    expect((await getOrder(system, orderId)).status).toBe('cancelled');
    await assertInvariants(system, [orderId]);
  });
});
