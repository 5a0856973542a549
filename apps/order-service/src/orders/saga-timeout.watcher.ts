import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { OrdersService } from './orders.service.js';

const SWEEP_EVERY_MS = 1_000;

/** Bounds every saga in time: pending orders past SAGA_TIMEOUT_MS are cancelled. */
@Injectable()
export class SagaTimeoutWatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(SagaTimeoutWatcher.name);
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly orders: OrdersService) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.sweep(), SWEEP_EVERY_MS);
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private sweep(): void {
    try {
      const cancelled = this.orders.cancelTimedOut(new Date());
      if (cancelled > 0) this.logger.warn(`cancelled ${cancelled} order(s) that reached the saga timeout`);
    } catch (error) {
      // A locked or failing database must not kill the service: the next sweep tries again.
      this.logger.error(`saga timeout sweep failed: ${(error as Error).message}`);
    }
  }
}
