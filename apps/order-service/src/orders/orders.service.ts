import { createHash, randomUUID } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import { BadRequestException, Injectable, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import type { OrderItem, SagaEvent } from '#contracts';
import { fromCents, toCents } from '#domain';
import { PermanentEventError, SagaParticipant, UnitOfWork } from '#messaging';
import { OrderServiceConfig } from '../order-service.config.js';
import type { CreateOrderDto } from './dto/create-order.dto.js';
import {
  decideTimeout,
  orderDecider,
  placeOrder,
  totalOf,
  type Order,
  type OrderContext,
  type OrderInput,
  type OrderOutput,
  type OrderStatus,
} from './order.domain.js';
import { OrdersRepository, type HistoryEntry } from './orders.repository.js';
import { orchestrateTimeout, orchestratorDecider, startSaga } from './saga-orchestrator.js';
import { recordSagaEnd } from './saga.metrics.js';

export interface PlacedOrder {
  readonly order: Order;
  /** True when an Idempotency-Key matched an earlier request: no new order, no new saga. */
  readonly replayed: boolean;
}

/**
 * The order service's saga participant (SAGA_MODE=choreographed) or the saga's orchestrator
 * (SAGA_MODE=orchestrated, saga-orchestrator.ts), and the queries and commands of its HTTP API.
 */
@Injectable()
export class OrdersService extends SagaParticipant<Order, OrderInput['type'], OrderOutput, OrderContext> {
  constructor(
    unitOfWork: UnitOfWork,
    private readonly orders: OrdersRepository,
    private readonly config: OrderServiceConfig,
  ) {
    super(config.SAGA_MODE === 'orchestrated' ? orchestratorDecider : orderDecider, unitOfWork);
  }

  private get orchestrated(): boolean {
    return this.config.SAGA_MODE === 'orchestrated';
  }

  // ------------------------------------------------------------ the participant

  context(now = new Date()): OrderContext {
    return { now, sagaTimeoutMs: this.config.SAGA_TIMEOUT_MS };
  }

  async load(orderId: string): Promise<Order> {
    const order = await this.orders.find(orderId);
    if (!order) throw new PermanentEventError(`unknown order ${orderId}`);
    return order;
  }

  /** The order's new state, and every event of this step in its history. */
  async save(order: Order, before: Order, events: readonly SagaEvent[]): Promise<void> {
    if (order !== before) await this.orders.update(order);
    await this.orders.recordSteps(events.map((event) => ({ event, detail: describe(event) })));
  }

  committed(order: Order, emitted: readonly OrderOutput[]): void {
    recordSagaEnd(order, emitted);
  }

  /** Cancels every pending order older than the saga timeout; resolves to how many were cancelled. */
  async cancelTimedOut(now: Date): Promise<number> {
    const expired = await this.orders.pendingCreatedBefore(new Date(now.getTime() - this.config.SAGA_TIMEOUT_MS));
    let cancelled = 0;
    for (const { id } of expired) {
      const timeout = this.orchestrated ? orchestrateTimeout : decideTimeout;
      const events = await this.unitOfWork.decide(this, id, (order) => timeout(order, this.context(now)));
      cancelled += events.some((event) => event.type === 'OrderCancelled') ? 1 : 0;
    }
    return cancelled;
  }

  // ------------------------------------------------------------ the HTTP API

  /** Creates a pending order and its OrderCreated event (orchestrated: and ChargePayment) in one transaction: the saga starts. */
  async place(request: CreateOrderDto, idempotencyKey?: string): Promise<PlacedOrder> {
    const items: OrderItem[] = request.items.map(({ productId, quantity, price }) => ({
      productId,
      quantity,
      unitPriceCents: toCents(price),
    }));
    assertTotalMatches(request.total, totalOf(items));
    const requestHash = hashRequest(request.userId, items);
    // Two requests with one key on two instances: the loser's transaction runs again and finds the winner's order.
    return this.unitOfWork.commit(async (emit): Promise<PlacedOrder> => {
      const earlier = idempotencyKey ? await this.replay(idempotencyKey, requestHash) : undefined;
      if (earlier) return { order: earlier, replayed: true };
      const now = new Date();
      const placed = placeOrder(randomUUID(), request.userId, items, now);
      const { created } = placed;
      const { order, command } = this.orchestrated ? startSaga(placed.order, created, now) : { order: placed.order, command: null };
      const span = trace.getActiveSpan(); // the request's, when tracing is on: the saga's trace starts here
      span?.setAttribute('order.id', order.id);
      await this.orders.insert(order, idempotencyKey ? { key: idempotencyKey, requestHash } : null, span?.spanContext().traceId ?? null);
      const steps = command ? [created, command] : [created];
      await this.orders.recordSteps(steps.map((event) => ({ event, detail: describe(event) })));
      steps.forEach(emit);
      return { order, replayed: false };
    });
  }

  async get(id: string): Promise<{ order: Order; history: HistoryEntry[]; traceId: string | null }> {
    const order = await this.orders.find(id);
    if (!order) throw new NotFoundException(`order ${id} not found`);
    const [history, traceId] = await Promise.all([this.orders.history(id), this.orders.traceId(id)]);
    return { order, history, traceId };
  }

  list(status: OrderStatus | undefined, limit: number, offset: number) {
    return this.orders.list(status, limit, offset);
  }

  private async replay(key: string, requestHash: string): Promise<Order | undefined> {
    const earlier = await this.orders.findByIdempotencyKey(key);
    if (!earlier) return undefined;
    if (earlier.requestHash !== requestHash) {
      throw new UnprocessableEntityException(`Idempotency-Key "${key}" was already used for a different request`);
    }
    return this.orders.find(earlier.orderId);
  }
}

function assertTotalMatches(total: number | undefined, computedCents: number): void {
  if (total === undefined || toCents(total) === computedCents) return;
  throw new BadRequestException(`total ${total} does not match the items, which add up to ${fromCents(computedCents)}`);
}

function hashRequest(userId: string, items: readonly OrderItem[]): string {
  return createHash('sha256').update(JSON.stringify({ userId, items })).digest('hex');
}

/** One line of history for a saga step. */
function describe(event: SagaEvent): string | null {
  const payload = event.payload as Partial<{ code: string; reason: string; amountCents: number; totalCents: number }>;
  if (payload.code) return `${payload.code}: ${payload.reason}`;
  const cents = payload.amountCents ?? payload.totalCents;
  return cents === undefined ? null : `amount ${fromCents(cents).toFixed(2)}`;
}
