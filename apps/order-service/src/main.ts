import { runService } from '#service';
import { orderService } from './order-service.definition.js';

await runService(orderService);
