#!/usr/bin/env node
// `npm run bench:fold`: analytics' own work per event, with nothing around it. A backlog of
// finished orders is written to fresh topics and read once into memory, batch by batch as
// kafkajs delivers it; then each batch is parsed and validated (`parseEvent`) and folded into
// one StreamAggregator per partition number, as analytics-service does, BENCH_ROUNDS times
// over. What it leaves out (the broker, kafkajs's decoding, the consumer, snapshots, HTTP) is
// in `npm run bench:analytics` and `npm run bench`: use this one to see what a change to the
// parsing or the aggregator costs, without their noise.
//
//   BENCH_ORDERS        orders in the backlog (default 50000, ~4 events each)
//   MAX_TRACKED_ORDERS  the service's bound on tracked orders (default 20000), shared by the
//                       partitions as the service shares it
//   BENCH_ROUNDS        folds of the whole backlog (default 5; the first also warms the JIT)
//
// Prints µs per event of each round (and of parsing alone), then the best and the median.
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { produceOrders } from './bench/saga-backlog.mjs';
import { deletePrefixed, ensureBroker, stopBroker } from './kafka.mjs';
import { build, ROOT } from './services.mjs';

const ORDERS = Number(process.env.BENCH_ORDERS ?? 50000);
const MAX_TRACKED = Number(process.env.MAX_TRACKED_ORDERS ?? 20000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const PREFIX = `bench-fold-${randomUUID().slice(0, 8)}.`;

build();
const { brokers, startedHere } = await ensureBroker();
const load = (path) => import(pathToFileURL(join(ROOT, 'dist', path)).href);
const contracts = await load('libs/contracts/src/index.js');
const messaging = await load('libs/messaging/src/index.js');
const { StreamAggregator } = await load('apps/analytics-service/src/analytics/stream/stream-aggregator.js');
const { streamSettings } = await load('apps/analytics-service/src/analytics/analytics.service.js');
const { AnalyticsServiceConfig } = await load('apps/analytics-service/src/analytics-service.config.js');

const kafka = new Kafka({ clientId: 'bench-fold', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
const topics = new contracts.Topics(PREFIX);
let batches;
let produced;
try {
  await messaging.ensureTopics(brokers, topics.all());
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  produced = await produceOrders({ producer, topics, contracts }, ORDERS).finally(() => producer.disconnect());
  batches = await readAll(await messagesOnTopics(brokers));
} finally {
  await deletePrefixed(kafka, PREFIX).catch(() => undefined);
  if (startedHere) await stopBroker();
}

const events = batches.reduce((sum, { messages }) => sum + messages.length, 0);
// A send retried against a brand-new topic's stale leader writes its events twice: the aggregator counts each once.
console.log(
  `${events} messages (${produced} events, ${events - produced} written twice by retried sends) in ${batches.length} fetched batches; ` +
    `MAX_TRACKED_ORDERS=${MAX_TRACKED}, Node.js ${process.version}`,
);
// The service's own settings, with MAX_TRACKED_ORDERS as given here.
const settings = streamSettings(Object.assign(new AnalyticsServiceConfig(), { MAX_TRACKED_ORDERS: MAX_TRACKED }));
const rounds = [];
for (let round = 1; round <= ROUNDS; round++) {
  const aggregators = new Map();
  let parsing = 0;
  const started = performance.now();
  for (const { topic, partition, messages } of batches) {
    const parseStarted = performance.now();
    const expected = [topics.typeOn(topic)];
    const parsed = messages.map((message) => contracts.parseEvent(message.value, expected));
    parsing += performance.now() - parseStarted;
    if (!aggregators.has(partition)) aggregators.set(partition, new StreamAggregator(settings));
    const aggregator = aggregators.get(partition);
    const source = messaging.partitionKey(topic, partition);
    const readAt = Date.now();
    for (const event of parsed) aggregator.apply(event, null, source, readAt);
  }
  const perEvent = ((performance.now() - started) * 1000) / events;
  const counted = [...aggregators.values()].reduce((sum, aggregator) => sum + aggregator.report(Date.now(), false).eventsProcessed, 0);
  if (counted !== produced) throw new Error(`round ${round} counted ${counted} of ${produced} events`);
  rounds.push(perEvent);
  console.log(`round ${round}: ${perEvent.toFixed(2)} µs per event (parsing and validating ${((parsing * 1000) / events).toFixed(2)})`);
}
const sorted = [...rounds].sort((a, b) => a - b);
console.log(`best ${sorted[0].toFixed(2)} µs per event, median ${sorted[Math.floor(sorted.length / 2)].toFixed(2)}`);

/** How many messages the backlog's topics hold (each topic is new: its first offset is 0). */
async function messagesOnTopics(brokers) {
  const admin = new messaging.GroupAdmin({ brokers });
  try {
    return [...(await admin.endOffsets(topics.events())).values()].reduce((sum, { high }) => sum + high, 0);
  } finally {
    await admin.close();
  }
}

/**
 * Every message of the backlog, as kafkajs's eachBatch hands them over, each once: a group that
 * rebalances while it starts may be handed a batch again, which the service would skip.
 */
async function readAll(count) {
  const consumer = kafka.consumer({ groupId: `${PREFIX}reader`, maxWaitTimeInMs: 25 });
  const read = [];
  const seen = new Set();
  let done;
  const finished = new Promise((resolve) => (done = resolve));
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: topics.events(), fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        const messages = batch.messages.filter(({ offset }) => !seen.has(`${batch.topic}[${batch.partition}]@${offset}`));
        for (const { offset } of messages) seen.add(`${batch.topic}[${batch.partition}]@${offset}`);
        if (messages.length > 0) read.push({ topic: batch.topic, partition: batch.partition, messages });
        if (seen.size >= count) done();
      },
    });
    await finished;
    return read;
  } finally {
    await consumer.disconnect();
  }
}
