import { Injectable, NotFoundException } from '@nestjs/common';
import { UnitOfWork } from '#common';
import { PaymentServiceConfig } from '../payment-service.config.js';
import { decide, evolve, type Gateway, type Payment, type PaymentSagaEvent } from './payment.domain.js';
import { PaymentsRepository } from './payments.repository.js';

@Injectable()
export class PaymentsService {
  private readonly gateway: Gateway;

  constructor(
    private readonly payments: PaymentsRepository,
    private readonly unitOfWork: UnitOfWork,
    config: PaymentServiceConfig,
  ) {
    this.gateway = { failureRate: config.PAYMENT_FAILURE_RATE, seed: config.SIMULATION_SEED };
  }

  /** Charges a new order, or refunds a charged one on compensation; once per event. */
  react(event: PaymentSagaEvent): void {
    this.unitOfWork.applyOnce(event, (emit) => {
      let payment = this.payments.find(event.correlationId);
      for (const outcome of decide(payment, event, this.gateway, new Date())) {
        payment = evolve(payment, outcome);
        this.payments.save(payment);
        emit(outcome);
      }
    });
  }

  get(orderId: string): Payment {
    const payment = this.payments.find(orderId);
    if (!payment) throw new NotFoundException(`no payment for order ${orderId}`);
    return payment;
  }
}
