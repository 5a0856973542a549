import { join } from 'node:path';
import { Global, Inject, Module, type DynamicModule, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { Topics, type EventType } from '#contracts';
import {
  EVENT_REACTOR,
  EventConsumer,
  eventsControllerFor,
  Inbox,
  INBOX_TABLE,
  KafkaRuntime,
  OUTBOX_TABLE,
  OutboxRelay,
  OutboxStore,
  UnitOfWork,
  type EventReactor,
} from '#messaging';
import type { ServiceConfig } from './config.js';
import { DATABASE, openDatabase, type Db } from './database.js';
import { HealthController } from './health.controller.js';
import type { ServiceDefinition } from './service-definition.js';

/**
 * One service, assembled from its definition: its configuration, its database,
 * the Kafka runtime and the consumer path with its one events controller, the
 * outbox and the inbox (unless the service keeps its own offsets), GET /health,
 * and the service's own controllers and providers.
 */
@Global()
@Module({})
export class ServiceModule implements OnApplicationShutdown {
  constructor(@Inject(DATABASE) private readonly db: Db) {}

  static assemble<T extends EventType>(
    definition: ServiceDefinition<ServiceConfig, T>,
    config: ServiceConfig,
    topics: Topics,
  ): DynamicModule {
    const transactional = definition.delivery === 'outbox+inbox';
    const databaseFile = join(config.DATA_DIR, `${definition.name}.db`);
    const reactor = definition.reactions.by;
    return {
      module: ServiceModule,
      controllers: [
        HealthController,
        eventsControllerFor(definition.reactions.to.map((type) => topics.of(type))),
        ...definition.controllers,
      ],
      providers: [
        { provide: definition.config, useValue: config },
        { provide: Topics, useValue: topics },
        {
          provide: DATABASE,
          useFactory: () => openDatabase(databaseFile, definition.migrations, transactional ? [OUTBOX_TABLE, INBOX_TABLE] : []),
        },
        { provide: KafkaRuntime, useValue: new KafkaRuntime(topics.consumerGroup(definition.name)) },
        ...(definition.providers.includes(reactor) ? [] : [reactor]),
        { provide: EVENT_REACTOR, useExisting: reactor },
        {
          provide: EventConsumer,
          useFactory: (kafka: KafkaRuntime, events: EventReactor) => new EventConsumer(definition.name, topics, kafka, events),
          inject: [KafkaRuntime, EVENT_REACTOR],
        },
        ...(transactional ? transactionalMessaging(topics) : []),
        ...definition.providers,
      ],
    };
  }

  onApplicationShutdown(): void {
    if (this.db.open) this.db.close();
  }
}

/** The outbox, its relay, the inbox, and the unit of work that binds them to one transaction. */
function transactionalMessaging(topics: Topics): Provider[] {
  return [
    { provide: OutboxStore, useFactory: (db: Db) => new OutboxStore(db, topics), inject: [DATABASE] },
    { provide: OutboxRelay, useFactory: (store: OutboxStore) => new OutboxRelay(store), inject: [OutboxStore] },
    { provide: Inbox, useFactory: (db: Db) => new Inbox(db), inject: [DATABASE] },
    {
      provide: UnitOfWork,
      useFactory: (db: Db, outbox: OutboxStore, relay: OutboxRelay, inbox: Inbox) => new UnitOfWork(db, outbox, relay, inbox),
      inject: [DATABASE, OutboxStore, OutboxRelay, Inbox],
    },
  ];
}
