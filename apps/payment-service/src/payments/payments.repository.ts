import { Inject, Injectable } from '@nestjs/common';
import { DATABASE, type Db } from '#service';
import type { Payment, PaymentStatus } from './payment.domain.js';

interface PaymentRow {
  order_id: string;
  payment_id: string | null;
  amount_cents: number;
  status: PaymentStatus;
  reason: string | null;
  created_at: string;
  updated_at: string;
}

@Injectable()
export class PaymentsRepository {
  private readonly upsert;
  private readonly byOrder;

  constructor(@Inject(DATABASE) db: Db) {
    this.upsert = db.prepare(
      `INSERT INTO payments (order_id, payment_id, amount_cents, status, reason, created_at, updated_at)
       VALUES (@order_id, @payment_id, @amount_cents, @status, @reason, @created_at, @updated_at)
       ON CONFLICT (order_id) DO UPDATE SET status = excluded.status, reason = excluded.reason, updated_at = excluded.updated_at`,
    );
    this.byOrder = db.prepare<[string], PaymentRow>('SELECT * FROM payments WHERE order_id = ?');
  }

  save(payment: Payment): void {
    this.upsert.run({
      order_id: payment.orderId,
      payment_id: payment.paymentId,
      amount_cents: payment.amountCents,
      status: payment.status,
      reason: payment.reason,
      created_at: payment.createdAt,
      updated_at: payment.updatedAt,
    });
  }

  find(orderId: string): Payment | undefined {
    const row = this.byOrder.get(orderId);
    return (
      row && {
        orderId: row.order_id,
        paymentId: row.payment_id,
        amountCents: row.amount_cents,
        status: row.status,
        reason: row.reason,
        createdAt: row.created_at,
        updatedAt: row.updated_at,
      }
    );
  }
}
