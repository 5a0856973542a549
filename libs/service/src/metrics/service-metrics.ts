import { setTimeout as sleep } from 'node:timers/promises';
import { collectDefaultMetrics, register } from 'prom-client';
import { measureConsumerLag, measureOutboxBacklog, type GroupAdmin, type KafkaRuntime, type OutboxStore } from '#messaging';

/**
 * The metrics every service exposes beside those recorded where the work happens:
 * Node's process metrics, the consumer group's lag on this instance's partitions
 * and the outbox backlog, each series labelled with the service's name.
 */
export function registerServiceMetrics(service: string, kafka: KafkaRuntime, admin: GroupAdmin, outbox: OutboxStore | null): void {
  register.setDefaultLabels({ service });
  collectDefaultMetrics();
  // Gauges named like counters, which `promtool check metrics` rejects; the same counts are in nodejs_active_{handles,requests,resources} by type.
  for (const total of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'])
    register.removeSingleMetric(total);
  // A broker or a database that fails or hangs leaves its figure out of this scrape rather than failing or stalling all of /metrics.
  measureConsumerLag(() => withinScrape(admin.lag(kafka.groupId, kafka.assignment), []));
  if (outbox) measureOutboxBacklog(() => withinScrape(outbox.count(), undefined));
}

/** How long a figure read from the broker or the database may take; Prometheus' default scrape timeout is 10 s. */
const FIGURE_TIMEOUT_MS = 2_000;

function withinScrape<T, F>(reading: Promise<T>, fallback: F): Promise<T | F> {
  return Promise.race([reading.catch(() => fallback), sleep(FIGURE_TIMEOUT_MS, fallback, { ref: false })]);
}
