// `npm run bench`'s analytics part, bench-analytics.mjs's approach against a baseline: a
// backlog of `orders` finished sagas on fresh topics, read first by a raw kafkajs consumer
// (eachBatch + JSON.parse, nothing else) and then by the analytics service from dist/ (its
// own data folder and port, V8 heap capped at `heapMb` so that unbounded state would crash
// it); then 9x as many orders more (10x the events in all), read by both again from where
// they stopped: the memory figures. Last, the catch-up figure: every topic read again from
// the start, by the raw consumer in a new group and by the service from an empty data
// folder, both as users run them (no heap cap: the raw consumer has none either).
// Rates are events / time from joining the group to having read them all.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { consumerJoinedAt, entryPoint, ROOT } from '../services.mjs';
import { cpuProfileArgs, freePort, peakRssKb, rssKb } from './proc.mjs';
import { produceOrders } from './saga-backlog.mjs';
import { stopProcess, tail } from './systems.mjs';
import { ratio } from './stats.mjs';

const TIMEOUT_MS = 300_000;

export async function analyticsCatchUp({ kafka, brokers, contracts, messaging, prefix, orders, maxTracked, heapMb, dataDir, logDir, log }) {
  const topics = new contracts.Topics(prefix);
  await messaging.ensureTopics(brokers, topics.all());
  // Quiet: a producer's first sends to brand-new topics may meet a stale leader and be retried (kafkajs logs it as an error).
  const producer = new Kafka({ clientId: 'bench-backlog', brokers: brokers.split(','), logLevel: logLevel.NOTHING }).producer({
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const port = await freePort();
  const rawGroup = `${prefix}raw-consumer`;
  const phases = [];
  try {
    let total = 0;
    for (const [phase, count] of [
      ['backlog', orders],
      ['10x events', orders * 9],
    ]) {
      log(`analytics: producing ${count} orders' events (${phase})...`);
      const fresh = await produceOrders({ producer, topics, contracts }, count);
      total += fresh;
      const raw = await rawConsume({ kafka, groupId: rawGroup, topics: topics.events(), events: fresh });
      const profileName = phase.replaceAll(' ', '-');
      const service = await digest({ brokers, prefix, port, dataDir, logDir, maxTracked, heapMb, events: total, fresh, profileName });
      log(`analytics: ${phase}: ${fresh} events, raw consumer ${raw.perSecond}/s, analytics-service ${service.perSecond}/s`);
      phases.push({
        phase,
        orders: count,
        events: fresh,
        eventsInAll: total,
        raw,
        service,
        ratio: ratio(service.perSecond, raw.perSecond),
      });
    }
    log(`analytics: replay of all ${total} events from an empty state, no heap cap on either side...`);
    const raw = await rawConsume({ kafka, groupId: `${prefix}raw-replay`, topics: topics.events(), events: total });
    const replayDir = join(dataDir, 'replay');
    mkdirSync(replayDir);
    const service = await digest({
      brokers,
      prefix,
      port,
      dataDir: replayDir,
      logDir,
      maxTracked,
      heapMb: null,
      events: total,
      fresh: total,
      profileName: 'replay',
    });
    log(`analytics: replay: ${total} events, raw consumer ${raw.perSecond}/s, analytics-service ${service.perSecond}/s`);
    phases.push({
      phase: 'replay',
      orders: 0,
      events: total,
      eventsInAll: total,
      raw,
      service,
      ratio: ratio(service.perSecond, raw.perSecond),
    });
  } finally {
    await producer.disconnect();
  }
  const [first, last, replay] = phases;
  return {
    prefix,
    maxTrackedOrders: maxTracked,
    heapMb,
    phases,
    catchUp: { events: replay.events, servicePerSecond: replay.service.perSecond, rawPerSecond: replay.raw.perSecond, ratio: replay.ratio },
    capped: { heapMb, events: last.events, servicePerSecond: last.service.perSecond, rawPerSecond: last.raw.perSecond, ratio: last.ratio },
    memory: {
      rssMbAfterBacklog: first.service.rssMb,
      rssMbAfter10x: last.service.rssMb,
      ratio: ratio(last.service.rssMb, first.service.rssMb),
      peakRssMb: Math.max(first.service.peakRssMb, last.service.peakRssMb),
    },
  };
}

/** A raw kafkajs consumer (eachBatch + JSON.parse) in group `groupId` until it has read `events` more events. */
async function rawConsume({ kafka, groupId, topics, events }) {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 25, allowAutoTopicCreation: false });
  let joinedAt;
  let read = 0;
  let done;
  const finished = new Promise((resolve) => (done = resolve));
  consumer.on(consumer.events.GROUP_JOIN, () => (joinedAt ??= performance.now()));
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) if (JSON.parse(message.value.toString('utf8')).eventId) read++;
        if (read >= events) done(performance.now());
      },
    });
    const doneAt = await Promise.race([
      finished,
      sleep(TIMEOUT_MS).then(() => Promise.reject(new Error('the raw consumer did not catch up'))),
    ]);
    const seconds = (doneAt - joinedAt) / 1000;
    return { events: read, seconds: round2(seconds), perSecond: Math.round(read / seconds) };
  } finally {
    await consumer.disconnect();
  }
}

