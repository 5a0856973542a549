import { Topics } from '#contracts';
import type { Database } from '#database';
import { freshDatabaseEach, testBackends } from '#database/testing';
import { transactionalMessaging, TRANSACTIONAL_MESSAGING_TABLES } from '#messaging';
import { loadConfig } from '#service';
import { OrderServiceConfig } from '../order-service.config.js';
import { ORDER_MIGRATIONS } from './orders.migrations.js';
import { OrdersRepository } from './orders.repository.js';
import { OrdersService } from './orders.service.js';

const TOPICS = new Topics('test.');
const REQUEST = { userId: 'user-1', items: [{ productId: 'prod-1', quantity: 2, price: 25 }] };

/** One instance of the order service on the database. */
function instance(database: Database) {
  const { unitOfWork, outbox } = transactionalMessaging(database, TOPICS);
  const config = loadConfig(OrderServiceConfig, { SAGA_TIMEOUT_MS: '1000' }, { PORT: 3002 });
  return { orders: new OrdersService(unitOfWork, new OrdersRepository(database), config), outbox };
}

/** The order service with its repository and the plumbing, on a real database of each backend. */
describe.each(testBackends())('order service on $dialect', (backend) => {
  const fresh = freshDatabaseEach(backend, { migrations: ORDER_MIGRATIONS, plumbing: TRANSACTIONAL_MESSAGING_TABLES });

  it('places an order with its OrderCreated, replays an Idempotency-Key, and refuses the key for another body', async () => {
    const { orders, outbox } = instance(fresh().database);

    const placed = await orders.place(REQUEST, 'key-1');
    const again = await orders.place(REQUEST, 'key-1');

    expect(placed).toMatchObject({ replayed: false, order: { status: 'pending', totalCents: 5000 } });
    expect(again).toEqual({ replayed: true, order: placed.order });
    await expect(orders.place({ ...REQUEST, userId: 'someone-else' }, 'key-1')).rejects.toThrow(/already used/);
    expect((await outbox.pending(10)).map((row) => row.topic)).toEqual(['test.order.created']);
    expect((await orders.get(placed.order.id)).history.map((entry) => entry.step)).toEqual(['OrderCreated']);
  });

  it('lists by status, newest first, and cancels what reached the saga timeout once', async () => {
    const { orders } = instance(fresh().database);
    const first = await orders.place(REQUEST);
    const second = await orders.place(REQUEST);

    const listed = (await orders.list('pending', 10, 0)).orders;
    expect(listed.map((order) => order.id).sort()).toEqual([first.order.id, second.order.id].sort());
    expect(listed[0].createdAt >= listed[1].createdAt).toBe(true);
    const later = new Date(Date.now() + 5_000);
    expect(await orders.cancelTimedOut(later)).toBe(2);
    expect(await orders.cancelTimedOut(later)).toBe(0);
    expect(await orders.list('cancelled', 10, 0)).toMatchObject({ total: 2 });
    expect((await orders.get(first.order.id)).order).toMatchObject({ status: 'cancelled', cancellationCode: 'SAGA.TIMEOUT' });
  });

  if (backend.dialect !== 'postgres') return;

  it('makes one order of two requests with one Idempotency-Key on two instances at once; the other gets the replay', async () => {
    const first = instance(fresh().database);
    const second = instance(await fresh().another());

    for (let round = 0; round < 10; round++) {
      const key = `race-${round}`;
      const results = await Promise.all([first.orders.place(REQUEST, key), second.orders.place(REQUEST, key)]);

      expect(new Set(results.map((result) => result.order.id)).size).toBe(1);
      expect(results.map((result) => result.replayed).sort()).toEqual([false, true]);
    }
    expect((await first.orders.list(undefined, 100, 0)).total).toBe(10);
    expect(await first.outbox.pending(100)).toHaveLength(10);
  });
});
