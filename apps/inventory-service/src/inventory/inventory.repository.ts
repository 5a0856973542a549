import { Inject, Injectable } from '@nestjs/common';
import type { OrderItem } from '#contracts';
import { DATABASE, type Db } from '#service';
import type { Reservation, ReservationStatus, StockLevel } from './inventory.domain.js';

interface ReservationRow {
  order_id: string;
  status: ReservationStatus;
  items: string;
  reason: string | null;
  updated_at: string;
}

@Injectable()
export class InventoryRepository {
  private readonly statements;

  constructor(@Inject(DATABASE) private readonly db: Db) {
    this.statements = {
      addProduct: db.prepare('INSERT OR IGNORE INTO products (product_id, initial, available, reserved) VALUES (?, ?, ?, 0)'),
      stock: db.prepare<[], StockLevel>('SELECT product_id AS productId, initial, available, reserved FROM products ORDER BY product_id'),
      setLevel: db.prepare('UPDATE products SET available = @available, reserved = @reserved WHERE product_id = @productId'),
      reservation: db.prepare<[string], ReservationRow>('SELECT * FROM reservations WHERE order_id = ?'),
      saveReservation: db.prepare(
        `INSERT INTO reservations (order_id, status, items, reason, updated_at)
         VALUES (@order_id, @status, @items, @reason, @updated_at)
         ON CONFLICT (order_id) DO UPDATE SET
           status = excluded.status, items = excluded.items, reason = excluded.reason, updated_at = excluded.updated_at`,
      ),
    };
  }

  /** Puts products on the shelf that are not there yet; existing stock is left alone. */
  addInitialStock(initial: ReadonlyMap<string, number>): void {
    this.db.transaction(() => {
      for (const [productId, quantity] of initial) this.statements.addProduct.run(productId, quantity, quantity);
    })();
  }

  stock(): StockLevel[] {
    return this.statements.stock.all();
  }

  saveStockLevel({ productId, available, reserved }: StockLevel): void {
    this.statements.setLevel.run({ productId, available, reserved });
  }

  findReservation(orderId: string): Reservation | undefined {
    const row = this.statements.reservation.get(orderId);
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

  saveReservation(reservation: Reservation): void {
    this.statements.saveReservation.run({
      order_id: reservation.orderId,
      status: reservation.status,
      items: JSON.stringify(reservation.items),
      reason: reservation.reason,
      updated_at: reservation.updatedAt,
    });
  }
}
