import { FAILURE_CODES, type OrderItem } from '#kafka';
import { next, orderCreated } from '#kafka/testing';
import { decide, evolve, stockChanges, type StockLevel, type Warehouse } from './inventory.domain.js';

const NOW = new Date('2026-11-25T10:00:00.000Z');
const RELIABLE: Warehouse = { failureRate: 0, seed: 'test' };
const BROKEN: Warehouse = { failureRate: 1, seed: 'test' };

function shelf(...levels: Array<[string, number]>): Map<string, StockLevel> {
  return new Map(levels.map(([productId, available]) => [productId, { productId, initial: available, available, reserved: 0 }]));
}

function paid(items: OrderItem[]) {
  const created = orderCreated(undefined, items);
  return next(created, 'PaymentCompleted', { paymentId: created.eventId, amountCents: created.payload.totalCents, items });
}

const item = (productId: string, quantity: number): OrderItem => ({ productId, quantity, unitPriceCents: 100 });

describe('inventory saga decisions', () => {
  it('reserves every item of a paid order and moves the stock', () => {
    const payment = paid([item('prod-1', 2), item('prod-2', 1)]);

    const [reserved] = decide(undefined, shelf(['prod-1', 10], ['prod-2', 1]), payment, RELIABLE, NOW);

    expect(reserved.type).toBe('InventoryReserved');
    expect(stockChanges(reserved)).toEqual([
      { productId: 'prod-1', available: -2, reserved: 2 },
      { productId: 'prod-2', available: -1, reserved: 1 },
    ]);
    expect(evolve(undefined, reserved)?.status).toBe('reserved');
  });

  it('reserves nothing when one product is short (all or nothing)', () => {
    const payment = paid([item('prod-1', 2), item('prod-3', 26)]);

    const [failed] = decide(undefined, shelf(['prod-1', 100], ['prod-3', 25]), payment, RELIABLE, NOW);

    expect(failed).toMatchObject({ type: 'InventoryFailed', payload: { code: FAILURE_CODES.INVENTORY_INSUFFICIENT_STOCK } });
    expect(failed.type === 'InventoryFailed' && failed.payload.reason).toBe('prod-3: 26 requested, 25 available');
    expect(stockChanges(failed)).toEqual([]);
  });

  it('adds up a product listed twice before checking stock', () => {
    const payment = paid([item('prod-1', 3), item('prod-1', 3)]);
    const [failed] = decide(undefined, shelf(['prod-1', 5]), payment, RELIABLE, NOW);
    expect(failed.type).toBe('InventoryFailed');
  });

  it('fails an unknown product', () => {
    const [failed] = decide(undefined, shelf(['prod-1', 5]), paid([item('prod-9', 1)]), RELIABLE, NOW);
    expect(failed).toMatchObject({ payload: { code: FAILURE_CODES.INVENTORY_UNKNOWN_PRODUCT, reason: 'unknown product prod-9' } });
  });

  it('fails when the simulated warehouse fails, whatever the stock', () => {
    const [failed] = decide(undefined, shelf(['prod-1', 5]), paid([item('prod-1', 1)]), BROKEN, NOW);
    expect(failed).toMatchObject({ payload: { code: FAILURE_CODES.INVENTORY_SIMULATED_FAILURE } });
  });

  it('decides an order only once', () => {
    const payment = paid([item('prod-1', 1)]);
    const reservation = evolve(undefined, decide(undefined, shelf(['prod-1', 5]), payment, RELIABLE, NOW)[0]);
    expect(decide(reservation, shelf(['prod-1', 4]), payment, RELIABLE, NOW)).toEqual([]);
  });

  it('releases the reservation of a cancelled order', () => {
    const payment = paid([item('prod-1', 2)]);
    const reservation = evolve(undefined, decide(undefined, shelf(['prod-1', 5]), payment, RELIABLE, NOW)[0]);
    const cancelled = next(payment, 'OrderCancelled', { code: FAILURE_CODES.SAGA_TIMEOUT, reason: 'no outcome' });

    const [released] = decide(reservation, shelf(['prod-1', 3]), cancelled, RELIABLE, NOW);

    expect(released.type).toBe('InventoryReleased');
    expect(stockChanges(released)).toEqual([{ productId: 'prod-1', available: 2, reserved: -2 }]);
    expect(evolve(reservation, released)?.status).toBe('released');
    expect(decide(evolve(reservation, released), shelf(['prod-1', 5]), cancelled, RELIABLE, NOW)).toEqual([]);
  });

  it('reserves nothing for a payment that arrives after the order was cancelled', () => {
    const payment = paid([item('prod-1', 2)]);
    const cancelled = next(payment, 'OrderCancelled', { code: FAILURE_CODES.SAGA_TIMEOUT, reason: 'no outcome' });

    expect(decide(undefined, shelf(['prod-1', 5]), cancelled, RELIABLE, NOW)).toEqual([]);
    const tombstone = evolve(undefined, cancelled);

    expect(tombstone?.status).toBe('cancelled');
    expect(decide(tombstone, shelf(['prod-1', 5]), payment, RELIABLE, NOW)).toEqual([]);
  });
});
