import type { Batch, EachBatchPayload, KafkaMessage, TopicMessages } from 'kafkajs';
import { DeadLetterHeaders, Topics, type SagaEvent } from '#contracts';
import { orderCreated } from '#contracts/testing';
import type { KafkaRuntime } from '../kafka/kafka-runtime.js';
import { EventConsumer, RedeliverError, type LogContext } from './event-consumer.js';
import type { EventReactor, FoldedMessage, MessagePosition } from './event-reactor.js';

const topics = new Topics('t.');
const TOPIC = topics.of('OrderCreated');

/** The consumer path of one batch, without a broker: kafkajs's batch payload and the runtime stubbed, recording what happens. */
function consumerWith(reactor: EventReactor, logContext?: LogContext) {
  const deadLetters: TopicMessages[] = [];
  /** What the runtime was last told of each partition: the message being retried, or null once one was handled. */
  const retrying = new Map<string, string | null>();
  const kafka = {
    send: (batch: TopicMessages[]) => Promise.resolve(void deadLetters.push(...batch)),
    reportRetrying: (partition: string, reason: string | null) => void retrying.set(partition, reason),
  } as unknown as KafkaRuntime;
  return { consumer: new EventConsumer('payment-service', topics, kafka, reactor, logContext), deadLetters, retrying };
}

function batchOf(values: Array<string | null>, { staleAfter = Infinity } = {}) {
  const resolved: string[] = [];
  const messages = values.map((value, index): KafkaMessage => ({
    offset: String(10 + index),
    key: Buffer.from('k'),
    value: value === null ? null : Buffer.from(value),
    headers: { trace: Buffer.from('{"x":1}') },
    timestamp: '0',
    attributes: 0,
  }));
  const payload = {
    batch: { topic: TOPIC, partition: 2, messages } as unknown as Batch,
    resolveOffset: (offset: string) => void resolved.push(offset),
    heartbeat: () => Promise.resolve(),
    commitOffsetsIfNecessary: () => Promise.resolve(),
    uncommittedOffsets: () => ({ topics: [] }),
    isRunning: () => true,
    isStale: () => resolved.length >= staleAfter,
    pause: () => () => undefined,
  } as EachBatchPayload;
  return { payload, resolved };
}

const event = () => JSON.stringify(orderCreated());

