import { FAILURE_CODES, Topics, type SagaEvent } from '#contracts';
import { next, orderCreated } from '#contracts/testing';
import type { Database } from '#database';
import { freshDatabaseEach, testBackends } from '#database/testing';
import { transactionalMessaging, TRANSACTIONAL_MESSAGING_TABLES } from '#messaging';
import { loadConfig } from '#service';
import { PaymentServiceConfig } from '../payment-service.config.js';
import { PAYMENT_MIGRATIONS } from './payments.migrations.js';
import { PaymentsRepository } from './payments.repository.js';
import { PaymentsService } from './payments.service.js';

const TOPICS = new Topics('test.');

/** One instance of the payment service on the database: its participant and its outbox. */
function instance(database: Database) {
  const { unitOfWork, outbox } = transactionalMessaging(database, TOPICS);
  const config = loadConfig(PaymentServiceConfig, { PAYMENT_FAILURE_RATE: '0' }, { PORT: 3003 });
  return { payments: new PaymentsService(unitOfWork, new PaymentsRepository(database), config), outbox };
}

async function published(outbox: ReturnType<typeof instance>['outbox']): Promise<SagaEvent[]> {
  return (await outbox.pending(10_000)).map((row) => JSON.parse(row.value) as SagaEvent);
}

/** The payment participant with its repository and the plumbing, on a real database of each backend. */
describe.each(testBackends())('payment service on $dialect', (backend) => {
  const fresh = freshDatabaseEach(backend, { migrations: PAYMENT_MIGRATIONS, plumbing: TRANSACTIONAL_MESSAGING_TABLES });

  it('charges an order once however often its OrderCreated is delivered, and saves and emits the outcome together', async () => {
    const { payments, outbox } = instance(fresh().database);
    const created = orderCreated();

    await payments.react(created);
    await payments.react(created);

    expect(await payments.get(created.correlationId)).toMatchObject({ status: 'completed', amountCents: 6000 });
    expect((await published(outbox)).map((event) => event.type)).toEqual(['PaymentCompleted']);
  });

  it('refunds once on compensation, and keeps the tombstone of an order cancelled before its OrderCreated', async () => {
    const { payments, outbox } = instance(fresh().database);
    const charged = orderCreated();
    const cancelledFirst = orderCreated();
    const cancel = (created: typeof charged) => next(created, 'OrderCancelled', { code: FAILURE_CODES.SAGA_TIMEOUT, reason: 'late' });

    await payments.react(charged);
    await payments.react(cancel(charged));
    await payments.react(cancel(cancelledFirst));
    await payments.react(cancelledFirst);

    expect(await payments.get(charged.correlationId)).toMatchObject({ status: 'refunded' });
    expect(await payments.get(cancelledFirst.correlationId)).toMatchObject({ status: 'failed', amountCents: 0 });
    expect((await published(outbox)).map((event) => event.type)).toEqual(['PaymentCompleted', 'PaymentRefunded', 'PaymentFailed']);
  });

  if (backend.dialect !== 'postgres') return;

  it('charges at most once and refunds every charge when one order is created and cancelled on two instances at once', async () => {
    const first = instance(fresh().database);
    const second = instance(await fresh().another());
    const orders = Array.from({ length: 25 }, () => orderCreated());

    await Promise.all(
      orders.flatMap((created) => [
        first.payments.react(created),
        second.payments.react(next(created, 'OrderCancelled', { code: FAILURE_CODES.SAGA_TIMEOUT, reason: 'raced' })),
      ]),
    );

    const events = await published(first.outbox);
    for (const created of orders) {
      const mine = events.filter((event) => event.correlationId === created.correlationId).map((event) => event.type);
      const charges = mine.filter((type) => type === 'PaymentCompleted').length;
      expect(charges).toBeLessThanOrEqual(1);
      expect(mine.filter((type) => type === 'PaymentRefunded').length).toBe(charges);
      expect((await first.payments.get(created.correlationId)).status).not.toBe('completed');
    }
  });
});
