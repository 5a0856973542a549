import { Module, type DynamicModule } from '@nestjs/common';
import { MessagingModule } from '#common';
import { PaymentServiceConfig } from './payment-service.config.js';
import { PaymentEventsController } from './payments/payment-events.controller.js';
import { PaymentsController } from './payments/payments.controller.js';
import { PAYMENT_MIGRATIONS } from './payments/payments.migrations.js';
import { PaymentsRepository } from './payments/payments.repository.js';
import { PaymentsService } from './payments/payments.service.js';

@Module({})
export class PaymentServiceModule {
  static forRoot(config: PaymentServiceConfig): DynamicModule {
    return {
      module: PaymentServiceModule,
      imports: [
        MessagingModule.forService({
          service: 'payment-service',
          dataDir: config.DATA_DIR,
          migrations: PAYMENT_MIGRATIONS,
        }),
      ],
      controllers: [PaymentsController, PaymentEventsController],
      providers: [{ provide: PaymentServiceConfig, useValue: config }, PaymentsRepository, PaymentsService],
    };
  }
}