describe('EventConsumer.consumeBatch', () => {
  it('handles each message in order and marks each done after it, dead letters included', async () => {
    const seen: Array<[string, MessagePosition]> = [];
    const { consumer, deadLetters } = consumerWith({
      react: (e: SagaEvent, position) => void seen.push([e.type, position]),
      settled: (position) => void seen.push(['settled', position]),
    });
    const { payload, resolved } = batchOf([event(), null, event()]);

    await consumer.consumeBatch(payload);

    expect(resolved).toEqual(['10', '11', '12']);
    expect(seen.map(([what, { offset }]) => `${what}@${offset}`)).toEqual([
      'OrderCreated@10',
      'settled@10',
      'settled@11',
      'OrderCreated@12',
      'settled@12',
    ]);
    // The tombstone is dead-lettered as it was read: key and headers byte for byte, a null value.
    expect(deadLetters).toHaveLength(1);
    const [letter] = deadLetters[0].messages;
    expect(letter).toMatchObject({ key: Buffer.from('k'), value: null, headers: { trace: Buffer.from('{"x":1}') } });
    expect(letter.headers?.[DeadLetterHeaders.reason]).toMatch(/not a JSON object/);
    expect(letter.headers?.[DeadLetterHeaders.offset]).toBe('11');
  });

  it('stops when the partition was sought elsewhere, leaving the rest unmarked', async () => {
    const { consumer } = consumerWith({ react: () => undefined });
    const { payload, resolved } = batchOf([event(), event(), event()], { staleAfter: 1 });

    await consumer.consumeBatch(payload);

    expect(resolved).toEqual(['10']);
  });

  it('throws a plain error for a message it could not handle, leaving it unmarked for kafkajs to deliver again', async () => {
    // A dead-letter send that fails with an error kafkajs would take as final (retriable: false) must not stop the consumer for good.
    const failure = Object.assign(new Error('message too large'), { retriable: false, name: 'KafkaJSProtocolError' });
    const reactor = { react: () => undefined };
    const kafka = { send: () => Promise.reject(failure), reportRetrying: () => undefined } as unknown as KafkaRuntime;
    const consumer = new EventConsumer('payment-service', topics, kafka, reactor);
    const { payload, resolved } = batchOf([event(), 'not json', event()]);

    const thrown = await consumer.consumeBatch(payload).catch((error: unknown) => error);

    expect(thrown).toBeInstanceOf(RedeliverError);
    expect(thrown).toMatchObject({ message: expect.stringContaining(`${TOPIC}[2]@11`), cause: failure });
    expect((thrown as { retriable?: unknown }).retriable).toBeUndefined();
    expect(resolved).toEqual(['10']);
  });

  describe('with a reactor that folds batches', () => {
    /** A folding reactor recording each call as `type@offset` entries; `react` records what is handled one by one. */
    function folding(fold: (messages: readonly FoldedMessage[]) => boolean[] = (messages) => messages.map(({ event }) => event !== null)) {
      const folds: string[][] = [];
      const oneByOne: string[] = [];
      const reactor: EventReactor = {
        react: (e: SagaEvent, { offset }) => void oneByOne.push(`${e.type}@${offset}`),
        settled: ({ offset }) => void oneByOne.push(`settled@${offset}`),
        fold: (topic, partition, messages) => {
          expect([topic, partition]).toEqual([TOPIC, 2]);
          folds.push(messages.map(({ event, offset }) => `${event?.type ?? 'dead-lettered'}@${offset}`));
          return Promise.resolve(fold(messages));
        },
      };
      return { reactor, folds, oneByOne };
    }

    it('hands the whole batch over in one call and marks it done once', async () => {
      const { reactor, folds, oneByOne } = folding();
      const { consumer } = consumerWith(reactor);
      const { payload, resolved } = batchOf([event(), event(), event()]);

      await consumer.consumeBatch(payload);

      expect(folds).toEqual([['OrderCreated@10', 'OrderCreated@11', 'OrderCreated@12']]);
      expect(oneByOne).toEqual([]);
      expect(resolved).toEqual(['12']);
    });

    it('folds what came before an invalid message, dead-letters it, folds it alone as settled, then goes on', async () => {
      const { reactor, folds } = folding();
      const { consumer, deadLetters } = consumerWith(reactor);
      const { payload, resolved } = batchOf([event(), event(), 'not json', event()]);

      await consumer.consumeBatch(payload);

      expect(folds).toEqual([['OrderCreated@10', 'OrderCreated@11'], ['dead-lettered@12'], ['OrderCreated@13']]);
      expect(deadLetters.flatMap(({ messages }) => messages.map(({ headers }) => headers?.[DeadLetterHeaders.offset]))).toEqual(['12']);
      expect(resolved).toEqual(['11', '12', '13']);
    });

    it('handles the messages one by one when folding fails, with the usual retries and dead letters', async () => {
      const { reactor, folds, oneByOne } = folding(() => {
        throw new Error('no state for this partition');
      });
      const { consumer } = consumerWith(reactor);
      const { payload, resolved } = batchOf([event(), event()]);

      await consumer.consumeBatch(payload);

      expect(folds).toHaveLength(1);
      expect(oneByOne).toEqual(['OrderCreated@10', 'settled@10', 'OrderCreated@11', 'settled@11']);
      expect(resolved).toEqual(['10', '11']);
    });

    it("clears the partition's retrying message once a batch folds: the redelivered message was handled", async () => {
      const { consumer, retrying } = consumerWith(folding().reactor);
      retrying.set(`${TOPIC}[2]`, 'database is locked');

      await consumer.consumeBatch(batchOf([event()]).payload);

      expect(retrying.get(`${TOPIC}[2]`)).toBeNull();
    });

    it('handles events one by one while debug lines are on: each has its own', async () => {
      const { reactor, folds, oneByOne } = folding();
      const { consumer } = consumerWith(reactor, { run: (_bindings, work) => work(), debug: true });
      const { payload } = batchOf([event(), event()]);

      await consumer.consumeBatch(payload);

      expect(folds).toEqual([]);
      expect(oneByOne).toEqual(['OrderCreated@10', 'settled@10', 'OrderCreated@11', 'settled@11']);
    });
  });
});
