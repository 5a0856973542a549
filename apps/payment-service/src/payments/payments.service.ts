import { Injectable, NotFoundException } from '@nestjs/common';
import { SagaParticipant, UnitOfWork } from '#messaging';
import { PaymentServiceConfig } from '../payment-service.config.js';
import { paymentDecider, type Payment, type PaymentContext, type PaymentInput, type PaymentOutput } from './payment.domain.js';
import { PaymentsRepository } from './payments.repository.js';

/** The payment service's saga participant, and the query of its HTTP API. */
@Injectable()
export class PaymentsService extends SagaParticipant<Payment | undefined, PaymentInput['type'], PaymentOutput, PaymentContext> {
  constructor(
    unitOfWork: UnitOfWork,
    private readonly payments: PaymentsRepository,
    private readonly config: PaymentServiceConfig,
  ) {
    super(paymentDecider, unitOfWork);
  }

  // ------------------------------------------------------------ the participant

  context(): PaymentContext {
    return { now: new Date(), gateway: { failureRate: this.config.PAYMENT_FAILURE_RATE, simulationSeed: this.config.SIMULATION_SEED } };
  }

  load(orderId: string): Promise<Payment | undefined> {
    return this.payments.find(orderId);
  }

  async save(payment: Payment | undefined, before: Payment | undefined): Promise<void> {
    if (payment && payment !== before) await this.payments.save(payment);
  }

  // ------------------------------------------------------------ the HTTP API

  async get(orderId: string): Promise<Payment> {
    const payment = await this.payments.find(orderId);
    if (!payment) throw new NotFoundException(`no payment for order ${orderId}`);
    return payment;
  }
}
