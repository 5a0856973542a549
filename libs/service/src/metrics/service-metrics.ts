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
  // A broker that cannot answer leaves the lag out of this scrape rather than failing all of /metrics.
  measureConsumerLag(() => admin.lag(kafka.groupId, kafka.assignment).catch(() => []));
  if (outbox) measureOutboxBacklog(() => outbox.count());
}
