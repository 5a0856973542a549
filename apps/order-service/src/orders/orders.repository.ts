import { Inject, Injectable } from '@nestjs/common';
import { DATABASE, type Db } from '#service';
import type { OrderItem, SagaEvent } from '#contracts';
import type { Order, OrderStatus } from './order.domain.js';

export interface HistoryEntry {
  readonly step: string;
  readonly at: string;
  readonly detail: string | null;
}

export interface IdempotencyRecord {
  readonly orderId: string;
  readonly requestHash: string;
}

interface OrderRow {
  id: string;
  user_id: string;
  items: string;
  total_cents: number;
  status: OrderStatus;
  cancellation_code: string | null;
  cancellation_reason: string | null;
  created_at: string;
  updated_at: string;
}

const ORDER_COLUMNS = 'id, user_id, items, total_cents, status, cancellation_code, cancellation_reason, created_at, updated_at';

@Injectable()
export class OrdersRepository {
  private readonly statements;

  constructor(@Inject(DATABASE) db: Db) {
    this.statements = {
      insert: db.prepare(
        `INSERT INTO orders (${ORDER_COLUMNS}, idempotency_key, request_hash)
         VALUES (@id, @user_id, @items, @total_cents, @status, @cancellation_code, @cancellation_reason,
                 @created_at, @updated_at, @idempotency_key, @request_hash)`,
      ),
      update: db.prepare(
        `UPDATE orders SET status = @status, cancellation_code = @cancellation_code,
           cancellation_reason = @cancellation_reason, updated_at = @updated_at WHERE id = @id`,
      ),
      byId: db.prepare<[string], OrderRow>(`SELECT ${ORDER_COLUMNS} FROM orders WHERE id = ?`),
      byKey: db.prepare<[string], { id: string; request_hash: string }>('SELECT id, request_hash FROM orders WHERE idempotency_key = ?'),
      page: db.prepare<[string | null, string | null, number, number], OrderRow>(
        `SELECT ${ORDER_COLUMNS} FROM orders WHERE (? IS NULL OR status = ?) ORDER BY created_at DESC, id LIMIT ? OFFSET ?`,
      ),
      count: db.prepare<[string | null, string | null], { n: number }>('SELECT COUNT(*) AS n FROM orders WHERE (? IS NULL OR status = ?)'),
      pendingBefore: db.prepare<[string], OrderRow>(
        `SELECT ${ORDER_COLUMNS} FROM orders WHERE status = 'pending' AND created_at <= ? ORDER BY created_at`,
      ),
      addHistory: db.prepare('INSERT INTO order_history (order_id, step, detail, at) VALUES (?, ?, ?, ?)'),
      history: db.prepare<[string], HistoryEntry>('SELECT step, at, detail FROM order_history WHERE order_id = ? ORDER BY at, id'),
    };
  }

  insert(order: Order, idempotency: { key: string; requestHash: string } | null): void {
    this.statements.insert.run({
      ...toRow(order),
      idempotency_key: idempotency?.key ?? null,
      request_hash: idempotency?.requestHash ?? null,
    });
  }

  update(order: Order): void {
    this.statements.update.run(toRow(order));
  }

  find(id: string): Order | undefined {
    const row = this.statements.byId.get(id);
    return row && fromRow(row);
  }

  findByIdempotencyKey(key: string): IdempotencyRecord | undefined {
    const row = this.statements.byKey.get(key);
    return row && { orderId: row.id, requestHash: row.request_hash };
  }

  list(status: OrderStatus | undefined, limit: number, offset: number): { orders: Order[]; total: number } {
    const filter = status ?? null;
    return {
      orders: this.statements.page.all(filter, filter, limit, offset).map(fromRow),
      total: this.statements.count.get(filter, filter)!.n,
    };
  }

  pendingCreatedBefore(at: Date): Order[] {
    return this.statements.pendingBefore.all(at.toISOString()).map(fromRow);
  }

  /** The saga as this order saw it: every event applied to it or emitted by it. */
  recordStep(event: SagaEvent, detail: string | null = null): void {
    this.statements.addHistory.run(event.correlationId, event.type, detail, event.occurredAt);
  }

  history(orderId: string): HistoryEntry[] {
    return this.statements.history.all(orderId);
  }
}

function toRow(order: Order): OrderRow {
  return {
    id: order.id,
    user_id: order.userId,
    items: JSON.stringify(order.items),
    total_cents: order.totalCents,
    status: order.status,
    cancellation_code: order.cancellationCode,
    cancellation_reason: order.cancellationReason,
    created_at: order.createdAt,
    updated_at: order.updatedAt,
  };
}

function fromRow(row: OrderRow): Order {
  return {
    id: row.id,
    userId: row.user_id,
    items: JSON.parse(row.items) as OrderItem[],
    totalCents: row.total_cents,
    status: row.status,
    cancellationCode: row.cancellation_code,
    cancellationReason: row.cancellation_reason,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
