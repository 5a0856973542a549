import { FAILURE_CODES, type OrderItem } from '#contracts';
import { next, orderCreated } from '#contracts/testing';
import { react } from '#domain';
import { inventoryDecider, restocked, type InventoryContext, type InventoryState, type StockLevel } from './inventory.domain.js';

const NOW = new Date('2026-11-25T10:00:00.000Z');
const RELIABLE: InventoryContext = { now: NOW, warehouse: { failureRate: 0, simulationSeed: 'test' } };
const BROKEN: InventoryContext = { now: NOW, warehouse: { failureRate: 1, simulationSeed: 'test' } };

/** Given a shelf with these quantities available and no reservation for the order. */
function shelf(...levels: Array<[string, number]>): InventoryState {
  const stock = new Map(
    levels.map(([productId, available]): [string, StockLevel] => [
      productId,
      { productId, initial: available, restocked: 0, available, reserved: 0 },
    ]),
  );
  return { reservation: undefined, stock };
}

function paid(items: OrderItem[]) {
  const created = orderCreated(undefined, items);
  return next(created, 'PaymentCompleted', { paymentId: created.eventId, amountCents: created.payload.totalCents, items });
}

const item = (productId: string, quantity: number): OrderItem => ({ productId, quantity, unitPriceCents: 100 });
const level = (state: InventoryState, productId: string) => state.stock.get(productId);

describe('inventory participant', () => {
  it('given enough stock, when an order is paid, then every item is reserved and the stock moves', () => {
    const { events, state } = react(
      inventoryDecider,
      shelf(['prod-1', 10], ['prod-2', 1]),
      paid([item('prod-1', 2), item('prod-2', 1)]),
      RELIABLE,
    );

    expect(events.map((event) => event.type)).toEqual(['InventoryReserved']);
    expect(state.reservation?.status).toBe('reserved');
    expect(level(state, 'prod-1')).toMatchObject({ available: 8, reserved: 2 });
    expect(level(state, 'prod-2')).toMatchObject({ available: 0, reserved: 1 });
  });

  it('given one product short, when an order is paid, then nothing is reserved (all or nothing)', () => {
    const given = shelf(['prod-1', 100], ['prod-3', 25]);

    const { events, state } = react(inventoryDecider, given, paid([item('prod-1', 2), item('prod-3', 26)]), RELIABLE);

    expect(events).toEqual([
      expect.objectContaining({
        type: 'InventoryFailed',
        payload: expect.objectContaining({
          code: FAILURE_CODES.INVENTORY_INSUFFICIENT_STOCK,
          reason: 'prod-3: 26 requested, 25 available',
        }),
      }),
    ]);
    expect(state.stock).toEqual(given.stock);
    expect(state.reservation?.status).toBe('failed');
  });

  it('adds up a product listed twice before checking stock', () => {
    const { events } = react(inventoryDecider, shelf(['prod-1', 5]), paid([item('prod-1', 3), item('prod-1', 3)]), RELIABLE);
    expect(events.map((event) => event.type)).toEqual(['InventoryFailed']);
  });

  it('fails an unknown product', () => {
    const { events } = react(inventoryDecider, shelf(['prod-1', 5]), paid([item('prod-9', 1)]), RELIABLE);
    expect(events[0]).toMatchObject({ payload: { code: FAILURE_CODES.INVENTORY_UNKNOWN_PRODUCT, reason: 'unknown product prod-9' } });
  });

  it('fails when the simulated warehouse fails, whatever the stock', () => {
    const { events } = react(inventoryDecider, shelf(['prod-1', 5]), paid([item('prod-1', 1)]), BROKEN);
    expect(events[0]).toMatchObject({ payload: { code: FAILURE_CODES.INVENTORY_SIMULATED_FAILURE } });
  });

  it('given a reservation, when the same payment comes again, then nothing changes', () => {
    const payment = paid([item('prod-1', 1)]);
    const { state: reserved } = react(inventoryDecider, shelf(['prod-1', 5]), payment, RELIABLE);

    expect(react(inventoryDecider, reserved, payment, RELIABLE)).toEqual({ events: [], state: reserved });
  });

  it('given a reservation, when the order is cancelled, then the stock goes back on the shelf once', () => {
    const payment = paid([item('prod-1', 2)]);
    const { state: reserved } = react(inventoryDecider, shelf(['prod-1', 5]), payment, RELIABLE);
    const cancelled = next(payment, 'OrderCancelled', { code: FAILURE_CODES.SAGA_TIMEOUT, reason: 'no outcome' });

    const { events, state: released } = react(inventoryDecider, reserved, cancelled, RELIABLE);

    expect(events.map((event) => event.type)).toEqual(['InventoryReleased']);
    expect(released.reservation?.status).toBe('released');
    expect(level(released, 'prod-1')).toMatchObject({ available: 5, reserved: 0 });
    expect(react(inventoryDecider, released, cancelled, RELIABLE).events).toEqual([]);
  });

  it('given no reservation, when the order is cancelled first, then a tombstone makes the late payment reserve nothing', () => {
    const payment = paid([item('prod-1', 2)]);
    const cancelled = next(payment, 'OrderCancelled', { code: FAILURE_CODES.SAGA_TIMEOUT, reason: 'no outcome' });

    const { events, state: tombstone } = react(inventoryDecider, shelf(['prod-1', 5]), cancelled, RELIABLE);

    expect(events).toEqual([]);
    expect(tombstone.reservation?.status).toBe('cancelled');
    expect(react(inventoryDecider, tombstone, payment, RELIABLE)).toEqual({ events: [], state: tombstone });
  });
});

