import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, KafkaContext, Payload } from '@nestjs/microservices';
import { EventConsumer, topics } from '#kafka';
import { OrdersService } from './orders.service.js';

/** Kafka side of the order service: parse, validate, delegate. */
@Controller()
export class OrderEventsController {
  constructor(
    private readonly consumer: EventConsumer,
    private readonly orders: OrdersService,
  ) {}

  @EventPattern<string>(topics.PAYMENT_COMPLETED)
  onPaymentCompleted(@Payload() value: unknown, @Ctx() context: KafkaContext) {
    return this.consumer.consume(value, context, ['PaymentCompleted'], (event) => this.orders.react(event));
  }

  @EventPattern<string>(topics.PAYMENT_FAILED)
  cancelWhenPaymentFailed(@Payload() value: unknown, @Ctx() context: KafkaContext) {
    return this.consumer.consume(value, context, ['PaymentFailed'], (event) => this.orders.react(event));
  }

  @EventPattern<string>(topics.PAYMENT_REFUNDED)
  onPaymentRefunded(@Payload() value: unknown, @Ctx() context: KafkaContext) {
    return this.consumer.consume(value, context, ['PaymentRefunded'], (event) => this.orders.react(event));
  }

  @EventPattern<string>(topics.INVENTORY_RESERVED)
  completeWhenInventoryReserved(@Payload() value: unknown, @Ctx() context: KafkaContext) {
    return this.consumer.consume(value, context, ['InventoryReserved'], (event) => this.orders.react(event));
  }

  @EventPattern<string>(topics.INVENTORY_FAILED)
  cancelWhenInventoryFailed(@Payload() value: unknown, @Ctx() context: KafkaContext) {
    return this.consumer.consume(value, context, ['InventoryFailed'], (event) => this.orders.react(event));
  }
}
