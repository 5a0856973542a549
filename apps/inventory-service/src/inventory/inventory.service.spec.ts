import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { ConflictException, NotFoundException } from '@nestjs/common';
import { FAILURE_CODES, Topics, type OrderItem, type SagaEvent } from '#contracts';
import { next, orderCreated } from '#contracts/testing';
import { openDatabase, type Database } from '#database';
import { freshDatabaseEach, testBackends } from '#database/testing';
import { transactionalMessaging, TRANSACTIONAL_MESSAGING_TABLES } from '#messaging';
import { loadConfig } from '#service';
import { InventoryServiceConfig } from '../inventory-service.config.js';
import { INVENTORY_MIGRATIONS } from './inventory.migrations.js';
import { InventoryRepository, type InventoryTables } from './inventory.repository.js';
import { InventoryService } from './inventory.service.js';

const TOPICS = new Topics('test.');
const ONE: OrderItem[] = [{ productId: 'prod-1', quantity: 1, unitPriceCents: 100 }];

/** One instance of the inventory service on the database, with 10 of prod-1 on the shelf. */
async function instance(database: Database) {
  const { unitOfWork, outbox } = transactionalMessaging(database, TOPICS);
  const config = loadConfig(InventoryServiceConfig, { INVENTORY_FAILURE_RATE: '0', INITIAL_STOCK: 'prod-1:10' }, { PORT: 3004 });
  const inventory = new InventoryService(unitOfWork, new InventoryRepository(database), config);
  await inventory.onModuleInit();
  return { inventory, outbox };
}

function paid(items: OrderItem[] = ONE) {
  const created = orderCreated(undefined, items);
  return next(created, 'PaymentCompleted', { paymentId: created.eventId, amountCents: 100, items });
}

/** The inventory participant with its repository and the plumbing, on a real database of each backend. */
describe.each(testBackends())('inventory service on $dialect', (backend) => {
  const fresh = freshDatabaseEach(backend, { migrations: INVENTORY_MIGRATIONS, plumbing: TRANSACTIONAL_MESSAGING_TABLES });

  it('reserves a paid order, releases it when cancelled, and keeps the stock conserved', async () => {
    const { inventory, outbox } = await instance(fresh().database);
    const payment = paid([{ productId: 'prod-1', quantity: 3, unitPriceCents: 100 }]);

    await inventory.react(payment);
    expect(await inventory.stock()).toEqual([{ productId: 'prod-1', initial: 10, restocked: 0, available: 7, reserved: 3 }]);
    await inventory.react(next(payment, 'OrderCancelled', { code: FAILURE_CODES.SAGA_TIMEOUT, reason: 'late' }));

    expect(await inventory.stock()).toEqual([{ productId: 'prod-1', initial: 10, restocked: 0, available: 10, reserved: 0 }]);
    expect(await inventory.reservation(payment.correlationId)).toMatchObject({ status: 'released' });
    const types = (await outbox.pending(10)).map((row) => (JSON.parse(row.value) as SagaEvent).type);
    expect(types).toEqual(['InventoryReserved', 'InventoryReleased']);
  });

  it('puts the initial stock on the shelf once: a restart keeps what the database holds', async () => {
    const { inventory } = await instance(fresh().database);
    await inventory.react(paid());
    await inventory.onModuleInit();
    expect(await inventory.stock()).toEqual([{ productId: 'prod-1', initial: 10, restocked: 0, available: 9, reserved: 1 }]);
  });

  it('restocks once per restock id, in the ledger and on the shelf, and refuses what it cannot do', async () => {
    const { inventory } = await instance(fresh().database);
    await inventory.react(paid([{ productId: 'prod-1', quantity: 4, unitPriceCents: 100 }]));
    const restockId = randomUUID();

    const first = await inventory.restock({ productId: 'prod-1', quantity: 4, restockId });
    const again = await inventory.restock({ productId: 'prod-1', quantity: 4, restockId });

    expect(first.level).toEqual({ productId: 'prod-1', initial: 10, restocked: 4, available: 10, reserved: 4 });
    expect(again).toEqual(first);
    expect(await inventory.stock()).toEqual([first.level]);
    await expect(inventory.restock({ productId: 'prod-1', quantity: 5, restockId })).rejects.toThrow(ConflictException);
    await expect(inventory.restock({ productId: 'prod-9', quantity: 1 })).rejects.toThrow(NotFoundException);
    expect(await inventory.stock()).toEqual([first.level]);
  });

  it('lets a reservation take the restocked units, and keeps the sum', async () => {
    const { inventory } = await instance(fresh().database);
    await inventory.restock({ productId: 'prod-1', quantity: 2 });
    await inventory.react(paid([{ productId: 'prod-1', quantity: 12, unitPriceCents: 100 }]));
    expect(await inventory.stock()).toEqual([{ productId: 'prod-1', initial: 10, restocked: 2, available: 0, reserved: 12 }]);
  });

  if (backend.dialect !== 'postgres') return;

  it('never oversells when two instances reserve the same product at once', async () => {
    const first = await instance(fresh().database);
    const second = await instance(await fresh().another());
    const payments = Array.from({ length: 20 }, () => paid());

    await Promise.all(payments.map((payment, i) => (i % 2 ? first : second).inventory.react(payment)));

    expect(await first.inventory.stock()).toEqual([{ productId: 'prod-1', initial: 10, restocked: 0, available: 0, reserved: 10 }]);
    const outcomes = (await first.outbox.pending(100)).map((row) => JSON.parse(row.value) as SagaEvent);
    expect(outcomes.filter((event) => event.type === 'InventoryReserved')).toHaveLength(10);
    expect(outcomes.filter((event) => event.type === 'InventoryFailed')).toHaveLength(10);
  });
});

describe('inventory schema v2 (restocks) on SQLite', () => {
  it('migrates a shelf of v1: the stock is kept, nothing restocked yet, and the new sum is enforced', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'inventory-v1-')), 'inventory.db');
    const v1 = await openDatabase({ sqliteFile: file, migrations: { sqlite: INVENTORY_MIGRATIONS.sqlite.slice(0, 1), postgres: [] } });
    await sql`INSERT INTO products (product_id, initial, available, reserved) VALUES ('prod-1', 10, 7, 3)`.execute(v1.query);
    await v1.close();

    const v2 = await openDatabase({ sqliteFile: file, migrations: INVENTORY_MIGRATIONS });
    try {
      expect(await new InventoryRepository(v2).stock()).toEqual([
        { productId: 'prod-1', initial: 10, restocked: 0, available: 7, reserved: 3 },
      ]);
      // Matched by message: better-sqlite3's error class may come from another test file's context (Jest gives each its own).
      const refused = await v2
        .withTables<InventoryTables>()
        .query.updateTable('products')
        .set({ available: 8 })
        .execute()
        .then(
          () => null,
          (error: unknown) => (error as { message?: string }).message,
        );
      expect(refused).toMatch(/CHECK constraint failed/);
    } finally {
      await v2.close();
    }
  });
});
