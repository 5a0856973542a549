import { defineService } from '#service';
import { InventoryServiceConfig } from './inventory-service.config.js';
import { InventoryController } from './inventory/inventory.controller.js';
import { INVENTORY_REACTS_TO } from './inventory/inventory.domain.js';
import { INVENTORY_MIGRATIONS } from './inventory/inventory.migrations.js';
import { InventoryRepository } from './inventory/inventory.repository.js';
import { InventoryService } from './inventory/inventory.service.js';

/** Reserves a paid order's items (a simulated warehouse), and puts them back when the order is cancelled. */
export const inventoryService = defineService({
  name: 'inventory-service',
  summary: "Reserves a paid order's items (a simulated warehouse), and puts them back when the order is cancelled.",
  port: 3004,
  config: InventoryServiceConfig,
  migrations: INVENTORY_MIGRATIONS,
  reactions: { to: INVENTORY_REACTS_TO, by: InventoryService },
  delivery: 'outbox+inbox',
  controllers: [InventoryController],
  providers: [InventoryRepository, InventoryService],
});
