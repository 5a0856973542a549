import { Module, type DynamicModule } from '@nestjs/common';
import { MessagingModule } from '#common';
import { OrderServiceConfig } from './order-service.config.js';
import { OrderEventsController } from './orders/order-events.controller.js';
import { OrdersController } from './orders/orders.controller.js';
import { ORDER_MIGRATIONS } from './orders/orders.migrations.js';
import { OrdersRepository } from './orders/orders.repository.js';
import { OrdersService } from './orders/orders.service.js';
import { SagaTimeoutWatcher } from './orders/saga-timeout.watcher.js';

@Module({})
export class OrderServiceModule {
  static forRoot(config: OrderServiceConfig): DynamicModule {
    return {
      module: OrderServiceModule,
      imports: [
        MessagingModule.forService({
          service: 'order-service',
          dataDir: config.DATA_DIR,
          migrations: ORDER_MIGRATIONS,
        }),
      ],
      controllers: [OrdersController, OrderEventsController],
      providers: [{ provide: OrderServiceConfig, useValue: config }, OrdersRepository, OrdersService, SagaTimeoutWatcher],
    };
  }
}
