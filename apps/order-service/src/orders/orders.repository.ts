import { Injectable } from '@nestjs/common';
import type { Generated, Selectable } from 'kysely';
import type { OrderItem, SagaEvent } from '#contracts';
import { Database } from '#database';
import type { Order, OrderStatus, SagaStep } from './order.domain.js';

export interface HistoryEntry {
  readonly step: string;
  readonly at: string;
  readonly detail: string | null;
}

export interface IdempotencyRecord {
  readonly orderId: string;
  readonly requestHash: string;
}

/** The order service's tables, as Kysely sees them (see orders.migrations.ts). */
export interface OrderTables {
  orders: {
    id: string;
    user_id: string;
    items: string;
    total_cents: number;
    status: OrderStatus;
    cancellation_code: string | null;
    cancellation_reason: string | null;
    idempotency_key: string | null;
    request_hash: string | null;
    trace_id: string | null;
    saga_step: SagaStep | null;
    created_at: string;
    updated_at: string;
  };
  order_history: { id: Generated<number>; order_id: string; step: string; detail: string | null; at: string };
}

type OrderRow = Omit<Selectable<OrderTables['orders']>, 'idempotency_key' | 'request_hash' | 'trace_id'>;

const ORDER_COLUMNS = [
  'id',
  'user_id',
  'items',
  'total_cents',
  'status',
  'cancellation_code',
  'cancellation_reason',
  'saga_step',
  'created_at',
  'updated_at',
] as const;

/** Orders and their history. Every method takes part in the transaction in progress, if any. */
@Injectable()
export class OrdersRepository {
  private readonly database: Database<OrderTables>;

  constructor(database: Database) {
    this.database = database.withTables<OrderTables>();
  }

  private get db() {
    return this.database.query;
  }

  /** `traceId`: the trace of the request that placed it, if it was traced. */
  async insert(order: Order, idempotency: { key: string; requestHash: string } | null, traceId: string | null): Promise<void> {
    await this.db
      .insertInto('orders')
      .values({
        ...toRow(order),
        idempotency_key: idempotency?.key ?? null,
        request_hash: idempotency?.requestHash ?? null,
        trace_id: traceId,
      })
      .execute();
  }

  async traceId(id: string): Promise<string | null> {
    const row = await this.db.selectFrom('orders').select('trace_id').where('id', '=', id).executeTakeFirst();
    return row?.trace_id ?? null;
  }

  async update(order: Order): Promise<void> {
    const { status, cancellation_code, cancellation_reason, saga_step, updated_at } = toRow(order);
    await this.db
      .updateTable('orders')
      .set({ status, cancellation_code, cancellation_reason, saga_step, updated_at })
      .where('id', '=', order.id)
      .execute();
  }

  async find(id: string): Promise<Order | undefined> {
    const row = await this.db.selectFrom('orders').select(ORDER_COLUMNS).where('id', '=', id).executeTakeFirst();
    return row && fromRow(row);
  }

  async findByIdempotencyKey(key: string): Promise<IdempotencyRecord | undefined> {
    const row = await this.db.selectFrom('orders').select(['id', 'request_hash']).where('idempotency_key', '=', key).executeTakeFirst();
    return row && { orderId: row.id, requestHash: row.request_hash ?? '' };
  }

  async list(status: OrderStatus | undefined, limit: number, offset: number): Promise<{ orders: Order[]; total: number }> {
    const filtered = status ? this.db.selectFrom('orders').where('status', '=', status) : this.db.selectFrom('orders');
    const [rows, count] = await Promise.all([
      filtered.select(ORDER_COLUMNS).orderBy('created_at', 'desc').orderBy('id').limit(limit).offset(offset).execute(),
      filtered.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { orders: rows.map(fromRow), total: Number(count.n) };
  }

  async pendingCreatedBefore(at: Date): Promise<Order[]> {
    const rows = await this.db
      .selectFrom('orders')
      .select(ORDER_COLUMNS)
      .where('status', '=', 'pending')
      .where('created_at', '<=', at.toISOString())
      .orderBy('created_at')
      .execute();
    return rows.map(fromRow);
  }

  /** The saga as this order saw it: every event applied to it or emitted by it. */
  async recordSteps(steps: ReadonlyArray<{ event: SagaEvent; detail: string | null }>): Promise<void> {
    if (steps.length === 0) return;
    const rows = steps.map(({ event, detail }) => ({ order_id: event.correlationId, step: event.type, detail, at: event.occurredAt }));
    await this.db.insertInto('order_history').values(rows).execute();
  }

  history(orderId: string): Promise<HistoryEntry[]> {
    return this.db
      .selectFrom('order_history')
      .select(['step', 'at', 'detail'])
      .where('order_id', '=', orderId)
      .orderBy('at')
      .orderBy('id')
      .execute();
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
    saga_step: order.sagaStep,
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
    sagaStep: row.saga_step,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
