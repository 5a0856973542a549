import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { ApiTags } from '@nestjs/swagger';
import { Database } from '#database';
import { KafkaRuntime } from '#messaging';
import { Drain } from './drain.js';

/** The service's name, as its definition gives it. */
export const SERVICE_NAME = Symbol('SERVICE_NAME');

/** A database that has not answered `SELECT 1` by then counts as unreachable. */
const DATABASE_TIMEOUT_MS = 1_000;

/**
 * Liveness and readiness, apart, as an orchestrator probes them (@nestjs/terminus:
 * 200 `{status: "ok", info, error, details}`, or 503 `{status: "error", ...}` naming what is down):
 * - `GET /health/live`: the process answers. A consumer that crashed for good makes
 *   the process exit, so nothing else belongs here.
 * - `GET /health/ready` (also `GET /health`): ready to work. `kafka` is down while the
 *   consumer has not joined its group, is rebalancing, was crashed and is being restarted
 *   by kafkajs, or is retrying a message it cannot handle yet (a locked database, say);
 *   `database` while it does not answer; `shutdown` once the service is draining.
 */
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    @Inject(SERVICE_NAME) private readonly service: string,
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly kafka: KafkaRuntime,
    private readonly database: Database,
    private readonly drain: Drain,
  ) {}

  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([() => this.indicators.check('process').up({ service: this.service, pid: process.pid })]);
  }

  @Get(['', 'ready'])
  @HealthCheck()
  ready() {
    return this.health.check([() => this.shutdown(), () => this.consumer(), () => this.databaseAnswers()]);
  }

  private shutdown() {
    const indicator = this.indicators.check('shutdown');
    return this.drain.started ? indicator.down('the service is shutting down') : indicator.up();
  }

  /**
   * `group` names the consumer group (with its topic prefix): which service, of which system,
   * answered; `joinedAt`, when the consumer last joined it (its start, or the last rebalance).
   */
  private consumer() {
    const indicator = this.indicators.check('kafka');
    const state = this.kafka.consumerState;
    const details = {
      service: this.service,
      group: this.kafka.groupId,
      consumer: state,
      joinedAt: this.kafka.joinedAt?.toISOString() ?? null,
    };
    if (state !== 'running') return indicator.down({ ...details, message: `Kafka consumer is ${state}` });
    const retrying = this.kafka.retrying;
    return retrying ? indicator.down({ ...details, message: `retrying a message: ${retrying}` }) : indicator.up(details);
  }

  private databaseAnswers() {
    return this.indicators
      .check('database')
      .attempt(async () => {
        await this.database.ping();
        return { dialect: this.database.dialect };
      })
      .withTimeout(DATABASE_TIMEOUT_MS);
  }
}
