import { ServerKafka, type KafkaOptions } from '@nestjs/microservices';
import { logLevel, Partitioners, type EachBatchPayload } from 'kafkajs';
import { CoPartitionedAssigner } from './co-partitioned-assigner.js';
import { kafkaClientConfig, type KafkaConnection } from './kafka-connection.js';

export interface KafkaSettings {
  /** The brokers, and how to connect to them (TLS, SASL). */
  readonly connection: KafkaConnection;
  readonly clientId: string;
  /** Consumer group, exactly as it appears on the broker. */
  readonly groupId: string;
  /** How long the broker may hold an empty fetch. Small keeps the saga fast. */
  readonly maxWaitMs: number;
  /** Bytes the broker waits for (at most `maxWaitMs`) before answering a fetch; default 1, as soon as anything arrived. */
  readonly minBytes?: number;
  /**
   * How many partitions' batches are handled at once (kafkajs `partitionsConsumedConcurrently`;
   * default 1). Messages of one partition are always handled in order, one at a time.
   */
  readonly partitionsConsumedConcurrently?: number;
}

/**
 * Nest ships its own copy of kafkajs's types, a version behind the installed kafkajs
 * (its Broker lacks two admin methods): the same assigner function at runtime.
 */
type NestPartitionAssigner = NonNullable<NonNullable<NonNullable<KafkaOptions['options']>['consumer']>['partitionAssigners']>[number];

/** What the consumer reads (`topics`), and who handles each fetched batch of it (`handler`). */
export interface BatchConsumption {
  readonly topics: readonly string[];
  readonly handler: (payload: EachBatchPayload) => Promise<void>;
}

/**
 * Nest's Kafka transport for its lifecycle (clients connected at start, closed at shutdown,
 * the status the runtime watches), but not for its dispatch: the consumer reads the given
 * topics, and each fetched batch goes whole (kafkajs `eachBatch`) to one handler, with the
 * messages as kafkajs read them (value, key and headers the broker's bytes). Nest's own
 * dispatch, one message at a time through a handler found by pattern, a context, processing
 * hooks and an observable, cost more than the work for a consumer whose work per message is a
 * few microseconds: analytics caught up 0.19 → 0.27 of a raw consumer's rate without it
 * (docs/performance.md).
 */
export class RawKafkaServer extends ServerKafka {
  constructor(
    options: Required<KafkaOptions>['options'],
    private readonly batches: BatchConsumption,
  ) {
    super(options);
  }

  override async bindEvents(consumer: Parameters<ServerKafka['bindEvents']>[0]): Promise<void> {
    await consumer.subscribe({ ...this.options.subscribe, topics: [...this.batches.topics] });
    // Not auto-resolved: a batch left early (the consumer stopping) must not count its unhandled messages as done.
    await consumer.run({ ...this.options.run, eachBatchAutoResolve: false, eachBatch: this.batches.handler });
  }
}

/**
 * The service's Kafka server. Every service reads its topics from the beginning when
 * its group is new (so an event published before the service ever ran is not skipped),
 * and produces idempotently (no duplicates on producer retry).
 */
export function kafkaServer(settings: KafkaSettings, batches: BatchConsumption): RawKafkaServer {
  return new RawKafkaServer(kafkaServerOptions(settings), batches);
}

export function kafkaServerOptions(settings: KafkaSettings): Required<KafkaOptions>['options'] {
  return {
    // Nest appends "-server" to the client and group ids unless told otherwise: the names are ours.
    postfixId: '',
    client: {
      clientId: settings.clientId,
      ...kafkaClientConfig(settings.connection),
      logLevel: logLevel.WARN,
      retry: { initialRetryTime: 100, retries: 8 },
    },
    consumer: {
      groupId: settings.groupId,
      maxWaitTimeInMs: settings.maxWaitMs,
      minBytes: settings.minBytes ?? 1,
      // Partition N of every topic to one instance: the events of one order meet there (see co-partitioned-assigner.ts).
      partitionAssigners: [CoPartitionedAssigner as unknown as NestPartitionAssigner],
      // A crashed member is noticed after this long; handlers take milliseconds, far below it.
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      allowAutoTopicCreation: false,
    },
    subscribe: { fromBeginning: true },
    // Never after every batch, as kafkajs's auto-commit would: the service commits (a participant through
    // OffsetCommitter, analytics with the state its offsets cover).
    run: { autoCommit: false, partitionsConsumedConcurrently: settings.partitionsConsumedConcurrently ?? 1 },
    producer: {
      createPartitioner: Partitioners.DefaultPartitioner,
      // The idempotent producer retries without limit (kafkajs's rule); the outbox keeps the rows meanwhile.
      retry: { initialRetryTime: 100, maxRetryTime: 2_000, retries: Number.MAX_SAFE_INTEGER },
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    },
  };
}
