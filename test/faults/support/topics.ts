import { type Kafka } from 'kafkajs';

/** A message as it is on the wire: key, value and headers as bytes. */
export interface RawMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, Buffer>;
}

/**
 * Reads several whole topics (every partition, up to their current end) with one
 * consumer, keeping the bytes: what the dead-letter checks compare byte for byte.
 */
export async function readRaw(kafka: Kafka, topics: string[]): Promise<RawMessage[]> {
  const admin = kafka.admin();
  await admin.connect();
  let expected = 0;
  try {
    for (const topic of topics) {
      const ends = await admin.fetchTopicOffsets(topic);
      expected += ends.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
    }
  } finally {
    await admin.disconnect();
  }
  const messages: RawMessage[] = [];
  if (expected === 0) return messages;
  const consumer = kafka.consumer({
    groupId: `faults-reader-${Math.random().toString(36).slice(2)}`,
    maxWaitTimeInMs: 50,
    maxBytesPerPartition: 4 * 1024 * 1024,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    await new Promise<void>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`read ${messages.length} of ${expected} messages of ${topics.join(', ')}`)), 60_000);
      void consumer.run({
        autoCommit: false,
        eachMessage: ({ topic, partition, message }) => {
          messages.push({
            topic,
            partition,
            offset: message.offset,
            key: message.key,
            value: message.value,
            headers: Object.fromEntries(
              Object.entries(message.headers ?? {}).map(([name, value]) => [
                name,
                Buffer.isBuffer(value) ? value : Buffer.from(String(value)),
              ]),
            ),
          });
          if (messages.length >= expected) {
            clearTimeout(timer);
            done();
          }
          return Promise.resolve();
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return messages;
}

/** The envelope of a saga event read from a topic, or null for a message that is not one. */
export function envelopeOf(message: RawMessage): { eventId: string; type: string; occurredAt: string; orderId: string } | null {
  try {
    const event = JSON.parse(message.value?.toString('utf8') ?? '') as {
      eventId: string;
      type: string;
      occurredAt: string;
      correlationId: string;
      payload?: { orderId?: string };
    };
    return {
      eventId: event.eventId,
      type: event.type,
      occurredAt: event.occurredAt,
      orderId: event.payload?.orderId ?? event.correlationId,
    };
  } catch {
    return null;
  }
}
