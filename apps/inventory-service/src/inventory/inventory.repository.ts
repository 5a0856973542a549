import { Injectable } from '@nestjs/common';
import type { OrderItem } from '#contracts';
import { Database } from '#database';
import type { Reservation, ReservationStatus, Restock, StockLevel } from './inventory.domain.js';

/** The inventory service's tables, as Kysely sees them (see inventory.migrations.ts). */
export interface InventoryTables {
  products: { product_id: string; initial: number; restocked: number; available: number; reserved: number };
  restocks: { restock_id: string; product_id: string; quantity: number; restocked_at: string };
  reservations: { order_id: string; status: ReservationStatus; items: string; reason: string | null; updated_at: string };
}

/** A product's stock as the domain names it (StockLevel). */
const STOCK_COLUMNS = ['product_id as productId', 'initial', 'restocked', 'available', 'reserved'] as const;

/** Stock per product and one reservation per order. Every method takes part in the transaction in progress, if any. */
@Injectable()
export class InventoryRepository {
  private readonly database: Database<InventoryTables>;

  constructor(database: Database) {
    this.database = database.withTables<InventoryTables>();
  }

  private get db() {
    return this.database.query;
  }

  /** Puts products on the shelf that are not there yet; existing stock is left alone. */
  async addInitialStock(initial: ReadonlyMap<string, number>): Promise<void> {
    if (initial.size === 0) return;
    const rows = [...initial].map(([product_id, quantity]) => ({
      product_id,
      initial: quantity,
      restocked: 0,
      available: quantity,
      reserved: 0,
    }));
    await this.db
      .insertInto('products')
      .values(rows)
      .onConflict((conflict) => conflict.column('product_id').doNothing())
      .execute();
  }

  stock(): Promise<StockLevel[]> {
    return this.db.selectFrom('products').select(STOCK_COLUMNS).orderBy('product_id').execute();
  }

  findStockLevel(productId: string): Promise<StockLevel | undefined> {
    return this.db.selectFrom('products').select(STOCK_COLUMNS).where('product_id', '=', productId).executeTakeFirst();
  }

  async saveStockLevel({ productId, available, reserved, restocked }: StockLevel): Promise<void> {
    await this.db.updateTable('products').set({ available, reserved, restocked }).where('product_id', '=', productId).execute();
  }

  findRestock(restockId: string): Promise<Restock | undefined> {
    return this.db
      .selectFrom('restocks')
      .select(['restock_id as restockId', 'product_id as productId', 'quantity', 'restocked_at as restockedAt'])
      .where('restock_id', '=', restockId)
      .executeTakeFirst();
  }

  async saveRestock({ restockId, productId, quantity, restockedAt }: Restock): Promise<void> {
    await this.db
      .insertInto('restocks')
      .values({ restock_id: restockId, product_id: productId, quantity, restocked_at: restockedAt })
      .execute();
  }

  async findReservation(orderId: string): Promise<Reservation | undefined> {
    const row = await this.db.selectFrom('reservations').selectAll().where('order_id', '=', orderId).executeTakeFirst();
    return (
      row && {
        orderId: row.order_id,
        status: row.status,
        items: JSON.parse(row.items) as OrderItem[],
        reason: row.reason,
        updatedAt: row.updated_at,
      }
    );
  }

  async saveReservation(reservation: Reservation): Promise<void> {
    await this.db
      .insertInto('reservations')
      .values({
        order_id: reservation.orderId,
        status: reservation.status,
        items: JSON.stringify(reservation.items),
        reason: reservation.reason,
        updated_at: reservation.updatedAt,
      })
      .onConflict((conflict) =>
        conflict.column('order_id').doUpdateSet((eb) => ({
          status: eb.ref('excluded.status'),
          items: eb.ref('excluded.items'),
          reason: eb.ref('excluded.reason'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
  }
}
