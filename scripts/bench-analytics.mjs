#!/usr/bin/env node
// `npm run bench:analytics`: how fast the analytics service digests a backlog from the
// real broker, whether its memory stays flat with 10x more events, and what a restart
// costs (from its snapshot, versus a replay of every topic).
//
//   BENCH_ORDERS        orders in the first backlog (default 5000, ~4 events each); the
//                       second phase adds 9x as many, for 10x the events in all
//   MAX_TRACKED_ORDERS  the service's bound on tracked orders (default here 20000, so
//                       that both phases pass it and the bound is what is measured)
//   BENCH_HEAP_MB       the service's V8 heap limit (--max-old-space-size, default 96)
//
// It writes its table into docs/saga-pattern/streaming-vs-messaging.md (Lambda vs Kappa).
// Each run uses its own topics (a random KAFKA_TOPIC_PREFIX) and data folder, so it
// never touches a running system. Numbers vary with the machine: compare within a run.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { produceOrders as produceSagaOrders } from './bench/saga-backlog.mjs';
import { writeMeasured } from './docs/measured.mjs';
import { ensureBroker, stopBroker } from './kafka.mjs';
import { build, consumerJoinedAt, entryPoint, ROOT } from './services.mjs';

const ORDERS = Number(process.env.BENCH_ORDERS ?? 5000);
const MAX_TRACKED = process.env.MAX_TRACKED_ORDERS ?? '20000';
const HEAP_MB = Number(process.env.BENCH_HEAP_MB ?? 96);
const PORT = 3905;
const PREFIX = `bench-${randomUUID().slice(0, 8)}.`;
const startedAt = new Date();

build();
const { brokers, startedHere } = await ensureBroker();
const contracts = await import(pathToFileURL(join(ROOT, 'dist', 'libs', 'contracts', 'src', 'index.js')).href);
const messaging = await import(pathToFileURL(join(ROOT, 'dist', 'libs', 'messaging', 'src', 'index.js')).href);
const topics = new contracts.Topics(PREFIX);
await messaging.ensureTopics(brokers, topics.all());
const dataDir = mkdtempSync(join(tmpdir(), 'bench-analytics-'));
const producer = new Kafka({ clientId: 'bench', brokers: brokers.split(','), logLevel: logLevel.ERROR }).producer({
  createPartitioner: Partitioners.DefaultPartitioner,
});
await producer.connect();

const rows = [];
let service = null;
const produceOrders = (count) => produceSagaOrders({ producer, topics, contracts }, count);
try {
  let produced = await produceOrders(ORDERS);
  service = await startService();
  rows.push(await digest('backlog', produced));

  // The second backlog is written while the service is down, so both phases measure the same thing.
  await stop(service, 'SIGTERM');
  const more = await produceOrders(ORDERS * 9);
  produced += more;
  service = await startService();
  rows.push(await digest('10x events', produced, more));

  // SIGTERM leaves the group at once; a SIGKILLed member would hold its partitions for
  // the session timeout, which measures Kafka, not the restore.
  await stop(service, 'SIGTERM');
  service = await startService();
  rows.push(await digest('restart from snapshot', produced, 0));

  await stop(service, 'SIGTERM');
  for (const suffix of ['', '-wal', '-shm']) rmSync(join(dataDir, `analytics-service.db${suffix}`), { force: true });
  service = await startService();
  rows.push(await digest('replay of all topics', produced, produced));
} finally {
  if (service) await stop(service, 'SIGTERM');
  await producer.disconnect();
  rmSync(dataDir, { recursive: true, force: true });
  if (startedHere) await stopBroker();
}
printTable(rows);
// The guide's Lambda vs Kappa section quotes this table: written here, never copied by hand.
writeMeasured('docs/saga-pattern/streaming-vs-messaging.md', 'bench-analytics', {
  command: 'npm run bench:analytics',
  at: startedAt,
  markdown: markdownTable(rows),
});

function startService() {
  const child = spawn(process.execPath, [entryPoint('analytics-service')], {
    cwd: ROOT,
    // A capped heap: were the state unbounded, 10x the events would end in an out-of-memory crash.
    env: {
      ...process.env,
      NODE_OPTIONS: `--max-old-space-size=${HEAP_MB}`,
      PORT: String(PORT),
      DATA_DIR: dataDir,
      KAFKA_BROKERS: brokers,
      KAFKA_TOPIC_PREFIX: PREFIX,
      MAX_TRACKED_ORDERS: MAX_TRACKED,
      REPORT_INTERVAL_MS: '3600000',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return { child, startedAt: Date.now() };
}

/**
 * Waits for the service to join its group, then until it has read all `events`;
 * `fresh` of them were new to it. Reports the time to catch up from its joining.
 */
async function digest(phase, events, fresh = events) {
  const joinedAt = await consumerJoinedAt(PORT, until);
  let report;
  await until(async () => {
    report = await fetch(`http://127.0.0.1:${PORT}/analytics`).then(
      (r) => r.json(),
      () => null,
    );
    return report && report.eventsProcessed >= events && !report.catchingUp && report.lag === 0;
  });
  const seconds = (Date.now() - joinedAt) / 1000;
  return {
    phase,
    'events in state': report.eventsProcessed,
    'start → joined (s)': ((joinedAt - service.startedAt) / 1000).toFixed(1),
    'joined → caught up (s)': seconds.toFixed(2),
    'events/s': fresh > 0 ? Math.round(fresh / seconds) : '–',
    'RSS (MB)': Math.round(rssKb(service.child.pid) / 1024),
    'tracked orders': report.trackedOrders,
    'late dropped': report.lateEventsDropped,
  };
}

async function until(condition) {
  while (!(await condition())) {
    if (service.child.exitCode !== null) throw new Error(`analytics-service exited with ${service.child.exitCode}`);
    await sleep(50);
  }
}

function rssKb(pid) {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line.match(/\d+/)[0]);
}

async function stop({ child }, signal) {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}

function printTable(rows) {
  console.log(
    `\nanalytics-service, ${ORDERS} orders then ${ORDERS * 10} in all, MAX_TRACKED_ORDERS=${MAX_TRACKED}, V8 heap capped at ${HEAP_MB} MB`,
  );
  console.table(rows);
  console.log('events/s: events new to the service / time from joining the group to having read them all (lag 0).');
  console.log('RSS: resident memory of the service once caught up. Restart: state restored from the snapshot, nothing re-read;');
  console.log('replay: the data folder deleted, every topic read again from the start.');
}

function markdownTable(rows) {
  const columns = Object.keys(rows[0]);
  const lines = [
    `analytics-service on ${ORDERS.toLocaleString('en-US')} orders, then ${(ORDERS * 10).toLocaleString('en-US')} in all (${rows[0]['events in state'].toLocaleString('en-US')} → ${rows.at(-1)['events in state'].toLocaleString('en-US')} events), \`MAX_TRACKED_ORDERS=${MAX_TRACKED}\`, V8 heap capped at ${HEAP_MB} MB, ${os.cpus().length} cores, Node.js ${process.version}:`,
    '',
    `| ${columns.join(' | ')} |`,
    `|${columns.map(() => '---').join('|')}|`,
    ...rows.map(
      (row) =>
        `| ${columns.map((column) => (typeof row[column] === 'number' ? row[column].toLocaleString('en-US') : row[column])).join(' | ')} |`,
    ),
  ];
  return lines.join('\n');
}
