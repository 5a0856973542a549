/**
 * Lifetime aggregation as pure functions: each event becomes counter increments
 * (`countersFor`), and the totals users see are derived from the counters
 * (`totalsReport`). The windowed figures live in stream/stream-aggregator.ts.
 */
import type { SagaFact } from '#contracts';

export type Counters = Readonly<Record<string, number>>;
export type CounterDelta = readonly [name: string, delta: number];

export const COUNTERS = {
  ORDERS_CREATED: 'orders_created',
  ORDERS_COMPLETED: 'orders_completed',
  ORDERS_CANCELLED: 'orders_cancelled',
  PAYMENTS_COMPLETED: 'payments_completed',
  PAYMENTS_FAILED: 'payments_failed',
  REVENUE_CENTS: 'revenue_cents',
  REFUNDS: 'refunds',
  REFUNDED_CENTS: 'refunded_cents',
  INVENTORY_RESERVED: 'inventory_reserved',
  INVENTORY_RELEASED: 'inventory_released',
  INVENTORY_FAILED_PREFIX: 'inventory_failed:',
} as const;

/**
 * What counting an event reads of it: the counters here, and the stream's windows and
 * saga durations. Every event is one; an order's events held back until its OrderCreated
 * are kept as only this (`countedPart`), since a replay may hold thousands of them at once.
 */
export type CountedFact =
  | { readonly type: 'PaymentCompleted' | 'PaymentRefunded'; readonly payload: { readonly amountCents: number } }
  | { readonly type: 'InventoryFailed'; readonly payload: { readonly code: string } }
  | { readonly type: Exclude<SagaFact['type'], 'PaymentCompleted' | 'PaymentRefunded' | 'InventoryFailed'>; readonly payload?: unknown };

/** The part of an event that counting reads, and nothing else (no ids, times or items). */
export function countedPart(event: SagaFact): CountedFact {
  switch (event.type) {
    case 'PaymentCompleted':
    case 'PaymentRefunded':
      return { type: event.type, payload: { amountCents: event.payload.amountCents } };
    case 'InventoryFailed':
      return { type: event.type, payload: { code: event.payload.code } };
    default:
      return { type: event.type };
  }
}

/** The counters of the events that always add 1 to one counter: one answer each, shared (countersFor runs for every event). */
const COUNTS_ONE: Record<
  Exclude<CountedFact['type'], 'PaymentCompleted' | 'PaymentRefunded' | 'InventoryFailed'>,
  readonly CounterDelta[]
> = {
  OrderCreated: [[COUNTERS.ORDERS_CREATED, 1]],
  OrderCompleted: [[COUNTERS.ORDERS_COMPLETED, 1]],
  OrderCancelled: [[COUNTERS.ORDERS_CANCELLED, 1]],
  PaymentFailed: [[COUNTERS.PAYMENTS_FAILED, 1]],
  InventoryReserved: [[COUNTERS.INVENTORY_RESERVED, 1]],
  InventoryReleased: [[COUNTERS.INVENTORY_RELEASED, 1]],
};

/** What an event adds to the counters. */
export function countersFor(event: CountedFact): readonly CounterDelta[] {
  switch (event.type) {
    case 'PaymentCompleted':
      return [
        [COUNTERS.PAYMENTS_COMPLETED, 1],
        [COUNTERS.REVENUE_CENTS, event.payload.amountCents],
      ];
    case 'PaymentRefunded':
      return [
        [COUNTERS.REFUNDS, 1],
        [COUNTERS.REFUNDED_CENTS, event.payload.amountCents],
      ];
    case 'InventoryFailed':
      return [[`${COUNTERS.INVENTORY_FAILED_PREFIX}${event.payload.code}`, 1]];
    default:
      return COUNTS_ONE[event.type];
  }
}

export interface TotalsReport {
  /** Sum of captured payments (gross, before refunds), in currency units. */
  readonly totalRevenue: number;
  /** Orders created. */
  readonly orderCount: number;
  /** Orders that completed (paid and reserved). */
  readonly successfulOrders: number;
  /** Orders that were cancelled (payment failed, inventory failed, or timed out). */
  readonly failedOrders: number;
  /** successfulOrders / (successfulOrders + failedOrders), in percent, 1 decimal. */
  readonly successRate: number;
  readonly completedOrders: number;
  readonly cancelledOrders: number;
  readonly ordersInFlight: number;
  readonly paymentsFailed: number;
  readonly refunds: number;
  readonly refundedAmount: number;
  /** totalRevenue minus refunds. */
  readonly netRevenue: number;
  /** Inventory failures by reason code. */
  readonly inventoryFailures: Record<string, number>;
}

/** The lifetime figures, derived from the counters. */
export function totalsReport(counters: Counters): TotalsReport {
  const count = (name: string) => counters[name] ?? 0;
  const completed = count(COUNTERS.ORDERS_COMPLETED);
  const cancelled = count(COUNTERS.ORDERS_CANCELLED);
  const finished = completed + cancelled;
  const revenueCents = count(COUNTERS.REVENUE_CENTS);
  const refundedCents = count(COUNTERS.REFUNDED_CENTS);
  return {
    totalRevenue: revenueCents / 100,
    orderCount: count(COUNTERS.ORDERS_CREATED),
    successfulOrders: completed,
    failedOrders: cancelled,
    successRate: finished === 0 ? 0 : Math.round((completed / finished) * 1000) / 10,
    completedOrders: completed,
    cancelledOrders: cancelled,
    ordersInFlight: count(COUNTERS.ORDERS_CREATED) - finished,
    paymentsFailed: count(COUNTERS.PAYMENTS_FAILED),
    refunds: count(COUNTERS.REFUNDS),
    refundedAmount: refundedCents / 100,
    netRevenue: (revenueCents - refundedCents) / 100,
    inventoryFailures: inventoryFailures(counters),
  };
}

/** The console report, in the shape users of the original project know. */
export function formatReport(report: TotalsReport & { ordersLastMinute: number }): string {
  return [
    '📊 [STREAMING ANALYTICS]',
    `   Total Orders: ${report.orderCount}`,
    `   Successful: ${report.successfulOrders}`,
    `   Failed: ${report.failedOrders}`,
    `   Success Rate: ${report.successRate.toFixed(1)}%`,
    `   Total Revenue: $${report.totalRevenue.toFixed(2)}`,
    `   Orders Last Minute: ${report.ordersLastMinute}`,
  ].join('\n');
}

function inventoryFailures(counters: Counters): Record<string, number> {
  return Object.fromEntries(
    Object.entries(counters)
      .filter(([name]) => name.startsWith(COUNTERS.INVENTORY_FAILED_PREFIX))
      .map(([name, value]) => [name.slice(COUNTERS.INVENTORY_FAILED_PREFIX.length), value]),
  );
}
