import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import { Topics } from '#contracts';
import { GroupAdmin, TOPIC_PARTITIONS, type PartitionLag } from '#messaging';
import { orderCreated } from '#contracts/testing';
import type { SagaSystem } from './saga-system.js';
import { eventually } from './http.js';

/** A plain kafkajs client, independent of the services: to inject and inspect messages. */
export function kafkaFor(system: SagaSystem): Kafka {
  return new Kafka({ clientId: 'e2e-test', brokers: system.brokers.split(','), logLevel: logLevel.NOTHING });
}

export interface ReadMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: Record<string, string>;
}

/**
 * An OrderCreated (or the ChargePayment that carries the same order) that the schema refuses
 * (a negative quantity): its dead letter says "items.0.quantity must not be less than 1".
 */
export function schemaBreakingOrder(orderId: string, type: 'OrderCreated' | 'ChargePayment' = 'OrderCreated'): string {
  const event = orderCreated(orderId, [{ productId: 'prod-1', quantity: -5, unitPriceCents: 100 }]);
  return JSON.stringify({ ...event, type, payload: { ...event.payload, totalCents: 100 } }); // the quantity is its only fault
}

/** Reads a whole topic from the beginning (all partitions), up to its current end. */
export async function readTopic(kafka: Kafka, topic: string): Promise<ReadMessage[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const expected = ends.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  const messages: ReadMessage[] = [];
  if (expected === 0) return messages;
  const consumer = kafka.consumer({ groupId: `e2e-reader-${Math.random().toString(36).slice(2)}`, maxWaitTimeInMs: 50 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await new Promise<void>((done) => {
    void consumer.run({
      eachMessage: ({ partition, message }) => {
        messages.push(toReadMessage(topic, partition, message));
        if (messages.length >= expected) done();
        return Promise.resolve();
      },
    });
  });
  await consumer.disconnect();
  return messages;
}

export async function produce(
  kafka: Kafka,
  topic: string,
  messages: Array<{ key?: string; value: string | Buffer | null; partition?: number; headers?: Record<string, string> }>,
) {
  const producer = kafka.producer();
  await producer.connect();
  const metadata = await producer.send({ topic, messages });
  await producer.disconnect();
  return metadata;
}

/** The partitions of the events topics where `service`'s group has not committed up to the end, with how far behind it is. */
export async function unreadByGroup(system: SagaSystem, service: string): Promise<PartitionLag[]> {
  const admin = new GroupAdmin({ brokers: system.brokers });
  try {
    const topics = new Topics(system.prefix);
    const partitions = Object.fromEntries(topics.events().map((topic) => [topic, [...Array(TOPIC_PARTITIONS).keys()]]));
    return (await admin.lag(topics.consumerGroup(service), partitions)).filter(({ lag }) => lag > 0);
  } finally {
    await admin.close();
  }
}

/** Waits until a consumer group has committed past `offset` on a partition: the message was handled. */
export async function waitUntilConsumed(kafka: Kafka, groupId: string, topic: string, partition: number, offset: string) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await eventually(
      async () => {
        const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
        return Number(committed.partitions.find((p) => p.partition === partition)?.offset ?? -1);
      },
      (committedOffset) => committedOffset > Number(offset),
      20_000,
      `${groupId} to consume ${topic}[${partition}]@${offset}`,
    );
  } finally {
    await admin.disconnect();
  }
}

function toReadMessage(topic: string, partition: number, message: KafkaMessage): ReadMessage {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key?.toString() ?? null,
    value: message.value?.toString() ?? null,
    headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
  };
}
