import { ApiProperty } from '@nestjs/swagger';
import { fromCents } from '#domain';
import type { Payment, PaymentStatus } from './payment.domain.js';

/** What the API shows of a payment: a decimal amount. */
export class PaymentView {
  @ApiProperty({ format: 'uuid' }) orderId: string;
  @ApiProperty({ type: 'string', nullable: true, description: 'null when the charge was never made' }) paymentId: string | null;
  @ApiProperty({ example: 50 }) amount: number;
  @ApiProperty({ enum: ['completed', 'failed', 'refunded'] }) status: PaymentStatus;
  @ApiProperty({ type: 'string', nullable: true, description: 'why it failed or was refunded' }) reason: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export function paymentView({ amountCents, ...payment }: Payment): PaymentView {
  return { ...payment, amount: fromCents(amountCents) };
}
