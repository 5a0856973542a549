import { join } from 'node:path';
import { Global, Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { EventConsumer, KafkaRuntime, OutboxRelay } from '#kafka';
import { DATABASE, openDatabase, type Db } from './database.js';
import { HealthController } from './health.controller.js';
import { OutboxStore, UnitOfWork } from './unit-of-work.js';

export interface MessagingModuleOptions {
  /** Service name: names its database file (`<dataDir>/<service>.db`) and its dead letters. */
  readonly service: string;
  readonly dataDir: string;
  /** The service's schema migrations, oldest first. */
  readonly migrations: readonly string[];
}

/**
 * What every service gets: its database, the outbox and its relay, idempotent
 * event application, the guarded consumer path, and GET /health.
 */
@Global()
@Module({})
export class MessagingModule implements OnApplicationShutdown {
  constructor(@Inject(DATABASE) private readonly db: Db) {}

  static forService(options: MessagingModuleOptions): DynamicModule {
    return {
      module: MessagingModule,
      controllers: [HealthController],
      providers: [
        { provide: DATABASE, useFactory: () => openDatabase(join(options.dataDir, `${options.service}.db`), options.migrations) },
        KafkaRuntime,
        OutboxStore,
        { provide: OutboxRelay, useFactory: (store: OutboxStore) => new OutboxRelay(store), inject: [OutboxStore] },
        UnitOfWork,
        {
          provide: EventConsumer,
          useFactory: (kafka: KafkaRuntime) => new EventConsumer(kafka, options.service),
          inject: [KafkaRuntime],
        },
      ],
      exports: [DATABASE, KafkaRuntime, OutboxRelay, UnitOfWork, EventConsumer],
    };
  }

  onApplicationShutdown(): void {
    if (this.db.open) this.db.close();
  }
}
