import { Module, type DynamicModule } from '@nestjs/common';
import { MessagingModule } from '#common';
import { InventoryServiceConfig } from './inventory-service.config.js';
import { InventoryEventsController } from './inventory/inventory-events.controller.js';
import { InventoryController } from './inventory/inventory.controller.js';
import { INVENTORY_MIGRATIONS } from './inventory/inventory.migrations.js';
import { InventoryRepository } from './inventory/inventory.repository.js';
import { InventoryService } from './inventory/inventory.service.js';

@Module({})
export class InventoryServiceModule {
  static forRoot(config: InventoryServiceConfig): DynamicModule {
    return {
      module: InventoryServiceModule,
      imports: [
        MessagingModule.forService({
          service: 'inventory-service',
          dataDir: config.DATA_DIR,
          migrations: INVENTORY_MIGRATIONS,
        }),
      ],
      controllers: [InventoryController, InventoryEventsController],
      providers: [{ provide: InventoryServiceConfig, useValue: config }, InventoryRepository, InventoryService],
    };
  }
}
