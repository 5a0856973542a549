import { Kafka, logLevel } from 'kafkajs';
import { allTopics } from './topics.js';
import { brokerList } from './kafka-options.js';

export const TOPIC_PARTITIONS = 3;

/**
 * Creates every saga topic that does not exist yet (idempotent). Producing to a
 * missing topic races auto-creation, so topics exist before anyone produces.
 */
export async function ensureTopics(brokers: string, topics: string[] = allTopics()): Promise<string[]> {
  const admin = new Kafka({ clientId: 'topic-setup', brokers: brokerList(brokers), logLevel: logLevel.ERROR }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((topic) => !existing.has(topic));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({ topic, numPartitions: TOPIC_PARTITIONS })),
      });
    }
    return missing;
  } finally {
    await admin.disconnect();
  }
}
