import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Database } from '#database';
import { OrdersService } from './orders.service.js';

const SWEEP_EVERY_MS = 1_000;

/**
 * Bounds every saga in time: pending orders past SAGA_TIMEOUT_MS are cancelled.
 * One sweep at a time, and with several instances on one database, on one
 * instance at a time (an advisory lock).
 */
@Injectable()
export class SagaTimeoutWatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(SagaTimeoutWatcher.name);
  private timer: NodeJS.Timeout | null = null;
  private sweeping = false;

  constructor(
    private readonly orders: OrdersService,
    private readonly database: Database,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep(), SWEEP_EVERY_MS);
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      const cancelled = await this.database.exclusively('saga-timeout-sweep', () => this.orders.cancelTimedOut(new Date()));
      if (cancelled) this.logger.warn(`cancelled ${cancelled} order(s) that reached the saga timeout`);
    } catch (error) {
      // A locked or failing database must not kill the service: the next sweep tries again.
      this.logger.error(`saga timeout sweep failed: ${(error as Error).message}`);
    } finally {
      this.sweeping = false;
    }
  }
}
