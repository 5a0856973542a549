import { runService } from '#common';
import { PaymentServiceConfig } from './payment-service.config.js';
import { PaymentServiceModule } from './payment-service.module.js';

await runService({
  name: 'payment-service',
  group: 'PAYMENT_SERVICE',
  config: PaymentServiceConfig,
  module: (config) => PaymentServiceModule.forRoot(config),
});
