import { fromCents } from '#domain';
import type { Order } from '../order.domain.js';
import type { HistoryEntry } from '../orders.repository.js';

/** The order as the API shows it: decimal amounts, as the client sent them. */
export function orderSummary(order: Order) {
  return {
    orderId: order.id,
    status: order.status,
    userId: order.userId,
    items: order.items.map(({ productId, quantity, unitPriceCents }) => ({ productId, quantity, price: fromCents(unitPriceCents) })),
    total: fromCents(order.totalCents),
    cancellationCode: order.cancellationCode,
    cancellationReason: order.cancellationReason,
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
  };
}

export function orderDetail(order: Order, history: HistoryEntry[]) {
  return { ...orderSummary(order), history };
}
