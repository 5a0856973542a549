import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, KafkaContext, Payload } from '@nestjs/microservices';
import { EventConsumer, topics } from '#kafka';
import { PaymentsService } from './payments.service.js';

/** Kafka side of the payment service: parse, validate, delegate. */
@Controller()
export class PaymentEventsController {
  constructor(
    private readonly consumer: EventConsumer,
    private readonly payments: PaymentsService,
  ) {}

  @EventPattern<string>(topics.ORDER_CREATED)
  chargeWhenOrderCreated(@Payload() value: unknown, @Ctx() context: KafkaContext) {
    return this.consumer.consume(value, context, ['OrderCreated'], (event) => this.payments.react(event));
  }

  @EventPattern<string>(topics.INVENTORY_FAILED)
  refundWhenInventoryFailed(@Payload() value: unknown, @Ctx() context: KafkaContext) {
    return this.consumer.consume(value, context, ['InventoryFailed'], (event) => this.payments.react(event));
  }

  @EventPattern<string>(topics.ORDER_CANCELLED)
  refundWhenOrderCancelled(@Payload() value: unknown, @Ctx() context: KafkaContext) {
    return this.consumer.consume(value, context, ['OrderCancelled'], (event) => this.payments.react(event));
  }
}
