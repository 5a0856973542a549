import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { KafkaRuntime } from '#messaging';
import { Drain } from './drain.js';

/** The service's name, as its definition gives it. */
export const SERVICE_NAME = Symbol('SERVICE_NAME');

/**
 * Liveness and readiness, apart, as an orchestrator probes them:
 * - `GET /health/live`: the process answers. A consumer that crashed for good makes
 *   the process exit, so nothing else belongs here.
 * - `GET /health` (also `/health/ready`): ready to work. 503 while the consumer has not
 *   joined its group, is rebalancing, was crashed and is being restarted by kafkajs, or is
 *   retrying a message it cannot handle yet (a locked database, say), and while shutting down.
 */
@Controller('health')
export class HealthController {
  constructor(
    @Inject(SERVICE_NAME) private readonly service: string,
    private readonly kafka: KafkaRuntime,
    private readonly drain: Drain,
  ) {}

  @Get('live')
  live() {
    return { status: 'ok', service: this.service };
  }

  @Get(['', 'ready'])
  ready() {
    const kafka = this.kafka.consumerState;
    const problem = this.drain.started
      ? 'the service is shutting down'
      : kafka !== 'running'
        ? `Kafka consumer is ${kafka}`
        : this.kafka.retrying && `retrying a message: ${this.kafka.retrying}`;
    if (problem) {
      throw new ServiceUnavailableException({ status: 'unavailable', service: this.service, kafka, message: problem });
    }
    return { status: 'ok', service: this.service, kafka };
  }
}