describe('restocked', () => {
  const level: StockLevel = { productId: 'prod-1', initial: 10, restocked: 5, available: 3, reserved: 12 };

  it('adds the units to what is available and to what was restocked: stock stays conserved', () => {
    const after = restocked(level, 7);
    expect(after).toEqual({ productId: 'prod-1', initial: 10, restocked: 12, available: 10, reserved: 12 });
    expect(after.available + after.reserved).toBe(after.initial + after.restocked);
  });

  it('refuses anything but a whole number of units, at least one', () => {
    for (const quantity of [0, -1, 1.5, Number.NaN]) expect(() => restocked(level, quantity)).toThrow(RangeError);
  });
});

describe('inventory participant, orchestrated (commands)', () => {
  const reserveCommand = () => next(orderCreated(undefined, [item('prod-1', 2)]), 'ReserveStock', { items: [item('prod-1', 2)] });

  it('reserves on ReserveStock as on PaymentCompleted, and releases on ReleaseStock', () => {
    const reserve = reserveCommand();
    const reserved = react(inventoryDecider, shelf(['prod-1', 5]), reserve, RELIABLE);
    expect(reserved.events).toEqual([expect.objectContaining({ type: 'InventoryReserved', causationId: reserve.eventId })]);
    expect(level(reserved.state, 'prod-1')).toMatchObject({ available: 3, reserved: 2 });

    const release = next(reserve, 'ReleaseStock', { code: FAILURE_CODES.SAGA_TIMEOUT, reason: 'late' });
    const released = react(inventoryDecider, reserved.state, release, RELIABLE);
    expect(released.events).toEqual([expect.objectContaining({ type: 'InventoryReleased' })]);
    expect(level(released.state, 'prod-1')).toMatchObject({ available: 5, reserved: 0 });
  });

  it('given no reservation, when ReleaseStock overtakes ReserveStock, then the late reservation takes nothing', () => {
    const reserve = reserveCommand();
    const release = next(reserve, 'ReleaseStock', { code: FAILURE_CODES.SAGA_TIMEOUT, reason: 'late' });
    const first = react(inventoryDecider, shelf(['prod-1', 5]), release, RELIABLE);
    expect(first.events).toEqual([]);
    const late = react(inventoryDecider, first.state, reserve, RELIABLE);
    expect(late.events).toEqual([]);
    expect(level(late.state, 'prod-1')).toMatchObject({ available: 5, reserved: 0 });
  });
});
