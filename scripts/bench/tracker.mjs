// Matching each accepted POST to its terminal event on Kafka: the sink.
import { performance } from 'node:perf_hooks';

/**
 * The orders (or relay-chain messages) of one system: accepted ones waiting for their
 * terminal event, and terminal events that came before the POST's answer (rare, but the
 * 201 and the last hop race). An arrival time is performance.now() in this process, the
 * clock the load is scheduled on.
 */
export class Tracker {
  /** id → record of an accepted request whose terminal event has not come yet. */
  open = new Map();
  /** id → { at, topic } of a terminal event whose request has not been answered yet. */
  early = new Map();
  /** id → topic of the first terminal event of every id seen. */
  terminal = new Map();
  /** Terminal events for an id that already had one (a second outcome, or a redelivery). */
  repeated = 0;
  accepted = 0;

  /** Request `record` was answered with `id`. */
  accept(id, record) {
    record.id = id;
    this.accepted++;
    const arrived = this.early.get(id);
    if (arrived) {
      this.early.delete(id);
      finish(record, arrived);
    } else {
      this.open.set(id, record);
    }
  }

  /** The terminal event of `id` was read from `topic` at `at`. */
  arrive(id, at, topic) {
    if (this.terminal.has(id)) {
      this.repeated++;
      return;
    }
    this.terminal.set(id, topic);
    const record = this.open.get(id);
    if (record) {
      this.open.delete(id);
      finish(record, { at, topic });
    } else {
      this.early.set(id, { at, topic });
    }
  }
}

function finish(record, { at, topic }) {
  record.doneAt = at;
  record.topic = topic;
}

/**
 * A kafkajs consumer (its own new group) on the terminal `topics`, reading each event's
 * correlationId and telling `tracker`. The arrival time is taken once per batch, when
 * kafkajs hands it over. Resolves to the consumer once it has joined its group.
 */
export async function startSink({ kafka, groupId, topics, tracker, maxWaitMs }) {
  const consumer = kafka.consumer({
    groupId,
    maxWaitTimeInMs: maxWaitMs,
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
    allowAutoTopicCreation: false,
  });
  const joined = new Promise((resolve) => consumer.on(consumer.events.GROUP_JOIN, resolve));
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const at = performance.now();
      for (const message of batch.messages) {
        const event = JSON.parse(message.value.toString('utf8'));
        tracker.arrive(event.correlationId, at, batch.topic);
      }
    },
  });
  await joined;
  return consumer;
}

/**
 * Every message of `topics` from the beginning up to the end offsets found at the start
 * (a throwaway group, nothing left behind but its committed offsets). Resolves to the parsed values.
 */
export async function readTopics({ kafka, groupId, topics, timeoutMs = 60_000 }) {
  const admin = kafka.admin();
  await admin.connect();
  const remaining = new Map();
  try {
    for (const topic of topics)
      for (const { partition, offset } of await admin.fetchTopicOffsets(topic))
        if (Number(offset) > 0) remaining.set(`${topic}/${partition}`, Number(offset) - 1);
  } finally {
    await admin.disconnect();
  }
  const values = [];
  if (remaining.size === 0) return values;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, allowAutoTopicCreation: false });
  await consumer.connect();
  try {
    let done;
    const finished = new Promise((resolve) => (done = resolve));
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        const key = `${batch.topic}/${batch.partition}`;
        for (const message of batch.messages) {
          if (!remaining.has(key) || Number(message.offset) > remaining.get(key)) continue;
          values.push(JSON.parse(message.value.toString('utf8')));
          if (Number(message.offset) === remaining.get(key)) remaining.delete(key);
        }
        if (remaining.size === 0) done();
      },
    });
    const timedOut = await Promise.race([finished.then(() => false), sleepThen(timeoutMs, true)]);
    if (timedOut) throw new Error(`reading ${topics.join(', ')} did not reach the end offsets within ${timeoutMs / 1000} s`);
    return values;
  } finally {
    await consumer.disconnect();
  }
}

function sleepThen(ms, value) {
  return new Promise((resolve) => setTimeout(resolve, ms, value).unref());
}
