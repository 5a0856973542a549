import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { kafkaClientConfig, type KafkaConnection } from './kafka-connection.js';

export const TOPIC_PARTITIONS = 3;
const READY_TIMEOUT_MS = 30_000;

/**
 * Creates every saga topic that does not exist yet (idempotent). Producing to a
 * missing topic races auto-creation, so topics exist before anyone produces.
 */
export async function ensureTopics(connection: KafkaConnection | string, topics: readonly string[]): Promise<string[]> {
  // Quiet: the expected 'unknown topic' answers while new topics get leaders are retried below.
  const admin = new Kafka({ clientId: 'topic-setup', ...kafkaClientConfig(connection), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((topic) => !existing.has(topic));
    if (missing.length > 0) {
      const { replicationFactor, minInSync } = durability((await admin.describeCluster()).brokers.length);
      const topicConfigs = missing.map((topic) => ({
        topic,
        numPartitions: TOPIC_PARTITIONS,
        replicationFactor,
        configEntries: [{ name: 'min.insync.replicas', value: String(minInSync) }],
      }));
      await admin.createTopics({ topics: topicConfigs, waitForLeaders: false });
      await waitForLeaders(admin, missing);
    }
    return missing;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Three copies of every partition on a cluster, of which two must have a write
 * before it is acknowledged (producers use acks=all): one broker can die without
 * losing a committed event or stopping writes. A single broker keeps one copy.
 */
export function durability(brokers: number): { replicationFactor: number; minInSync: number } {
  return brokers >= 3 ? { replicationFactor: 3, minInSync: 2 } : { replicationFactor: 1, minInSync: 1 };
}

/**
 * Waits until every partition of the new topics has a leader that serves it. Two
 * moments come first, and both are retried here:
 * - a broker that has just started answers UNKNOWN_TOPIC_OR_PARTITION for a while
 *   (kafkajs's own `waitForLeaders` retries only LEADER_NOT_AVAILABLE, so it would
 *   fail the start);
 * - KRaft names a partition's leader in the metadata a moment before that leader
 *   serves it, and a request in that moment gets NOT_LEADER_FOR_PARTITION, which
 *   kafkajs's admin does not retry (`fetchTopicOffsets` fails at once). So the leaders
 *   are asked for the partitions' offsets too, and ready means they answered.
 */
async function waitForLeaders(admin: Admin, topics: string[]): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    try {
      const metadata = await admin.fetchTopicMetadata({ topics });
      if (metadata.topics.every(({ partitions }) => partitions.length > 0 && partitions.every(({ leader }) => leader >= 0))) {
        await Promise.all(topics.map((topic) => admin.fetchTopicOffsets(topic)));
        return;
      }
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) throw new Error(`topics ${topics.join(', ')} have no leader after ${READY_TIMEOUT_MS} ms`);
    await sleep(100);
  }
}
