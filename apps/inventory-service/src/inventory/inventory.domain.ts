/**
 * The inventory's part of the saga as a decider: pure functions. A paid order's
 * items are reserved all together or not at all; a cancelled order's reservation
 * goes back on the shelf. An operator's restock adds to the shelf. Stock is conserved:
 * available + reserved = initial + restocked, per product.
 */
import { eventCausedBy, FAILURE_CODES, type EventOf, type OrderItem } from '#contracts';
import { assertNever, simulatedFailure, type Decider, type SimulatedSystem } from '#domain';

export interface StockLevel {
  readonly productId: string;
  /** On the shelf at the first start. */
  readonly initial: number;
  /** Added by restocks since. */
  readonly restocked: number;
  readonly available: number;
  readonly reserved: number;
}

export type ReservationStatus = 'reserved' | 'failed' | 'released' | 'cancelled';

/** What the inventory decided for one order. */
export interface Reservation {
  readonly orderId: string;
  readonly status: ReservationStatus;
  readonly items: readonly OrderItem[];
  readonly reason: string | null;
  readonly updatedAt: string;
}

/** What the inventory knows when it decides for one order: its reservation, and the shelf. */
export interface InventoryState {
  readonly reservation: Reservation | undefined;
  readonly stock: ReadonlyMap<string, StockLevel>;
}

/**
 * What the inventory service reacts to: the other services' events when the saga is
 * choreographed, the orchestrator's commands when it is orchestrated. A command does what
 * the event it stands for does: ReserveStock as PaymentCompleted, ReleaseStock as OrderCancelled.
 */
export const INVENTORY_REACTS_TO = {
  choreographed: ['PaymentCompleted', 'OrderCancelled'],
  orchestrated: ['ReserveStock', 'ReleaseStock'],
} as const;
export type InventoryInput = EventOf<(typeof INVENTORY_REACTS_TO)[keyof typeof INVENTORY_REACTS_TO][number]>;
export type InventoryOutput = EventOf<'InventoryReserved' | 'InventoryFailed' | 'InventoryReleased'>;

export interface InventoryContext {
  readonly now: Date;
  readonly warehouse: SimulatedSystem;
}

export const inventoryDecider: Decider<InventoryState, InventoryInput, InventoryOutput, InventoryContext> = {
  decide({ reservation, stock }, event, { now, warehouse }) {
    switch (event.type) {
      case 'PaymentCompleted':
      case 'ReserveStock':
        return reservation ? [] : [reserve(stock, event, warehouse, now)];
      case 'OrderCancelled':
      case 'ReleaseStock':
        if (reservation?.status !== 'reserved') return [];
        return [eventCausedBy(event, 'InventoryReleased', { orderId: reservation.orderId, items: reservation.items }, now)];
      default:
        return assertNever(event);
    }
  },

  evolve(state, event) {
    const base = { orderId: event.correlationId, updatedAt: event.occurredAt };
    switch (event.type) {
      case 'InventoryReserved':
        return {
          reservation: { ...base, status: 'reserved', items: event.payload.items, reason: null },
          stock: move(state.stock, event.payload.items, 1),
        };
      case 'InventoryReleased':
        return {
          reservation: { ...base, status: 'released', items: event.payload.items, reason: 'order cancelled' },
          stock: move(state.stock, event.payload.items, -1),
        };
      case 'InventoryFailed':
        return {
          ...state,
          reservation: { ...base, status: 'failed', items: [], reason: `${event.payload.code}: ${event.payload.reason}` },
        };
      case 'OrderCancelled':
      case 'ReleaseStock':
        // Cancelled before payment completed (before ReserveStock arrived): a tombstone, so that the late one reserves nothing.
        if (state.reservation) return state;
        return { ...state, reservation: { ...base, status: 'cancelled', items: [], reason: 'order cancelled before payment completed' } };
      default:
        return state;
    }
  },
};

function reserve(
  stock: ReadonlyMap<string, StockLevel>,
  event: EventOf<'PaymentCompleted' | 'ReserveStock'>,
  warehouse: SimulatedSystem,
  now: Date,
): InventoryOutput {
  const { orderId, items } = event.payload;
  const fail = (code: string, reason: string) => eventCausedBy(event, 'InventoryFailed', { orderId, code, reason }, now);
  if (simulatedFailure(warehouse, 'inventory', orderId)) {
    return fail(FAILURE_CODES.INVENTORY_SIMULATED_FAILURE, 'the (simulated) warehouse could not reserve the items');
  }
  for (const [productId, quantity] of quantities(items)) {
    const level = stock.get(productId);
    if (!level) return fail(FAILURE_CODES.INVENTORY_UNKNOWN_PRODUCT, `unknown product ${productId}`);
    if (level.available < quantity) {
      return fail(FAILURE_CODES.INVENTORY_INSUFFICIENT_STOCK, `${productId}: ${quantity} requested, ${level.available} available`);
    }
  }
  return eventCausedBy(event, 'InventoryReserved', { orderId, items }, now);
}

/** Moves the items from the shelf to the reserved pile (direction 1) or back (-1). */
function move(stock: ReadonlyMap<string, StockLevel>, items: readonly OrderItem[], direction: 1 | -1): ReadonlyMap<string, StockLevel> {
  const moved = new Map(stock);
  for (const [productId, quantity] of quantities(items)) {
    const level = moved.get(productId)!;
    moved.set(productId, { ...level, available: level.available - direction * quantity, reserved: level.reserved + direction * quantity });
  }
  return moved;
}

/** Total quantity per product: an order may list one product twice. */
function quantities(items: readonly OrderItem[]): Array<[string, number]> {
  const totals = new Map<string, number>();
  for (const { productId, quantity } of items) totals.set(productId, (totals.get(productId) ?? 0) + quantity);
  return [...totals];
}

/** A restock: `quantity` more units of a product put on the shelf by an operator. */
export interface Restock {
  readonly restockId: string;
  readonly productId: string;
  readonly quantity: number;
  readonly restockedAt: string;
}

/** The product's stock once `quantity` more units are on the shelf: available and restocked grow alike. */
export function restocked(level: StockLevel, quantity: number): StockLevel {
  if (!Number.isSafeInteger(quantity) || quantity < 1)
    throw new RangeError(`a restock adds a whole number of units, at least 1 (got ${quantity})`);
  return { ...level, available: level.available + quantity, restocked: level.restocked + quantity };
}
