import { defineService } from '#service';
import { OrderServiceConfig } from './order-service.config.js';
import { ORDER_REACTS_TO } from './orders/order.domain.js';
import { OrdersController } from './orders/orders.controller.js';
import { ORDER_MIGRATIONS } from './orders/orders.migrations.js';
import { OrdersRepository } from './orders/orders.repository.js';
import { OrdersService } from './orders/orders.service.js';
import { SagaTimeoutWatcher } from './orders/saga-timeout.watcher.js';

/** Takes orders over HTTP, starts their saga, and finishes each order on the first outcome. */
export const orderService = defineService({
  name: 'order-service',
  summary: 'Takes orders over HTTP, starts their saga, and finishes each order on the first outcome.',
  port: 3002,
  config: OrderServiceConfig,
  migrations: ORDER_MIGRATIONS,
  reactions: { to: ORDER_REACTS_TO, by: OrdersService },
  delivery: 'outbox+inbox',
  controllers: [OrdersController],
  providers: [OrdersRepository, OrdersService, SagaTimeoutWatcher],
});
