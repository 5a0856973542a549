import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { KafkaRuntime } from '#messaging';

/** 200 only while the Kafka consumer runs: a service that consumes nothing is not healthy. */
@Controller('health')
export class HealthController {
  constructor(private readonly kafka: KafkaRuntime) {}

  @Get()
  check() {
    const kafka = this.kafka.consumerState;
    if (kafka !== 'running') {
      throw new ServiceUnavailableException({ status: 'unavailable', kafka, message: `Kafka consumer is ${kafka}` });
    }
    return { status: 'ok', kafka };
  }
}
