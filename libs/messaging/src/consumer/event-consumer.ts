import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import type { EachBatchPayload, KafkaMessage } from 'kafkajs';
import { DeadLetterHeaders, InvalidEventError, parseEvent, type SagaEvent, type Topics } from '#contracts';
import { isTransientDatabaseError } from '#database';
import type { KafkaRuntime } from '../kafka/kafka-runtime.js';
import { deadLetters, eventHandling, eventsConsumed, type ConsumeOutcome } from '../metrics.js';
import { inConsumerSpan, tracing } from '../tracing.js';
import type { EventReactor, FoldedMessage, MessagePosition } from './event-reactor.js';

/** Raised by a handler for an input it can never process: dead-lettered without retries. */
export class PermanentEventError extends Error {
  override readonly name = 'PermanentEventError';
}

/**
 * What `consumeBatch` throws when a message could not be handled for a reason of the service's
 * own (its database, after the retries here). A plain error, whatever the cause's class: kafkajs
 * then retries and restarts its consumer, and the message is delivered again. Thrown as it is,
 * a KafkaJS error marked not retriable, or a TypeError, would stop the consumer for good (and
 * the service would exit); Nest's dispatch, before, wrapped every error the same way.
 */
export class RedeliverError extends Error {
  override readonly name = 'RedeliverError';

