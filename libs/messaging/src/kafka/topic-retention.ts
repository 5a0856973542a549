import kafkajs, { Kafka, logLevel } from 'kafkajs';
import { kafkaClientConfig, type KafkaConnection } from './kafka-connection.js';

// kafkajs is CommonJS, and Node's ESM loader does not see this enum among its named exports.
const { ConfigResourceTypes } = kafkajs;

/** Each topic's `retention.ms`, as the broker applies it (the topic's own setting, else the broker's default). */
export async function topicRetentionsMs(connection: KafkaConnection | string, topics: readonly string[]): Promise<number[]> {
  const admin = new Kafka({ clientId: 'topic-retention', ...kafkaClientConfig(connection), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: ['retention.ms'] })),
    });
    return resources.map(({ resourceName, configEntries }) => {
      const value = configEntries.find((entry) => entry.configName === 'retention.ms')?.configValue;
      if (value === undefined) throw new Error(`the broker did not say the retention of ${resourceName}`);
      return Number(value);
    });
  } finally {
    await admin.disconnect();
  }
}
