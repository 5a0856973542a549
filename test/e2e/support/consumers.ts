import { EVENT_TOPICS, type EventType, type SagaMode } from '#contracts';
import { reactsTo } from '#service';
import { analyticsService } from '../../../apps/analytics-service/src/analytics-service.definition.js';
import { inventoryService } from '../../../apps/inventory-service/src/inventory-service.definition.js';
import { orderService } from '../../../apps/order-service/src/order-service.definition.js';
import { paymentService } from '../../../apps/payment-service/src/payment-service.definition.js';
import type { ServiceName } from './saga-system.js';

const DEFINITIONS = [orderService, paymentService, inventoryService, analyticsService];

/**
 * The services whose consumer group reads a topic in a saga mode, from their own
 * definitions (what each reacts to): whoever must skip a duplicate on it, or dead-letter
 * a poison message on it. `topic` may carry a prefix ("e2e-1a2b3c4d.order.created").
 */
export function consumersOf(topic: string, mode: SagaMode): ServiceName[] {
  const type = (Object.keys(EVENT_TOPICS) as EventType[]).find((t) => topic === EVENT_TOPICS[t] || topic.endsWith(`.${EVENT_TOPICS[t]}`));
  if (!type) return [];
  return DEFINITIONS.filter((definition) => (reactsTo(definition, mode) as readonly EventType[]).includes(type)).map(
    (definition) => definition.name as ServiceName,
  );
}
