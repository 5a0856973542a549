import { defineService } from '#service';
import { PaymentServiceConfig } from './payment-service.config.js';
import { PAYMENT_REACTS_TO } from './payments/payment.domain.js';
import { PaymentsController } from './payments/payments.controller.js';
import { PAYMENT_MIGRATIONS } from './payments/payments.migrations.js';
import { PaymentsRepository } from './payments/payments.repository.js';
import { PaymentsService } from './payments/payments.service.js';

/** Charges each new order once (a simulated gateway), and refunds it when the saga is compensated. */
export const paymentService = defineService({
  name: 'payment-service',
  summary: 'Charges each new order once (a simulated gateway), and refunds it when the saga is compensated.',
  port: 3003,
  config: PaymentServiceConfig,
  migrations: PAYMENT_MIGRATIONS,
  reactions: { to: PAYMENT_REACTS_TO, by: PaymentsService },
  delivery: 'outbox+inbox',
  controllers: [PaymentsController],
  providers: [PaymentsRepository, PaymentsService],
});
