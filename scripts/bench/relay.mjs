// One process of the relay chain, `npm run bench`'s baseline: the saga's hops with no
// Nest, no database and no logic. Started by scripts/bench/systems.mjs with fork():
//
//   BENCH_ROLE=front   an HTTP server (node:http): each POST /orders becomes one message
//                      on BENCH_TO, answered 201 { orderId } once Kafka has acknowledged it
//   BENCH_ROLE=relay   a kafkajs consumer on BENCH_FROM (eachBatch) that sends each batch on
//                      to BENCH_TO in one request, then lets its offsets be committed
//
// The client has the services' connection settings (kafka-connection.ts: TCP_NODELAY) and the
// producer their settings (libs/messaging/src/kafka/kafka-options.ts):
// idempotent, acks -1, one request in flight, the default partitioner (so the order id
// keeps one partition from hop to hop). It says { ready, port } over IPC once it serves.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { kafkaClientConfig } from '../../dist/libs/messaging/src/kafka/kafka-connection.js';

const { BENCH_ROLE: role, BENCH_BROKERS: brokers, BENCH_FROM: from, BENCH_TO: to, BENCH_NAME: name, BENCH_TYPE: type } = process.env;
const maxWaitMs = Number(process.env.BENCH_MAX_WAIT_MS ?? 25);

const kafka = new Kafka({
  clientId: name,
  // The services' connection settings: the broker list, and sockets with TCP_NODELAY.
  ...kafkaClientConfig(brokers),
  logLevel: logLevel.WARN,
  retry: { initialRetryTime: 100, retries: 8 },
});
const producer = kafka.producer({
  createPartitioner: Partitioners.DefaultPartitioner,
  retry: { initialRetryTime: 100, maxRetryTime: 2_000, retries: Number.MAX_SAFE_INTEGER },
  idempotent: true,
  maxInFlightRequests: 1,
  allowAutoTopicCreation: false,
});
await producer.connect();

let stop;
if (role === 'front') {
  stop = await front();
} else if (role === 'relay') {
  stop = await relay();
} else {
  throw new Error(`BENCH_ROLE must be front or relay (got ${role})`);
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    stop()
      .then(() => producer.disconnect())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  });
}

/** The HTTP front: POST /orders → one message on `to`, batched while a send is in flight. */
async function front() {
  let queue = [];
  let sending = false;
  const flush = async () => {
    sending = true;
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      try {
        await producer.send({ topic: to, acks: -1, messages: batch.map(({ message }) => message) });
        for (const { resolve } of batch) resolve();
      } catch (error) {
        for (const { reject } of batch) reject(error);
      }
    }
    sending = false;
  };
  const publish = (message) =>
    new Promise((resolve, reject) => {
      queue.push({ message, resolve, reject });
      if (!sending) void flush();
    });

  const server = http.createServer((request, response) => {
    if (request.method === 'GET' && request.url === '/health') return reply(response, 200, { status: 'ok', service: name });
    if (request.method !== 'POST' || request.url !== '/orders') return reply(response, 404, { message: 'not found' });
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return reply(response, 400, { message: 'malformed JSON' });
      }
      const orderId = randomUUID();
      const event = {
        eventId: randomUUID(),
        type,
        occurredAt: new Date().toISOString(),
        correlationId: orderId,
        causationId: null,
        payload: { orderId, ...body },
      };
      publish({ key: orderId, value: JSON.stringify(event) }).then(
        () => reply(response, 201, { orderId, status: 'pending' }),
        (error) => reply(response, 503, { message: error.message }),
      );
    });
  });
  await new Promise((resolve) => server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', resolve));
  process.send({ ready: true, port: server.address().port });
  return async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
}

function reply(response, status, body) {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

/** A hop: each batch read from `from` is sent on to `to` in one request, as the next event of the order. */
async function relay() {
  const consumer = kafka.consumer({
    groupId: name,
    maxWaitTimeInMs: maxWaitMs,
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
    allowAutoTopicCreation: false,
  });
  const joined = new Promise((resolve) => consumer.on(consumer.events.GROUP_JOIN, resolve));
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) {
      console.error(`${name}: the consumer crashed for good: ${payload.error?.message}`);
      process.exit(1);
    }
  });
  await consumer.connect();
  await consumer.subscribe({ topic: from, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      if (batch.messages.length === 0) return;
      const messages = batch.messages.map((message) => {
        const cause = JSON.parse(message.value.toString('utf8'));
        const event = {
          eventId: randomUUID(),
          type,
          occurredAt: new Date().toISOString(),
          correlationId: cause.correlationId,
          causationId: cause.eventId,
          payload: cause.payload,
        };
        return { key: message.key, value: JSON.stringify(event) };
      });
      await producer.send({ topic: to, acks: -1, messages });
      resolveOffset(batch.lastOffset());
      await heartbeat();
    },
  });
  await joined;
  process.send({ ready: true });
  return () => consumer.disconnect();
}
