import { Injectable, NotFoundException } from '@nestjs/common';
import { UnitOfWork, type EventReactor, type Participant } from '#messaging';
import { PaymentServiceConfig } from '../payment-service.config.js';
import { paymentDecider, type Payment, type PaymentContext, type PaymentInput, type PaymentOutput } from './payment.domain.js';
import { PaymentsRepository } from './payments.repository.js';

/** The payment service's saga participant, and the query of its HTTP API. */
@Injectable()
export class PaymentsService
  implements Participant<Payment | undefined, PaymentInput, PaymentOutput, PaymentContext>, EventReactor<PaymentInput['type']>
{
  readonly decider = paymentDecider;

  constructor(
    private readonly payments: PaymentsRepository,
    private readonly unitOfWork: UnitOfWork,
    private readonly config: PaymentServiceConfig,
  ) {}

  // ------------------------------------------------------------ the participant

  /** Charges a new order, or refunds a charged one on compensation; once per event. */
  react(event: PaymentInput): void {
    this.unitOfWork.react(this, event);
  }

  context(): PaymentContext {
    return { now: new Date(), gateway: { failureRate: this.config.PAYMENT_FAILURE_RATE, simulationSeed: this.config.SIMULATION_SEED } };
  }

  load(orderId: string): Payment | undefined {
    return this.payments.find(orderId);
  }

  save(payment: Payment | undefined, before: Payment | undefined): void {
    if (payment && payment !== before) this.payments.save(payment);
  }

  // ------------------------------------------------------------ the HTTP API

  get(orderId: string): Payment {
    const payment = this.payments.find(orderId);
    if (!payment) throw new NotFoundException(`no payment for order ${orderId}`);
    return payment;
  }
}
