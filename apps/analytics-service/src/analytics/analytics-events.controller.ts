import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, KafkaContext, Payload } from '@nestjs/microservices';
import { EventConsumer, topics, type EventType } from '#kafka';
import { AnalyticsService } from './analytics.service.js';

/** Analytics subscribes to every saga topic in its own consumer group (pub/sub). */
@Controller()
export class AnalyticsEventsController {
  constructor(
    private readonly consumer: EventConsumer,
    private readonly analytics: AnalyticsService,
  ) {}

  @EventPattern<string>(topics.ORDER_CREATED)
  onOrderCreated(@Payload() value: unknown, @Ctx() context: KafkaContext) {
    return this.aggregate(value, context, 'OrderCreated');
  }

  @EventPattern<string>(topics.PAYMENT_COMPLETED)
  onPaymentCompleted(@Payload() value: unknown, @Ctx() context: KafkaContext) {
    return this.aggregate(value, context, 'PaymentCompleted');
  }

  @EventPattern<string>(topics.PAYMENT_FAILED)
  onPaymentFailed(@Payload() value: unknown, @Ctx() context: KafkaContext) {
    return this.aggregate(value, context, 'PaymentFailed');
  }

  @EventPattern<string>(topics.PAYMENT_REFUNDED)
  onPaymentRefunded(@Payload() value: unknown, @Ctx() context: KafkaContext) {
    return this.aggregate(value, context, 'PaymentRefunded');
  }

  @EventPattern<string>(topics.INVENTORY_RESERVED)
  onInventoryReserved(@Payload() value: unknown, @Ctx() context: KafkaContext) {
    return this.aggregate(value, context, 'InventoryReserved');
  }

  @EventPattern<string>(topics.INVENTORY_FAILED)
  onInventoryFailed(@Payload() value: unknown, @Ctx() context: KafkaContext) {
    return this.aggregate(value, context, 'InventoryFailed');
  }

  @EventPattern<string>(topics.INVENTORY_RELEASED)
  onInventoryReleased(@Payload() value: unknown, @Ctx() context: KafkaContext) {
    return this.aggregate(value, context, 'InventoryReleased');
  }

  @EventPattern<string>(topics.ORDER_COMPLETED)
  onOrderCompleted(@Payload() value: unknown, @Ctx() context: KafkaContext) {
    return this.aggregate(value, context, 'OrderCompleted');
  }

  @EventPattern<string>(topics.ORDER_CANCELLED)
  onOrderCancelled(@Payload() value: unknown, @Ctx() context: KafkaContext) {
    return this.aggregate(value, context, 'OrderCancelled');
  }

  private async aggregate(value: unknown, context: KafkaContext, type: EventType) {
    const position = { topic: context.getTopic(), partition: context.getPartition(), offset: Number(context.getMessage().offset) };
    await this.consumer.consume(value, context, [type], (event) => this.analytics.apply(event, position));
    this.analytics.consumed(position);
  }
}