  constructor(where: string, cause: unknown) {
    super(`handling ${where} failed, it will be delivered again: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

/** Runs `work` with `bindings` on every log line made meanwhile (the service's logger provides it). */
export interface LogContext {
  run<T>(bindings: Record<string, string | number>, work: () => T): T;
  /** Lines at debug level are written: each consumed event then has its own ("OrderCreated applied"). */
  readonly debug: boolean;
}

const NO_LOG_CONTEXT: LogContext = { run: (_bindings, work) => work(), debug: false };

/** A consumed message and where it was read: what the consumer path needs of kafkajs. */
interface Delivery {
  readonly topic: string;
  readonly partition: number;
  /** As kafkajs read it: value, key and headers are the broker's bytes. */
  readonly message: KafkaMessage;
  readonly heartbeat: () => Promise<void>;
}

export const RETRY_ATTEMPTS = 5;
const RETRY_BASE_MS = 50;

/**
 * The one path every consumed message takes: validate → handle. A problem with the
 * message itself (invalid, or an error that no retry can cure) sends it to the
 * dead-letter topic with the reason, and consumption goes on: a message-level
 * problem is never thrown back to kafkajs, which would restart at the same offset
 * forever. A problem with the infrastructure (a locked or full database, a broker
 * hiccup) is retried here a few times with backoff, then thrown: kafkajs redelivers
 * the message (its consumer restarts, /health says so meanwhile) rather than the
 * saga step being lost to the dead-letter topic while the service could not work.
 */
export class EventConsumer {
  private readonly logger = new Logger(EventConsumer.name);

  constructor(
    private readonly service: string,
    private readonly topics: Topics,
    private readonly kafka: KafkaRuntime,
    private readonly reactor: EventReactor,
    private readonly logContext: LogContext = NO_LOG_CONTEXT,
  ) {}

  /** Handles one message of a subscribed topic, which carries exactly one event type. */
  private async consume(delivery: Delivery): Promise<void> {
    const started = performance.now();
    const position = positionOf(delivery);
    const type = this.topics.typeOn(position.topic);
    let event: SagaEvent;
    try {
      if (!type) throw new InvalidEventError(`topic ${position.topic} carries no saga event`);
      event = parseEvent(delivery.message.value, [type]);
    } catch (error) {
      await this.logContext.run({ ...position }, () => this.deadLetter(delivery, type, error as Error));
      return this.reactor.settled?.(position);
    }
    const saga = { orderId: event.correlationId, eventId: event.eventId, eventType: event.type };
    await inConsumerSpan(position.topic, delivery.message.headers, { 'order.id': saga.orderId, 'saga.event_type': saga.eventType }, () =>
      this.logContext.run(saga, async () => {
        await this.handle(event, delivery, position, started);
        await this.reactor.settled?.(position);
      }),
    );
  }

  /**
   * A fetched batch of one partition (kafkajs `eachBatch`, with `eachBatchAutoResolve` off).
   * What it resolves is committed by the service: a participant's OffsetCommitter, or the
   * reactor itself with its state (analytics). A reactor that folds batches gets the whole
   * batch at once (`foldBatch`) unless tracing or debug lines are on, which are per event.
   */
  async consumeBatch(payload: EachBatchPayload): Promise<void> {
    if (this.reactor.fold && !tracing() && !this.logContext.debug) return this.foldBatch(payload);
    return this.oneByOne(payload, payload.batch.messages);
  }

  /**
   * As kafkajs's own `eachMessage` loop would: message by message in order, each as
   * `consume` handles it, then marked done and a heartbeat. Stops when the consumer stops
   * or the partition was sought elsewhere; what is left unmarked is fetched again.
   */
  private async oneByOne(payload: EachBatchPayload, messages: readonly KafkaMessage[]): Promise<void> {
    const { topic, partition } = payload.batch;
    const heartbeat = () => payload.heartbeat();
    for (const message of messages) {
      if (!payload.isRunning() || payload.isStale()) return;
      try {
        await this.consume({ topic, partition, message, heartbeat });
      } catch (error) {
        throw new RedeliverError(`${topic}[${partition}]@${message.offset}`, error);
      }
      payload.resolveOffset(message.offset);
      await payload.heartbeat();
    }
  }

  /**
   * The batch parsed and validated message by message, as `consume` does, then handed to the
   * reactor's `fold` in one call and marked done once: no promise, log context or metric
   * sample of its own per event. An invalid message is dead-lettered after what came before
   * it was folded, then folded alone (as a settled position), so that a failed send leaves
   * nothing counted twice. If `fold` fails, the same messages are handled one by one, with
   * `consume`'s retries and dead-lettering.
   */
  private async foldBatch(payload: EachBatchPayload): Promise<void> {
    const { topic, partition, messages } = payload.batch;
    const type = this.topics.typeOn(topic);
    const partitionKey = `${topic}[${partition}]`;
    let run: Array<{ message: KafkaMessage; event: SagaEvent | null }> = [];
    const fold = async () => {
      const folded = run;
      run = [];
      if (folded.length === 0 || !payload.isRunning() || payload.isStale()) return;
      const started = performance.now();
      let applied: boolean[];
      try {
        applied = await this.reactor.fold!(
          topic,
          partition,
          folded.map(({ message, event }): FoldedMessage => ({ event, offset: Number(message.offset) })),
        );
      } catch (error) {
        this.logger.warn(
          `folding ${folded.length} messages of ${topic}[${partition}] failed (${(error as Error).message}): handling them one by one`,
        );
        return this.oneByOne(
          payload,
          folded.map(({ message }) => message),
        );
      }
      recordFolded(folded, applied, performance.now() - started);
      // Handled: a message of this partition retried before (and redelivered) no longer holds readiness at 503.
      this.kafka.reportRetrying(partitionKey, null);
      payload.resolveOffset(folded[folded.length - 1].message.offset);
      await payload.heartbeat();
    };
    // Asked before the first message and after each await: nothing else runs between two messages parsed in a row.
    let mayHaveStopped = true;
    const expected = type ? [type] : [];
    for (const message of messages) {
      if (mayHaveStopped && (!payload.isRunning() || payload.isStale())) break;
      mayHaveStopped = false;
      try {
        if (!type) throw new InvalidEventError(`topic ${topic} carries no saga event`);
        run.push({ message, event: parseEvent(message.value, expected) });
      } catch (error) {
        mayHaveStopped = true;
        await fold();
        const delivery = { topic, partition, message, heartbeat: () => payload.heartbeat() };
        try {
          await this.logContext.run({ ...positionOf(delivery) }, () => this.deadLetter(delivery, type, error as Error));
        } catch (failure) {
          throw new RedeliverError(`${topic}[${partition}]@${message.offset}`, failure);
        }
        run.push({ message, event: null });
        await fold();
      }
    }
    await fold();
  }

  private async handle(event: SagaEvent, delivery: Delivery, position: MessagePosition, started: number): Promise<void> {
    const partitionKey = `${position.topic}[${position.partition}]`;
    for (let attempt = 1; ; attempt++) {
      try {
        const outcome: ConsumeOutcome = (await this.reactor.react(event, position)) === false ? 'duplicate' : 'applied';
        this.kafka.reportRetrying(partitionKey, null);
        eventsConsumed.inc({ type: event.type, outcome });
        eventHandling.observe({ type: event.type, outcome }, (performance.now() - started) / 1_000);
        this.logger.debug(outcome === 'applied' ? `${event.type} applied` : `${event.type} skipped: applied before`);
        return;
      } catch (error) {
        if (!isInfrastructureFailure(error)) {
          this.kafka.reportRetrying(partitionKey, null);
          return this.deadLetter(delivery, event.type, error as Error);
        }
        this.kafka.reportRetrying(partitionKey, (error as Error).message);
        eventsConsumed.inc({ type: event.type, outcome: 'retried' });
        if (attempt >= RETRY_ATTEMPTS) {
          this.logger.error(`${(error as Error).message} (after ${attempt} attempts): leaving the message to kafkajs to redeliver`);
          throw error;
        }
        await delivery.heartbeat();
        await sleep(RETRY_BASE_MS * 2 ** (attempt - 1));
      }
    }
  }

  /** Sends the message, exactly as it was read (value, key and headers byte for byte), to the dead-letter topic with the reason. */
  private async deadLetter({ topic, partition, message }: Delivery, type: string | undefined, error: Error): Promise<void> {
    const reason = `${error.name}: ${error.message}`;
    const origin = `${topic}[${partition}]@${message.offset}`;
    this.logger.warn(`Dead-lettering ${origin}: ${reason}`);
    // If this send fails, the error reaches kafkajs, which retries the message: it is not lost.
    await this.kafka.send([
      {
        topic: this.topics.deadLetter,
        messages: [
          {
            key: message.key,
            value: message.value,
            headers: {
              ...message.headers,
              [DeadLetterHeaders.reason]: reason,
              [DeadLetterHeaders.service]: this.service,
              [DeadLetterHeaders.topic]: topic,
              [DeadLetterHeaders.partition]: String(partition),
              [DeadLetterHeaders.offset]: String(message.offset),
              [DeadLetterHeaders.at]: new Date().toISOString(),
            },
          },
        ],
      },
    ]);
    eventsConsumed.inc({ type: type ?? 'unknown', outcome: 'dead_lettered' });
    deadLetters.inc({ topic });
  }
}

/** A folded batch's metrics: counted per type and outcome once, each event's handling time the batch's mean. */
function recordFolded(folded: ReadonlyArray<{ event: SagaEvent | null }>, applied: readonly boolean[], elapsedMs: number): void {
  const counts = new Map<string, Record<'applied' | 'duplicate', number>>();
  folded.forEach(({ event }, index) => {
    if (!event) return; // dead-lettered: counted when it was sent
    let byOutcome = counts.get(event.type);
    if (!byOutcome) counts.set(event.type, (byOutcome = { applied: 0, duplicate: 0 }));
    byOutcome[applied[index] ? 'applied' : 'duplicate']++;
  });
  const seconds = elapsedMs / 1_000 / Math.max(1, folded.length);
  for (const [type, byOutcome] of counts) {
    for (const outcome of ['applied', 'duplicate'] as const) {
      const events = byOutcome[outcome];
      if (events === 0) continue;
      eventsConsumed.inc({ type, outcome }, events);
      const handling = eventHandling.labels(type, outcome);
      for (let i = 0; i < events; i++) handling.observe(seconds);
    }
  }
}

function positionOf({ topic, partition, message }: Delivery): MessagePosition {
  return { topic, partition, offset: Number(message.offset) };
}

/**
 * Errors of the service's own database (but a broken constraint, which says the
 * data is wrong) and retriable Kafka errors: they say nothing about the message.
 */
function isInfrastructureFailure(error: unknown): boolean {
  if (error instanceof InvalidEventError || error instanceof PermanentEventError) return false;
  return isTransientDatabaseError(error) || (error as { retriable?: unknown }).retriable === true;
}