/**
 * Starts analytics-service on the backlog (V8 heap capped at `heapMb`, unless null), waits until it has read all `events`
 * (`fresh` of them new to it), stops it. With BENCH_CPU_PROF, its profile is `analytics-<profileName>.cpuprofile`.
 */
async function digest({ brokers, prefix, port, dataDir, logDir, maxTracked, heapMb, events, fresh, profileName }) {
  const logFile = join(logDir, 'bench-analytics-service.log');
  const fd = openSync(logFile, 'a');
  const startedAt = performance.now();
  let child;
  try {
    child = spawn(process.execPath, [...cpuProfileArgs(`analytics-${profileName}`), entryPoint('analytics-service')], {
      cwd: ROOT,
      env: {
        ...process.env,
        NODE_OPTIONS: heapMb ? `--max-old-space-size=${heapMb}` : '',
        PORT: String(port),
        DATA_DIR: dataDir,
        KAFKA_BROKERS: brokers,
        KAFKA_TOPIC_PREFIX: prefix,
        MAX_TRACKED_ORDERS: String(maxTracked),
        REPORT_INTERVAL_MS: '3600000',
      },
      stdio: ['ignore', fd, fd],
    });
  } finally {
    closeSync(fd);
  }
  const processInfo = { name: 'analytics-service (backlog)', child, pid: child.pid, logFile };
  try {
    const deadline = performance.now() + TIMEOUT_MS;
    const until = async (condition) => {
      while (!(await condition())) {
        if (child.exitCode !== null) throw new Error(`analytics-service exited with ${child.exitCode}.\n${tail(logFile)}`);
        if (performance.now() > deadline)
          throw new Error(`analytics-service did not catch up within ${TIMEOUT_MS / 1000} s.\n${tail(logFile)}`);
        await sleep(20);
      }
    };
    // From the moment its consumer joined the group, as the raw consumer is timed from its GROUP_JOIN.
    const joinedEpochMs = await consumerJoinedAt(port, until);
    const joinedAt = performance.now() - (Date.now() - joinedEpochMs);
    let report;
    const analytics = () =>
      fetch(`http://127.0.0.1:${port}/analytics`).then(
        (response) => response.json(),
        () => null,
      );
    // Timed until every event is applied, as the raw consumer is timed until it has read the last one...
    await until(async () => (report = await analytics()) && report.eventsProcessed >= events);
    const seconds = (performance.now() - joinedAt) / 1000;
    // ...then, untimed, until analytics itself says it caught up (it measures its lag once a second).
    await until(async () => (report = await analytics()) && !report.catchingUp && report.lag === 0);
    return {
      events: fresh,
      startToJoinedS: round2((joinedAt - startedAt) / 1000),
      seconds: round2(seconds),
      perSecond: Math.round(fresh / seconds),
      rssMb: Math.round(rssKb(child.pid) / 1024),
      peakRssMb: Math.round(peakRssKb(child.pid) / 1024),
      eventsInState: report.eventsProcessed,
      trackedOrders: report.trackedOrders,
    };
  } finally {
    await stopProcess(processInfo);
  }
}

const round2 = (value) => Math.round(value * 100) / 100;
