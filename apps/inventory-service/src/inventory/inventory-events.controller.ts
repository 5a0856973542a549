import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, KafkaContext, Payload } from '@nestjs/microservices';
import { EventConsumer, topics } from '#kafka';
import { InventoryService } from './inventory.service.js';

/** Kafka side of the inventory service: parse, validate, delegate. */
@Controller()
export class InventoryEventsController {
  constructor(
    private readonly consumer: EventConsumer,
    private readonly inventory: InventoryService,
  ) {}

  @EventPattern<string>(topics.PAYMENT_COMPLETED)
  reserveWhenPaymentCompleted(@Payload() value: unknown, @Ctx() context: KafkaContext) {
    return this.consumer.consume(value, context, ['PaymentCompleted'], (event) => this.inventory.react(event));
  }

  @EventPattern<string>(topics.ORDER_CANCELLED)
  releaseWhenOrderCancelled(@Payload() value: unknown, @Ctx() context: KafkaContext) {
    return this.consumer.consume(value, context, ['OrderCancelled'], (event) => this.inventory.react(event));
  }
}
