import { Logger } from '@nestjs/common';
import type { INestMicroservice } from '@nestjs/common';
import type { Consumer, Producer, TopicMessages } from 'kafkajs';

export type ConsumerState = 'starting' | 'running' | 'rebalancing' | 'crashed' | 'stopped';

/**
 * The service's live Kafka handles, taken from Nest's Kafka server once it runs:
 * its producer (shared by the outbox relay and the dead-letter path) and the
 * state of its consumer, which readiness (/health) reports: the group state as
 * kafkajs announces it, and whether a message is being retried.
 */
export class KafkaRuntime {
  private readonly logger = new Logger(KafkaRuntime.name);
  private producer: Producer | null = null;
  private consumer: Consumer | null = null;
  private state: ConsumerState = 'starting';
  /** Why each message being retried cannot be handled yet, by topic-partition (several are consumed at once). */
  private readonly failing = new Map<string, string>();
  /** The partitions ("topic[n]") of the last assignment; null until the first. */
  private owned: Set<string> | null = null;
  private lastAssignment: Readonly<Record<string, number[]>> = {};
  private lastJoin: Date | null = null;
  private readonly assignmentListeners: Array<(assignment: Readonly<Record<string, number[]>>) => void> = [];
  private readonly rebalancingListeners: Array<() => void> = [];
  private readonly stoppingListeners: Array<() => Promise<void>> = [];

  /** `groupId`: the service's consumer group, as the broker knows it. */
  constructor(readonly groupId: string) {}

  /** Call before `startAllMicroservices()`: hooks the consumer as soon as it connects. */
  watch(microservice: INestMicroservice, onFatal: (error: Error) => void): void {
    const subscription = microservice.status.subscribe((status) => {
      if (status !== 'connected' || this.consumer) return;
      const [, consumer, producer] = microservice.unwrap<[unknown, Consumer, Producer]>();
      this.watchConsumer(consumer, onFatal);
      this.producer = producer;
      subscription.unsubscribe();
    });
  }

  /** This member's partitions (topic → partition numbers) as of the last rebalance; none before the first or once stopped. */
  get assignment(): Readonly<Record<string, number[]>> {
    return this.state === 'stopped' ? {} : this.lastAssignment;
  }

  get consumerState(): ConsumerState {
    return this.state;
  }

  /** When the consumer last joined its group (its start, or the end of a rebalance); null before the first time. */
  get joinedAt(): Date | null {
    return this.lastJoin;
  }

  /** Why a message in hand cannot be handled (it is being retried or left to kafkajs to redeliver), or null. */
  get retrying(): string | null {
    return this.failing.values().next().value ?? null;
  }

  /**
   * The consumer path reports a message of `partition` ("topic[n]") it could not handle yet
   * (`reason`), or one it handled (null). A partition this member no longer owns is not
   * reported: a handler still retrying across a rebalance must not hold readiness at 503
   * for a message that is now another member's.
   */
  reportRetrying(partition: string, reason: string | null): void {
    if (reason === null || (this.owned && !this.owned.has(partition))) this.failing.delete(partition);
    else this.failing.set(partition, reason);
  }

  async send(batch: TopicMessages[]): Promise<void> {
    if (!this.producer) throw new Error('Kafka producer is not connected yet');
    await this.producer.sendBatch({ topicMessages: batch, acks: -1 });
  }

  /** Commits these offsets (the next ones to read) now: for a consumer that saves them with its own state (analytics). */
  async commitOffsets(offsets: Array<{ topic: string; partition: number; offset: string }>): Promise<void> {
    if (!this.consumer) throw new Error('Kafka consumer is not connected yet');
    await this.consumer.commitOffsets(offsets);
  }

  /** Calls `listener` with this member's partitions (topic → partition numbers) each time the group is (re)balanced. */
  onAssignment(listener: (assignment: Readonly<Record<string, number[]>>) => void): void {
    this.assignmentListeners.push(listener);
  }

  /** Calls `listener` when the group starts to rebalance, before this member rejoins it (its partitions may move). */
  onRebalancing(listener: () => void): void {
    this.rebalancingListeners.push(listener);
  }

  /**
   * Calls `listener` when consumption is about to stop, while this instance is still a member
   * of its group: a consumer that commits its offsets itself commits its last ones then, since
   * kafkajs leaves the group when it stops and commits nothing after that.
   */
  beforeStopping(listener: () => Promise<void>): void {
    this.stoppingListeners.push(listener);
  }

  /** Stops fetching; resolves once the message being handled (if any) is done. */
  async stopConsuming(): Promise<void> {
    for (const listener of this.stoppingListeners) {
      await listener().catch((error: Error) => this.logger.warn(`before stopping the consumer: ${error.message}`));
    }
    await this.consumer?.stop();
    this.state = 'stopped';
  }

  private watchConsumer(consumer: Consumer, onFatal: (error: Error) => void): void {
    this.consumer = consumer;
    const { GROUP_JOIN, REBALANCING, CRASH, STOP, DISCONNECT } = consumer.events;
    consumer.on(REBALANCING, () => {
      this.state = 'rebalancing';
      for (const listener of this.rebalancingListeners) listener();
    });
    consumer.on(GROUP_JOIN, ({ payload }) => {
      this.state = 'running';
      this.lastJoin = new Date();
      // A message being retried starts afresh after a (re)join: redelivered here, or now another member's.
      this.failing.clear();
      this.owned = new Set(
        Object.entries(payload.memberAssignment).flatMap(([topic, partitions]) => partitions.map((partition) => `${topic}[${partition}]`)),
      );
      this.lastAssignment = payload.memberAssignment;
      for (const listener of this.assignmentListeners) listener(payload.memberAssignment);
    });
    consumer.on(CRASH, ({ payload }) => {
      this.state = 'crashed';
      if (payload.restart) {
        this.logger.warn(`Kafka consumer crashed, kafkajs restarts it: ${payload.error.message}`);
        return;
      }
      // A non-retriable crash leaves the process alive but consuming nothing: exit instead.
      onFatal(payload.error);
    });
    consumer.on(STOP, () => {
      this.state = 'stopped';
    });
    consumer.on(DISCONNECT, () => {
      this.state = 'stopped';
    });
  }
}
