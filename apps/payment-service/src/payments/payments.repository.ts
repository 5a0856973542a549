import { Injectable } from '@nestjs/common';
import { Database } from '#database';
import type { Payment, PaymentStatus } from './payment.domain.js';

/** The payment service's table, as Kysely sees it (see payments.migrations.ts). */
export interface PaymentTables {
  payments: {
    order_id: string;
    payment_id: string | null;
    amount_cents: number;
    status: PaymentStatus;
    reason: string | null;
    created_at: string;
    updated_at: string;
  };
}

/** One payment per order. Every method takes part in the transaction in progress, if any. */
@Injectable()
export class PaymentsRepository {
  private readonly database: Database<PaymentTables>;

  constructor(database: Database) {
    this.database = database.withTables<PaymentTables>();
  }

  async save(payment: Payment): Promise<void> {
    await this.database.query
      .insertInto('payments')
      .values({
        order_id: payment.orderId,
        payment_id: payment.paymentId,
        amount_cents: payment.amountCents,
        status: payment.status,
        reason: payment.reason,
        created_at: payment.createdAt,
        updated_at: payment.updatedAt,
      })
      .onConflict((conflict) =>
        conflict.column('order_id').doUpdateSet((eb) => ({
          status: eb.ref('excluded.status'),
          reason: eb.ref('excluded.reason'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
  }

  async find(orderId: string): Promise<Payment | undefined> {
    const row = await this.database.query.selectFrom('payments').selectAll().where('order_id', '=', orderId).executeTakeFirst();
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
