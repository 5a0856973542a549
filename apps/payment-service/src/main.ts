import { runService } from '#service';
import { paymentService } from './payment-service.definition.js';

await runService(paymentService);
