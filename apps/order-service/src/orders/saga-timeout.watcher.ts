import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Topics } from '#contracts';
import { Database } from '#database';
import { GroupAdmin, KafkaRuntime } from '#messaging';
import { Drain } from '#service';
import { ORDER_REACTS_TO } from './order.domain.js';
import { OrdersService } from './orders.service.js';

const SWEEP_EVERY_MS = 1_000;

/**
 * Bounds every saga in time: a pending order past SAGA_TIMEOUT_MS is cancelled, but
 * only when no outcome reached Kafka in time. So a sweep runs only while the consumer
 * runs and has applied every event that was on its topics when the sweep began: after
 * a restart, a rebalance or a crash, outcomes that arrived while this service could not
 * read them are applied first, and an order they finished is not cancelled. One sweep
 * at a time, and with several instances on one database, on one instance at a time
 * (an advisory lock).
 */
@Injectable()
export class SagaTimeoutWatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(SagaTimeoutWatcher.name);
  private readonly inputTopics: string[];
  private timer: NodeJS.Timeout | null = null;
  private sweeping = false;

  constructor(
    private readonly orders: OrdersService,
    private readonly database: Database,
    private readonly kafka: KafkaRuntime,
    private readonly drain: Drain,
    private readonly groupAdmin: GroupAdmin,
    topics: Topics,
  ) {
    this.inputTopics = ORDER_REACTS_TO.map((type) => topics.of(type));
  }

  onApplicationBootstrap(): void {
    // Once shutdown begins, no sweep starts, and the one in progress is waited for (its cancellations reach the outbox flush).
    this.timer = setInterval(() => void this.drain.run(() => this.sweep()), SWEEP_EVERY_MS);
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async sweep(): Promise<void> {
    if (this.sweeping || this.kafka.consumerState !== 'running') return;
    this.sweeping = true;
    try {
      const now = new Date();
      // Measured after `now`: every outcome that reached Kafka before the deadlines being judged is among these.
      if (!(await this.groupAdmin.caughtUp(this.kafka.groupId, this.inputTopics))) return;
      const cancelled = await this.database.exclusively('saga-timeout-sweep', () => this.orders.cancelTimedOut(now));
      if (cancelled) this.logger.warn(`cancelled ${cancelled} order(s) that reached the saga timeout`);
    } catch (error) {
      // A locked or failing database, an unreachable broker: the next sweep tries again.
      this.logger.error(`saga timeout sweep failed: ${(error as Error).message}`);
    } finally {
      this.sweeping = false;
    }
  }
}
