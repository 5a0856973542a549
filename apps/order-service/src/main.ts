import { runService } from '#common';
import { OrderServiceConfig } from './order-service.config.js';
import { OrderServiceModule } from './order-service.module.js';

await runService({
  name: 'order-service',
  group: 'ORDER_SERVICE',
  config: OrderServiceConfig,
  module: (config) => OrderServiceModule.forRoot(config),
});
