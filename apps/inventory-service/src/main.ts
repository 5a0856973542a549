import { runService } from '#service';
import { inventoryService } from './inventory-service.definition.js';

await runService(inventoryService);
