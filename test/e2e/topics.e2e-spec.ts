import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { Topics } from '#contracts';
import { ensureTopics, GroupAdmin, TOPIC_PARTITIONS } from '#messaging';

const ROOT = resolve(import.meta.dirname, '..', '..');
const BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';

/**
 * Topics are ready when ensureTopics returns: their leaders answer, not only the metadata.
 * A KRaft broker names a new partition's leader in its metadata a moment before that leader
 * serves it, and kafkajs's admin gives up at once on the NOT_LEADER_FOR_PARTITION it gets in
 * that moment (it retries only an unknown topic). Asked at once, about two new topics in three
 * failed that way here; a CI run lost a test to it (the dead-letter CLI's first read).
 */
describe('topics made by ensureTopics', () => {
  const prefix = `e2e-topics-${Math.random().toString(36).slice(2, 8)}-`;

  afterAll(async () => {
    const script = (await import(pathToFileURL(join(ROOT, 'scripts', 'kafka.mjs')).href)) as {
      deletePrefixed: (kafka: Kafka, prefix: string) => Promise<void>;
    };
    await script.deletePrefixed(new Kafka({ clientId: 'e2e-cleanup', brokers: BROKERS.split(','), logLevel: logLevel.NOTHING }), prefix);
  });

  it('answer for their offsets as soon as it returns', async () => {
    const admin = new GroupAdmin({ brokers: BROKERS });
    try {
      for (let round = 0; round < 4; round++) {
        const topics = new Topics(`${prefix}${round}.`).all();
        expect(await ensureTopics(BROKERS, topics)).toEqual(topics);
        const ends = await admin.endOffsets(topics);
        expect(ends.size).toBe(topics.length * TOPIC_PARTITIONS);
        expect([...ends.values()].every(({ low, high }) => low === 0 && high === 0)).toBe(true);
      }
    } finally {
      await admin.close();
    }
  });
});
