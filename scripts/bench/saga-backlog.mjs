// A backlog of saga events for the analytics benchmarks (`npm run bench:analytics` and
// `npm run bench`): the events of finished orders along the saga's three paths, written
// straight to the topics as the services would have published them.
import { randomUUID } from 'node:crypto';

/**
 * Publishes the events of `count` orders along the saga's paths (56 % completed,
 * 30 % declined, 14 % refunded) with `producer` (a connected kafkajs producer) to the
 * topics of `topics` (libs/contracts' Topics); `contracts` is the compiled libs/contracts
 * module. Resolves to the number of events written.
 */
export async function produceOrders({ producer, topics, contracts }, count) {
  const batch = new Map();
  let events = 0;
  const flush = async () => {
    await producer.sendBatch({ topicMessages: [...batch].map(([topic, messages]) => ({ topic, messages })) });
    batch.clear();
  };
  for (let i = 0; i < count; i++) {
    for (const event of sagaOf(contracts, randomUUID(), i)) {
      const topic = topics.of(event.type);
      if (!batch.has(topic)) batch.set(topic, []);
      batch.get(topic).push({ key: event.correlationId, value: JSON.stringify(event) });
      events++;
    }
    if (i % 500 === 499) await flush();
  }
  await flush();
  return events;
}

/** The events of one finished order; the i-th order takes path i % 50 (15 of 50 declined, 7 refunded, 28 completed). */
export function sagaOf(contracts, orderId, i) {
  const items = [{ productId: 'prod-1', quantity: 1, unitPriceCents: 2500 }];
  const at = (ms) => new Date(Date.now() + ms);
  const created = contracts.createEvent(
    'OrderCreated',
    { orderId, userId: 'bench', items, totalCents: 2500 },
    { correlationId: orderId, causationId: null, occurredAt: at(0) },
  );
  const next = (cause, type, payload, ms) => contracts.eventCausedBy(cause, type, { orderId, ...payload }, at(ms));
  const path = i % 50;
  if (path < 15) {
    const failed = next(created, 'PaymentFailed', { amountCents: 2500, code: 'PAYMENT.DECLINED', reason: 'bench' }, 5);
    return [created, failed, next(failed, 'OrderCancelled', { code: 'PAYMENT.DECLINED', reason: 'bench' }, 10)];
  }
  const paid = next(created, 'PaymentCompleted', { paymentId: randomUUID(), amountCents: 2500, items }, 5);
  if (path < 22) {
    const failed = next(paid, 'InventoryFailed', { code: 'INVENTORY.SIMULATED_FAILURE', reason: 'bench' }, 10);
    return [
      created,
      paid,
      failed,
      next(
        failed,
        'PaymentRefunded',
        { paymentId: paid.payload.paymentId, amountCents: 2500, code: 'INVENTORY.SIMULATED_FAILURE', reason: 'bench' },
        15,
      ),
      next(failed, 'OrderCancelled', { code: 'INVENTORY.SIMULATED_FAILURE', reason: 'bench' }, 15),
    ];
  }
  const reserved = next(paid, 'InventoryReserved', { items }, 10);
  return [created, paid, reserved, next(reserved, 'OrderCompleted', { totalCents: 2500 }, 15)];
}
