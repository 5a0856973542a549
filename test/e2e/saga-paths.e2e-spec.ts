import { SagaSystem, sagaVariants } from './support/saga-system.js';
import { eventually, getAnalytics, getPayment, getReservation, getStock, ORDER, placeOrder, waitForTerminal } from './support/http.js';
import { assertInvariants } from './support/invariants.js';

/** No simulated failures: every outcome here comes from real stock and real input. */
describe.each(sagaVariants())('saga paths without simulated failures, on %s, %s', (backend, mode) => {
  let system: SagaSystem;
  const placed: string[] = [];

  beforeAll(async () => {
    system = await SagaSystem.start({ backend, env: { SAGA_MODE: mode, PAYMENT_FAILURE_RATE: '0', INVENTORY_FAILURE_RATE: '0' } });
  });
  afterAll(() => system?.stop());

  it('completes an order: paid, stock reserved, counted by analytics', async () => {
    const started = performance.now();
    const orderId = await placeOrder(system, ORDER);
    placed.push(orderId);

    const { order, elapsedMs } = await waitForTerminal(system, orderId, started);
    console.log(`success path: POST → completed in ${elapsedMs.toFixed(0)} ms`);

    expect(order.status).toBe('completed');
    expect(order.sagaStep).toBe(mode === 'orchestrated' ? 'completed' : null);
    // Orchestrated, the history also holds the commands order-service sent.
    const commands = mode === 'orchestrated' ? ['ChargePayment', 'ReserveStock'] : [];
    expect(order.history.map((step: { step: string }) => step.step).sort()).toEqual(
      ['InventoryReserved', 'OrderCompleted', 'OrderCreated', 'PaymentCompleted', ...commands].sort(),
    );
    expect((await getPayment(system, orderId)).body).toMatchObject({ status: 'completed', amount: 50 });
    expect((await getReservation(system, orderId)).body).toMatchObject({ status: 'reserved' });
    expect((await getStock(system))['prod-1']).toMatchObject({ initial: 100, available: 98, reserved: 2 });
    const analytics = await eventually(
      () => getAnalytics(system),
      (a) => a.successfulOrders === 1,
    );
    expect(analytics).toMatchObject({ orderCount: 1, totalRevenue: 50, successRate: 100 });
  });

  it('cancels and refunds an order that asks for more than the stock, reserving nothing', async () => {
    const orderId = await placeOrder(system, {
      userId: 'user-123',
      items: [
        { productId: 'prod-1', quantity: 1, price: 10 },
        { productId: 'prod-3', quantity: 26, price: 1 },
      ],
    });
    placed.push(orderId);

    const { order } = await waitForTerminal(system, orderId);

    expect(order).toMatchObject({ status: 'cancelled', cancellationCode: 'INVENTORY.INSUFFICIENT_STOCK' });
    expect(order.cancellationReason).toContain('prod-3: 26 requested, 25 available');
    const payment = await eventually(
      () => getPayment(system, orderId),
      (p) => p.body.status === 'refunded',
    );
    expect(payment.body.amount).toBe(36);
    expect((await getReservation(system, orderId)).body.status).toBe('failed');
    const stock = await getStock(system);
    expect(stock['prod-3']).toMatchObject({ available: 25, reserved: 0 });
    expect(stock['prod-1']).toMatchObject({ available: 98, reserved: 2 });
  });

  it('cancels and refunds an order for an unknown product', async () => {
    const orderId = await placeOrder(system, { userId: 'user-123', items: [{ productId: 'prod-404', quantity: 1, price: 5 }] });
    placed.push(orderId);

    const { order } = await waitForTerminal(system, orderId);

    expect(order).toMatchObject({ status: 'cancelled', cancellationCode: 'INVENTORY.UNKNOWN_PRODUCT' });
    await eventually(
      () => getPayment(system, orderId),
      (p) => p.body.status === 'refunded',
    );
  });

  it('keeps every invariant', async () => {
    await eventually(
      () => getAnalytics(system),
      (a) => a.refunds === 2,
    );
    await assertInvariants(system, placed);
  });
});
