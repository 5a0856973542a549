import { Global, Module, type DynamicModule, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { Topics, type EventType } from '#contracts';
import { Database } from '#database';
import {
  EVENT_REACTOR,
  EventConsumer,
  GroupAdmin,
  Inbox,
  KafkaRuntime,
  OutboxRelay,
  OutboxStore,
  transactionalMessaging,
  UnitOfWork,
  type EventReactor,
  type TransactionalMessaging,
} from '#messaging';
import { kafkaConnection, type ServiceConfig } from './config.js';
import type { Logging } from './logging.js';
import { Drain } from './drain.js';
import { HealthController, SERVICE_NAME } from './health.controller.js';
import { MetricsController } from './metrics/metrics.controller.js';
import type { ServiceDefinition } from './service-definition.js';

/**
 * One service, assembled from its definition: its configuration, its database,
 * the Kafka runtime and the consumer path (fed by the Kafka server: bootstrap.ts), the
 * outbox and the inbox (unless the service keeps its own offsets), GET /health and /metrics,
 * and the service's own controllers and providers.
 */
@Global()
@Module({})
export class ServiceModule implements OnApplicationShutdown {
  constructor(
    private readonly database: Database,
    private readonly groupAdmin: GroupAdmin,
  ) {}

  static assemble<T extends EventType>(
    definition: ServiceDefinition<ServiceConfig, T>,
    config: ServiceConfig,
    topics: Topics,
    database: Database,
    logging: Logging,
  ): DynamicModule {
    const transactional = definition.delivery === 'outbox+inbox';
    const reactor = definition.reactions.by;
    return {
      module: ServiceModule,
      // A readiness check that fails is answered with 503 and its reason; the consumer's own log says why already.
      imports: [TerminusModule.forRoot({ logger: false }), logging.module],
      controllers: [HealthController, MetricsController, ...definition.controllers],
      providers: [
        { provide: SERVICE_NAME, useValue: definition.name },
        { provide: definition.config, useValue: config },
        Drain,
        { provide: Topics, useValue: topics },
        { provide: Database, useValue: database },
        { provide: KafkaRuntime, useValue: new KafkaRuntime(topics.consumerGroup(definition.name)) },
        // One admin client per service, for whatever asks the cluster about the group: metrics, the saga-timeout sweep, analytics.
        { provide: GroupAdmin, useValue: new GroupAdmin(kafkaConnection(config)) },
        ...(definition.providers.includes(reactor) ? [] : [reactor]),
        { provide: EVENT_REACTOR, useExisting: reactor },
        {
          provide: EventConsumer,
          useFactory: (kafka: KafkaRuntime, events: EventReactor) =>
            new EventConsumer(definition.name, topics, kafka, events, logging.context),
          inject: [KafkaRuntime, EVENT_REACTOR],
        },
        ...(transactional ? transactionalMessagingProviders(topics) : []),
        ...definition.providers,
      ],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.groupAdmin.close();
    await this.database.close();
  }
}

/** The outbox, its relay, the inbox and the unit of work, as providers. */
function transactionalMessagingProviders(topics: Topics): Provider[] {
  const MESSAGING = Symbol('TRANSACTIONAL_MESSAGING');
  const part = <K extends keyof TransactionalMessaging>(key: K): Provider => ({
    provide: { outbox: OutboxStore, relay: OutboxRelay, inbox: Inbox, unitOfWork: UnitOfWork }[key],
    useFactory: (messaging: TransactionalMessaging) => messaging[key],
    inject: [MESSAGING],
  });
  return [
    { provide: MESSAGING, useFactory: (database: Database) => transactionalMessaging(database, topics), inject: [Database] },
    part('outbox'),
    part('relay'),
    part('inbox'),
    part('unitOfWork'),
  ];
}
