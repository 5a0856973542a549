import { Controller, type Type } from '@nestjs/common';
import { Ctx, EventPattern, KafkaContext, Payload } from '@nestjs/microservices';
import { EventConsumer } from './event-consumer.js';

/**
 * The one Kafka entry of a service: a controller subscribed to the topics of the
 * event types it reacts to, each message going down the consumer path. Made at
 * start-up because the topic names depend on the configured prefix.
 */
export function eventsControllerFor(topics: readonly string[]): Type<unknown> {
  @Controller()
  class EventsController {
    constructor(private readonly consumer: EventConsumer) {}

    @EventPattern<string[]>([...topics])
    consume(@Payload() value: unknown, @Ctx() context: KafkaContext): Promise<void> {
      return this.consumer.consume(value, context);
    }
  }
  return EventsController;
}
