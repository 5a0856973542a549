import { Counter, Gauge, Histogram, register } from 'prom-client';

/**
 * The plumbing's Prometheus metrics, in prom-client's default registry (GET /metrics
 * serves it; every series carries the service's name as the `service` label).
 */

/** What became of each consumed message. */
export type ConsumeOutcome = 'applied' | 'duplicate' | 'dead_lettered' | 'retried';

const SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export const eventsConsumed = new Counter({
  name: 'saga_events_consumed_total',
  help: 'Consumed events by type and outcome: applied, duplicate (applied before), dead_lettered, retried (one count per failed attempt).',
  labelNames: ['type', 'outcome'] as const,
});

export const eventHandling = new Histogram({
  name: 'saga_event_handling_seconds',
  help: 'Time to handle a consumed event: validation, then its transaction (applied), or finding it applied before (duplicate); retries included.',
  labelNames: ['type', 'outcome'] as const,
  buckets: SECONDS,
});

export const deadLetters = new Counter({
  name: 'saga_dead_letters_total',
  help: 'Messages sent to the dead-letter topic, by the topic they were read from.',
  labelNames: ['topic'] as const,
});

export const outboxPublish = new Histogram({
  name: 'outbox_publish_seconds',
  help: 'Time from an event being written to the outbox (in the transaction that commits it) until Kafka acknowledged it.',
  buckets: SECONDS,
});

/** Rows of the outbox not yet acknowledged by Kafka, read from the database at each scrape; none when `count` cannot say (undefined). */
export function measureOutboxBacklog(count: () => Promise<number | undefined>): void {
  replace('outbox_pending_events');
  new Gauge({
    name: 'outbox_pending_events',
    help: 'Events committed to the outbox and not yet acknowledged by Kafka.',
    async collect() {
      const rows = await count();
      if (rows === undefined) this.reset();
      else this.set(rows);
    },
  });
}

export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  readonly lag: number;
}

/** The consumer group's lag on the partitions this instance owns, asked of the broker at each scrape. */
export function measureConsumerLag(lag: () => Promise<PartitionLag[]>): void {
  replace('kafka_consumer_lag');
  new Gauge({
    name: 'kafka_consumer_lag',
    help: 'Messages on each partition this instance owns that its consumer group has not committed yet (end offset minus committed offset).',
    labelNames: ['topic', 'partition'] as const,
    async collect() {
      this.reset();
      for (const { topic, partition, lag: value } of await lag()) this.set({ topic, partition: String(partition) }, value);
    },
  });
}

/** A metric measured by a callback is registered once per process; a second registration (a test) replaces it. */
function replace(name: string): void {
  register.removeSingleMetric(name);
}
