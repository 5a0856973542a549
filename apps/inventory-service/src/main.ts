import { runService } from '#common';
import { InventoryServiceConfig } from './inventory-service.config.js';
import { InventoryServiceModule } from './inventory-service.module.js';

await runService({
  name: 'inventory-service',
  group: 'INVENTORY_SERVICE',
  config: InventoryServiceConfig,
  module: (config) => InventoryServiceModule.forRoot(config),
});
