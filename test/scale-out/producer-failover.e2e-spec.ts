import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { kafkaServerOptions } from '#messaging';
import { killBroker, restartBroker, waitForBrokers } from '../faults/support/inject.js';

const BROKERS = process.env.KAFKA_BROKERS ?? 'localhost:9092,localhost:9094,localhost:9096';
const NODES = 3;

/**
 * kafkajs 2.2.4 tracks a send's acknowledgements per broker: when the leader of one
 * partition of a batch dies and that partition moves to a broker that has already
 * acknowledged another partition of the same batch, the retry skips the moved
 * partition and send() resolves without having written it (kafkajs#1303). The relay
 * then marks the rows published: an event lost. patches/kafkajs+2.2.4.patch tracks
 * them per partition; this is the case, produced deterministically, with the
 * producer settings every service uses.
 */
describe('the services’ producer when a partition leader dies', () => {
  const topic = `producer-failover-${randomUUID()}`;
  const kafka = new Kafka({ clientId: 'producer-failover', brokers: BROKERS.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  let killed = false;

  beforeAll(async () => {
    await waitForBrokers(BROKERS, NODES, 60_000);
    await admin.connect();
    // Partition 0 led by broker 1, partition 1 by broker 2; when 1 dies, 2 (next in the list) takes partition 0 over.
    await admin.createTopics({
      topics: [
        {
          topic,
          replicaAssignment: [
            { partition: 0, replicas: [1, 2, 3] },
            { partition: 1, replicas: [2, 3, 1] },
          ],
          configEntries: [{ name: 'min.insync.replicas', value: '2' }],
        },
      ],
      waitForLeaders: true,
    });
  });
  afterAll(async () => {
    if (killed) await restartBroker(BROKERS, NODES, 1);
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
  });

  it('writes every message of a batch whose partitions were led by the dead broker and by the one that takes over', async () => {
    const { producer: settings, client } = kafkaServerOptions({
      clientId: 'producer-failover',
      groupId: 'unused',
      connection: { brokers: BROKERS },
      maxWaitMs: 100,
    });
    const producer = new Kafka({ ...client, brokers: BROKERS.split(','), logLevel: logLevel.NOTHING }).producer(settings);
    await producer.connect();
    try {
      const batch = (value: string) => [{ topic, messages: [0, 1].map((partition) => ({ partition, value })) }];
      // Loads the metadata: partition 0 is led by broker 1.
      await producer.sendBatch({ topicMessages: batch('before'), acks: -1 });

      killBroker(NODES, 1);
      killed = true;
      // Broker 2 acknowledges partition 1 at once; partition 0 is retried until broker 2 leads it too.
      await producer.sendBatch({ topicMessages: batch('during'), acks: -1 });
    } finally {
      await producer.disconnect();
    }

    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets.map(({ partition, high }) => ({ partition, high })).sort((a, b) => a.partition - b.partition)).toEqual([
      { partition: 0, high: '2' },
      { partition: 1, high: '2' },
    ]);
  }, 120_000);
});
