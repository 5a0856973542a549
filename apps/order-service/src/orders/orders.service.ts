import { createHash, randomUUID } from 'node:crypto';
import { BadRequestException, Injectable, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import { fromCents, toCents, UnitOfWork, type Emit } from '#common';
import { createEvent, PermanentEventError, type OrderItem, type SagaEvent } from '#kafka';
import { OrderServiceConfig } from '../order-service.config.js';
import type { CreateOrderDto } from './dto/create-order.dto.js';
import { decide, decideTimeout, evolve, newOrder, totalOf, type Order, type OrderOutcomeEvent, type OrderSagaEvent, type OrderStatus } from './order.domain.js';
import { OrdersRepository, type HistoryEntry } from './orders.repository.js';

export interface PlacedOrder {
  readonly order: Order;
  /** True when an Idempotency-Key matched an earlier request: no new order, no new saga. */
  readonly replayed: boolean;
}

@Injectable()
export class OrdersService {
  constructor(
    private readonly orders: OrdersRepository,
    private readonly unitOfWork: UnitOfWork,
    private readonly config: OrderServiceConfig,
  ) {}

  /** Creates a pending order and its OrderCreated event in one transaction: the saga starts. */
  place(request: CreateOrderDto, idempotencyKey?: string): PlacedOrder {
    const items: OrderItem[] = request.items.map(({ productId, quantity, price }) => ({ productId, quantity, unitPriceCents: toCents(price) }));
    assertTotalMatches(request.total, totalOf(items));
    const requestHash = hashRequest(request.userId, items);
    return this.unitOfWork.commit((emit) => {
      const earlier = idempotencyKey ? this.replay(idempotencyKey, requestHash) : undefined;
      if (earlier) return { order: earlier, replayed: true };
      const order = newOrder(randomUUID(), request.userId, items, new Date());
      const created = createEvent(
        'OrderCreated',
        { orderId: order.id, userId: order.userId, items: order.items, totalCents: order.totalCents },
        { correlationId: order.id, causationId: null, occurredAt: new Date(order.createdAt) },
      );
      this.orders.insert(order, idempotencyKey ? { key: idempotencyKey, requestHash } : null);
      this.record(created, emit);
      return { order, replayed: false };
    });
  }

  get(id: string): { order: Order; history: HistoryEntry[] } {
    const order = this.orders.find(id);
    if (!order) throw new NotFoundException(`order ${id} not found`);
    return { order, history: this.orders.history(id) };
  }

  list(status: OrderStatus | undefined, limit: number, offset: number) {
    return this.orders.list(status, limit, offset);
  }

  /** Applies a payment or inventory outcome to its order, once. */
  react(event: OrderSagaEvent): void {
    this.unitOfWork.applyOnce(event, (emit) => {
      const order = this.orders.find(event.correlationId);
      if (!order) throw new PermanentEventError(`unknown order ${event.correlationId}`);
      this.orders.recordStep(event, describe(event));
      this.conclude(order, decide(order, event, new Date()), emit);
    });
  }

  /** Cancels every pending order older than the saga timeout; returns how many. */
  cancelTimedOut(now: Date): number {
    const expired = this.orders.pendingCreatedBefore(new Date(now.getTime() - this.config.SAGA_TIMEOUT_MS));
    for (const stale of expired) {
      this.unitOfWork.commit((emit) => {
        const order = this.orders.find(stale.id)!;
        const timeout = decideTimeout(order, now, this.config.SAGA_TIMEOUT_MS);
        if (timeout) this.conclude(order, [timeout], emit);
      });
    }
    return expired.length;
  }

  private conclude(order: Order, outcomes: OrderOutcomeEvent[], emit: Emit): void {
    if (outcomes.length === 0) return;
    this.orders.update(outcomes.reduce(evolve, order));
    for (const outcome of outcomes) this.record(outcome, emit);
  }

  private record(event: SagaEvent, emit: Emit): void {
    this.orders.recordStep(event, describe(event));
    emit(event);
  }

  private replay(key: string, requestHash: string): Order | undefined {
    const earlier = this.orders.findByIdempotencyKey(key);
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
