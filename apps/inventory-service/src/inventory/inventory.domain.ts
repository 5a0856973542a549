/**
 * The inventory's part of the saga as pure functions. A paid order's items are
 * reserved all together or not at all; a cancelled order's reservation goes back
 * on the shelf. Stock is conserved: available + reserved = initial, per product.
 */
import { simulatedFailure } from '#common';
import {
  eventCausedBy,
  FAILURE_CODES,
  type InventoryFailedEvent,
  type InventoryReleasedEvent,
  type InventoryReservedEvent,
  type OrderCancelledEvent,
  type OrderItem,
  type PaymentCompletedEvent,
} from '#kafka';

export interface StockLevel {
  readonly productId: string;
  readonly initial: number;
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

export interface Warehouse {
  readonly failureRate: number;
  readonly seed: string;
}

export interface StockChange {
  readonly productId: string;
  readonly available: number;
  readonly reserved: number;
}

export type InventorySagaEvent = PaymentCompletedEvent | OrderCancelledEvent;
export type InventoryOutcomeEvent = InventoryReservedEvent | InventoryFailedEvent | InventoryReleasedEvent;

export function decide(
  reservation: Reservation | undefined,
  stock: ReadonlyMap<string, StockLevel>,
  event: InventorySagaEvent,
  warehouse: Warehouse,
  now: Date,
): InventoryOutcomeEvent[] {
  switch (event.type) {
    case 'PaymentCompleted':
      return reservation ? [] : [reserve(stock, event, warehouse, now)];
    case 'OrderCancelled':
      if (reservation?.status !== 'reserved') return [];
      return [eventCausedBy(event, 'InventoryReleased', { orderId: reservation.orderId, items: reservation.items }, now)];
    default:
      return assertNever(event);
  }
}

/**
 * The reservation after an outcome, or after an OrderCancelled that arrived first:
 * then the order is marked cancelled so that a late PaymentCompleted reserves nothing.
 */
export function evolve(reservation: Reservation | undefined, event: InventoryOutcomeEvent | OrderCancelledEvent): Reservation | undefined {
  const base = { orderId: event.correlationId, updatedAt: event.occurredAt };
  switch (event.type) {
    case 'InventoryReserved':
      return { ...base, status: 'reserved', items: event.payload.items, reason: null };
    case 'InventoryFailed':
      return { ...base, status: 'failed', items: [], reason: `${event.payload.code}: ${event.payload.reason}` };
    case 'InventoryReleased':
      return { ...base, status: 'released', items: event.payload.items, reason: 'order cancelled' };
    case 'OrderCancelled':
      return reservation ?? { ...base, status: 'cancelled', items: [], reason: 'order cancelled before payment completed' };
    default:
      return assertNever(event);
  }
}

/** How an outcome moves stock between the shelf and the reserved pile. */
export function stockChanges(event: InventoryOutcomeEvent): StockChange[] {
  switch (event.type) {
    case 'InventoryReserved':
      return quantities(event.payload.items).map(([productId, quantity]) => ({ productId, available: -quantity, reserved: quantity }));
    case 'InventoryReleased':
      return quantities(event.payload.items).map(([productId, quantity]) => ({ productId, available: quantity, reserved: -quantity }));
    case 'InventoryFailed':
      return [];
    default:
      return assertNever(event);
  }
}

function reserve(
  stock: ReadonlyMap<string, StockLevel>,
  event: PaymentCompletedEvent,
  warehouse: Warehouse,
  now: Date,
): InventoryReservedEvent | InventoryFailedEvent {
  const { orderId, items } = event.payload;
  const fail = (code: string, reason: string) => eventCausedBy(event, 'InventoryFailed', { orderId, code, reason }, now);
  if (simulatedFailure(warehouse.seed, 'inventory', orderId, warehouse.failureRate)) {
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

/** Total quantity per product: an order may list one product twice. */
function quantities(items: readonly OrderItem[]): Array<[string, number]> {
  const totals = new Map<string, number>();
  for (const { productId, quantity } of items) totals.set(productId, (totals.get(productId) ?? 0) + quantity);
  return [...totals];
}

function assertNever(value: never): never {
  throw new Error(`unhandled event ${JSON.stringify(value)}`);
}
