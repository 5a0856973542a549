import { ApiProperty } from '@nestjs/swagger';
import { fromCents } from '#domain';
import { ORDER_STATUSES, SAGA_STEPS, type Order, type OrderStatus, type SagaStep } from '../order.domain.js';
import type { HistoryEntry } from '../orders.repository.js';

/** What the API shows of an order: decimal amounts, as the client sent them. */

export class OrderItemView {
  @ApiProperty({ example: 'prod-1' }) productId: string;
  @ApiProperty({ example: 2 }) quantity: number;
  @ApiProperty({ example: 25 }) price: number;
}

export class OrderView {
  @ApiProperty({ format: 'uuid' }) orderId: string;
  @ApiProperty({ enum: ORDER_STATUSES, example: 'pending' }) status: OrderStatus;
  @ApiProperty({ example: 'user-123' }) userId: string;
  @ApiProperty({ type: [OrderItemView] }) items: OrderItemView[];
  @ApiProperty({ example: 50 }) total: number;
  @ApiProperty({
    type: 'string',
    nullable: true,
    example: null,
    description: 'e.g. PAYMENT.DECLINED, INVENTORY.INSUFFICIENT_STOCK, SAGA.TIMEOUT',
  })
  cancellationCode: string | null;
  @ApiProperty({ type: 'string', nullable: true, example: null }) cancellationReason: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export class HistoryEntryView {
  @ApiProperty({ description: 'The event of this saga step', example: 'PaymentCompleted' }) step: string;
  @ApiProperty({ format: 'date-time' }) at: string;
  @ApiProperty({ type: 'string', nullable: true, example: 'amount 50.00' }) detail: string | null;
}

export class OrderDetailView extends OrderView {
  @ApiProperty({ type: [HistoryEntryView], description: 'Every saga step with its time, oldest first.' })
  history: HistoryEntryView[];
  @ApiProperty({
    enum: [...SAGA_STEPS, null], // OpenAPI 3.0: a nullable enum lists null among its values
    nullable: true,
    example: null,
    description:
      'Where the orchestrator stands (SAGA_MODE=orchestrated: docs/saga-pattern/orchestration.md); null when the saga is choreographed, which keeps no step.',
  })
  sagaStep: SagaStep | null;
  @ApiProperty({
    type: 'string',
    nullable: true,
    example: '4bf92f3577b34da6a3ce929d0e0e4736',
    description: 'The OpenTelemetry trace of the saga (its POST /orders and every hop after it); null when tracing is off.',
  })
  traceId: string | null;
}

export class OrderPageView {
  @ApiProperty({ type: [OrderView], description: 'Newest first.' }) items: OrderView[];
  @ApiProperty({ description: 'Orders matching the filter, all pages.' }) total: number;
  @ApiProperty() limit: number;
  @ApiProperty() offset: number;
}

export function orderSummary(order: Order): OrderView {
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

export function orderDetail(order: Order, history: HistoryEntry[], traceId: string | null): OrderDetailView {
  return { ...orderSummary(order), history, sagaStep: order.sagaStep, traceId };
}
