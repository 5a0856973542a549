#!/usr/bin/env node
// `npm run bench`: what the saga costs against what Kafka and kafkajs allow on the same
// machine, in one run on one broker (issue 9; docs/performance.md explains every figure).
//
//   1. a broker (if none answers), the four services from dist/ as a user starts them (their
//      own topic prefix and data folder, failure rates 0, stock that never runs out), and the
//      relay chain: an HTTP front and three raw kafkajs relays, the same hops with no Nest,
//      no database, no logic; a sink (kafkajs consumer) on each system's terminal topics;
//   2. open-loop POST /orders at stepped constant rates, the two systems interleaved, until
//      each falls behind; latency from each request's scheduled send to its terminal event;
//   3. both at half the saga's highest sustained rate, with the CPU time of every process;
//   4. POST /orders from N clients in a closed loop, the consumers running;
//   5. the invariants: no lost saga, no double charge, stock conserved; peak RSS per process;
//   6. analytics catch-up on a backlog against a raw kafkajs consumer, and its memory at 10×;
//   7. Kafka's ProducerPerformance for context.
// Results: docs/performance/bench-results.{json,md} and latency.svg, and the last full run's table in
// docs/performance.md (quick mode: .data/bench/ only).
//
//   npm run bench -- --quick     the same code for a few seconds, no thresholds (CI runs it)
//   --out DIR                    write the results there instead
//   BENCH_RATES=50,100,...       the rates to step through (orders/s); the full run goes on past the
//                                last one by a quarter a step while a system keeps up, up to BENCH_MAX_RATE (20000)
//   BENCH_STEP_SECONDS           seconds per step (default 5; quick 1.5)
//   BENCH_P99_BOUND_MS           a step with a higher p99 fell behind (default 1000)
//   BENCH_CONCURRENCY            closed-loop clients (default 32; quick 16)
//   BENCH_ORDERS                 orders in the analytics backlog (default 5000; quick 300), then 9× more
//   BENCH_PERF_RECORDS           ProducerPerformance records (default 200000; quick 20000)
//
// Exits 1 when an invariant is broken or the harness fails; it asserts no performance threshold.
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import { analyticsCatchUp } from './bench/analytics.mjs';
import { closedLoop, openLoop } from './bench/load.mjs';
import { freePort, portBusy } from './bench/proc.mjs';
import { producerPerformance } from './bench/producer-performance.mjs';
import { modesTable, writeResults } from './bench/report.mjs';
import { writeMeasured } from './docs/measured.mjs';
import { ratio, summarize } from './bench/stats.mjs';
import { relayTopics, startRelayChain, startSaga } from './bench/systems.mjs';
import { readTopics, startSink } from './bench/tracker.mjs';
import { deletePrefixed, ensureBroker, kafkaVersion, stopBroker } from './kafka.mjs';
import { createDatabase, dropDatabase, ensurePostgres, stopPostgres } from './postgres.mjs';
import { build, ROOT, serviceDefinitions, SERVICE_NAMES } from './services.mjs';

const QUICK = process.argv.includes('--quick');
const outIndex = process.argv.indexOf('--out');
/** Where the saga's services keep their state: SQLite files (default), or BENCH_DATABASE=postgres, a database each. */
const BACKEND = process.env.BENCH_DATABASE === 'postgres' ? 'postgres' : 'sqlite';
const DOCS_DIR = path.join(ROOT, 'docs', 'performance', ...(BACKEND === 'postgres' ? ['postgres'] : []));
const OUT_DIR = path.resolve(outIndex > 0 ? process.argv[outIndex + 1] : QUICK ? path.join(ROOT, '.data', 'bench') : DOCS_DIR);
const numberEnv = (name, fallback) => (process.env[name] ? Number(process.env[name]) : fallback);

const CONFIG = {
  quick: QUICK,
  rates: process.env.BENCH_RATES
    ? process.env.BENCH_RATES.split(',').map(Number)
    : QUICK
      ? [50, 200]
      : [50, 100, 200, 400, 600, 800, 1000, 1200, 1600, 2000, 2400, 3200, 4000],
  /** The full run goes on past the last of `rates` (by a quarter each step) while a system keeps up, up to this. */
  maxRate: numberEnv('BENCH_MAX_RATE', 20000),
  stepSeconds: numberEnv('BENCH_STEP_SECONDS', QUICK ? 1.5 : 5),
  /** Warm-up (JIT, connections, SQLite pages), not recorded: [rate, seconds] pairs. */
  warmup: QUICK
    ? [[50, 2]]
    : [
        [50, 5],
        [200, 5],
      ],
  /** After the last send of a step, how long every accepted order has to become terminal. */
  drainSeconds: QUICK ? 5 : 10,
  /** After a step, how long the system may take to finish what it still holds before the next one. */
  settleSeconds: QUICK ? 30 : 120,
  p99BoundMs: numberEnv('BENCH_P99_BOUND_MS', 1000),
  /** Quick mode runs every rate once; the full run stops a system at its first rate that fails twice. Either way
   * the result is the highest rate sustained below the first one that was not. */
  untilBehind: !QUICK,
  halfSeconds: QUICK ? 2 : 10,
  closedSeconds: QUICK ? 1.5 : 5,
  concurrency: numberEnv('BENCH_CONCURRENCY', QUICK ? 16 : 32),
  analyticsOrders: numberEnv('BENCH_ORDERS', QUICK ? 300 : 5000),
  analyticsMaxTracked: QUICK ? 200 : 20000,
  analyticsHeapMb: 96,
  perfRecords: numberEnv('BENCH_PERF_RECORDS', QUICK ? 20000 : 200000),
  initialStock: 100_000_000,
  finalDrainSeconds: QUICK ? 60 : 120,
  maxWaitMs: 25, // the services' KAFKA_MAX_WAIT_MS default: the sinks and relays fetch as they do
};

/** Stock that never runs out, as every saga system of the run starts with it. */
const INITIAL_STOCK = `prod-1:${CONFIG.initialStock},prod-2:${CONFIG.initialStock}`;
const num = (value) => (typeof value === 'number' ? value.toLocaleString('en-US') : String(value));
const log = (message) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
const runId = randomUUID().slice(0, 8);
const PREFIX = `bench-${runId}.`;
const tempRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
const dataDir = path.join(tempRoot, 'data');
const logDir = path.join(tempRoot, 'logs');
fs.mkdirSync(dataDir);
fs.mkdirSync(logDir);

// What to undo, last first; run once on success, failure or Ctrl-C.
const cleanups = [];
/** The PostgreSQL server (BENCH_DATABASE=postgres), and the databases this run created on it. */
let postgres = null;
const databases = [];

/** A fresh database per service for one saga system (PostgreSQL runs), dropped at the end; null on SQLite. */
async function databasesFor(label) {
  if (!postgres) return null;
  const urls = {};
  for (const service of SERVICE_NAMES) {
    const name = `bench_${runId}_${label}_${service}`.replaceAll('-', '_');
    urls[service] = await createDatabase(postgres.url, name);
    if (databases.length === 0) cleanups.push(() => Promise.all(databases.map((db) => dropDatabase(postgres.url, db).catch(() => {}))));
    databases.push(name);
  }
  return urls;
}
let cleaning = null;
const cleanUp = () =>
  (cleaning ??= (async () => {
    for (const step of cleanups.reverse()) await step().catch((error) => console.error(`[bench] cleanup: ${error.message}`));
    fs.rmSync(tempRoot, { recursive: true, force: true });
  })());
for (const signal of ['SIGINT', 'SIGTERM'])
  process.on(signal, () => {
    console.error(`[bench] ${signal}: stopping what was started`);
    void cleanUp().then(() => process.exit(130));
  });

let exitCode = 1;
try {
  exitCode = await main();
} catch (error) {
  console.error(`[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : error}`);
} finally {
  await cleanUp();
}
process.exit(exitCode);

async function main() {
  const startedAt = new Date();
  const machine = machineFacts();
  build((message) => log(message));
  const { brokers, startedHere } = await ensureBroker({ log });
  if (startedHere) cleanups.push(() => stopBroker({ log }));
  if (BACKEND === 'postgres') {
    postgres = await ensurePostgres({ log });
    if (postgres.startedHere) cleanups.push(() => stopPostgres({ log }));
  }
  const contracts = await import(pathToFileURL(path.join(ROOT, 'dist', 'libs', 'contracts', 'src', 'index.js')).href);
  const messaging = await import(pathToFileURL(path.join(ROOT, 'dist', 'libs', 'messaging', 'src', 'index.js')).href);
  // The services' client settings (TCP_NODELAY): the sinks and the raw consumer must add no delay of their own.
  const kafka = new Kafka({ clientId: 'bench', ...messaging.kafkaClientConfig(brokers), logLevel: logLevel.ERROR });
  cleanups.push(() => deletePrefixed(kafka, `bench-${runId}`));

  const topics = new contracts.Topics(PREFIX);
  const perfTopic = `${PREFIX}producer-perf`;
  await messaging.ensureTopics(brokers, [...topics.all(), ...relayTopics(PREFIX), perfTopic]);

  const ports = await servicePorts();
  log(`starting the four services (prefix ${PREFIX}, ports ${Object.values(ports).join(', ')}, data ${dataDir}) and the relay chain...`);
  const started = await Promise.allSettled([
    startSaga({
      brokers,
      prefix: PREFIX,
      dataDir,
      logDir,
      ports,
      initialStock: INITIAL_STOCK,
      topics,
      databaseUrls: await databasesFor('saga'),
    }),
    startRelayChain({ brokers, prefix: PREFIX, logDir }),
  ]);
  let systemsRunning = true;
  const stopSystems = async () => {
    if (!systemsRunning) return;
    systemsRunning = false;
    await Promise.all(started.filter((s) => s.status === 'fulfilled').map((s) => s.value.stop()));
  };
  cleanups.push(stopSystems);
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  const [saga, relay] = started.map((s) => s.value);
  const sinks = await Promise.all(
    [saga, relay].map((system) =>
      startSink({
        kafka,
        groupId: `${PREFIX}sink-${system === saga ? 'saga' : 'relay'}`,
        topics: system.terminalTopics,
        tracker: system.tracker,
        maxWaitMs: CONFIG.maxWaitMs,
      }),
    ),
  );
  let sinksRunning = true;
  const stopSinks = async () => {
    if (!sinksRunning) return;
    sinksRunning = false;
    await Promise.all(sinks.map((sink) => sink.disconnect()));
  };
  cleanups.push(stopSinks);

  for (const system of [relay, saga]) await warmUp(system);

  // The ladder: each rate for the relay chain, then for the saga, until each falls behind.
  const { steps, maxSustained } = await climb([relay, saga]);
  const state = new Map([relay, saga].map((system) => [system, { max: maxSustained(system).rate }]));

  // Both at half the saga's highest sustained rate, with the CPU each process uses.
  const halfRate = Math.max(10, Math.round(state.get(saga).max / 2) || 25);
  // A pause first: the broker may still be busy with the ladder's last overload.
  await sleep(QUICK ? 0 : 5000);
  const half = new Map();
  const halfAttempts = [];
  for (const system of [relay, saga]) {
    let step = await runStep(system, halfRate, CONFIG.halfSeconds);
    await settle(system);
    logStep(step, `half the saga's maximum`);
    if (!step.sustained && CONFIG.untilBehind) {
      halfAttempts.push({ ...step, final: false, half: true }); // as on the ladder: once more
      step = { ...(await runStep(system, halfRate, CONFIG.halfSeconds)), attempt: 2 };
      await settle(system);
      logStep(step, `half the saga's maximum, once more`);
    }
    half.set(system, step);
  }

  // POST /orders from N clients, each waiting for its answer, with the consumers running.
  const post = new Map();
  for (const system of [relay, saga]) {
    const records = [];
    const result = await closedLoop({
      concurrency: CONFIG.concurrency,
      durationMs: CONFIG.closedSeconds * 1000,
      send: (at) => system.send(at, records),
    });
    log(`${system.name}: POST /orders, ${CONFIG.concurrency} clients: ${result.perSecond}/s, p50 ${result.p50} ms, p99 ${result.p99} ms`);
    post.set(system, result);
    await settle(system, CONFIG.finalDrainSeconds);
  }

  // Every accepted order must end; then the invariants.
  await settle(saga, CONFIG.finalDrainSeconds);
  await settle(relay, CONFIG.finalDrainSeconds);
  const invariants = await checkInvariants({ kafka, saga, relay, topics, ports });
  for (const invariant of invariants) log(`${invariant.ok ? 'ok' : 'BROKEN'}: ${invariant.name}: ${invariant.detail}`);
  const peakRss = new Map([saga, relay].map((system) => [system, system.peakRssMb()]));
  await stopSinks();
  await stopSystems();

  log('modes: the saga choreographed and orchestrated, side by side...');
  const modes = await compareModes({ kafka, brokers, contracts, messaging });
  invariants.push(...modes.invariants);

  log('analytics: catch-up on a backlog against a raw kafkajs consumer...');
  const analyticsDataDir = path.join(tempRoot, 'analytics-data');
  fs.mkdirSync(analyticsDataDir);
  const analytics = await analyticsCatchUp({
    kafka,
    brokers,
    contracts,
    messaging,
    prefix: `bench-${runId}-analytics.`,
    orders: CONFIG.analyticsOrders,
    maxTracked: CONFIG.analyticsMaxTracked,
    heapMb: CONFIG.analyticsHeapMb,
    dataDir: analyticsDataDir,
    logDir,
    log,
  });

  log(`Kafka's ProducerPerformance: ${CONFIG.perfRecords} records...`);
  const perf = await producerPerformance({ brokers, topic: perfTopic, records: CONFIG.perfRecords, log });
  log(`ProducerPerformance: ${perf.perSecond} records/s (${perf.mbPerSecond} MB/s), p99 ${perf.latencyMs.p99} ms`);

  machine.loadAverage.end = os.loadavg().map((value) => Math.round(value * 100) / 100);
  const summary = (system) => ({
    maxSustained: maxSustained(system),
    post: post.get(system),
    cpu: cpuSummary(half.get(system)),
    peakRssMb: peakRss.get(system),
    accepted: system.tracker.accepted,
  });
  const sagaSummary = summary(saga);
  const relaySummary = summary(relay);
  const finalStep = (system, rate) => steps.find((step) => step.final && step.system === system.name && step.rate === rate);
  const point = (rate, label, pick = (system) => finalStep(system, rate)) => {
    const [s, r] = [pick(saga), pick(relay)];
    return {
      rate,
      label,
      saga: s ? s.latency : null,
      relay: r ? r.latency : null,
      p50Ratio: ratio(s?.latency.p50, r?.latency.p50),
      p99Ratio: ratio(s?.latency.p99, r?.latency.p99),
    };
  };
  const sum = (values) => Object.values(values ?? {}).reduce((a, b) => a + b, 0);
  const result = {
    command: `${BACKEND === 'postgres' ? 'BENCH_DATABASE=postgres ' : ''}npm run bench${QUICK ? ' -- --quick' : ''}`,
    backend: BACKEND,
    startedAt: startedAt.toISOString().replace(/\.\d+Z$/, 'Z'),
    seconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
    broker: `${brokers}, ${startedHere ? 'started by the bench' : 'already running'}`,
    machine,
    config: CONFIG,
    halfRate,
    saga: sagaSummary,
    relay: relaySummary,
    ratios: {
      maxSustained: sagaSummary.maxSustained.rate > 0 ? ratio(sagaSummary.maxSustained.rate, relaySummary.maxSustained.rate) : null,
      postPerSecond: ratio(sagaSummary.post.perSecond, relaySummary.post.perSecond),
      cpuPerCompleted: ratio(sagaSummary.cpu.msPerCompleted, relaySummary.cpu.msPerCompleted),
      peakRssSum: ratio(sum(sagaSummary.peakRssMb), sum(relaySummary.peakRssMb)),
    },
    latencyPoints: [...[50, 200].map((rate) => point(rate)), point(halfRate, "half the saga's maximum", (system) => half.get(system))],
    steps: [...steps, ...halfAttempts, ...[relay, saga].map((system) => ({ ...half.get(system), final: false, half: true }))],
    invariants,
    modes,
    analytics,
    producerPerformance: perf,
  };
  const { markdown, files } = await writeResults(result, OUT_DIR);
  console.log(`\n${markdown}`);
  log(`written: ${files.map((file) => path.relative(process.cwd(), file)).join(', ')}`);
  if (OUT_DIR === DOCS_DIR && BACKEND === 'postgres') {
    // The PostgreSQL run's summary beside the SQLite one (its files are in docs/performance/postgres/).
    writeMeasured('docs/performance.md', 'bench-postgres', {
      command: result.command,
      at: startedAt,
      markdown: `${markdown
        .split('\n## Steps')[0]
        .replace(/^# .*\n+/, '')
        .trim()}\n\nEvery step, the modes and the invariants: [performance/postgres/bench-results.md](performance/postgres/bench-results.md).`,
    });
    log('written: the PostgreSQL run in docs/performance.md');
  } else if (OUT_DIR === DOCS_DIR) {
    // The guide quotes the last full run: its table and chart, written here rather than copied by hand.
    const section = markdown.replace(/^# .*\n+/, '').replace(/^## /gm, '### ');
    writeMeasured('docs/performance.md', 'bench', {
      command: result.command,
      at: startedAt,
      markdown: `![latency against offered rate](performance/latency.svg)\n\n${section}`,
    });
    writeMeasured('docs/saga-pattern/orchestration.md', 'bench-modes', {
      command: result.command,
      at: startedAt,
      markdown: `![latency against offered rate, both modes](../performance/modes.svg)\n\n${modesTable(result)}`,
    });
    log('written: the last full run in docs/performance.md, its modes table in docs/saga-pattern/orchestration.md');
  }
  return invariants.every((invariant) => invariant.ok) ? 0 : 1;
}

/** Warm-up (JIT, connections, database pages): CONFIG.warmup's steps, not recorded. */
async function warmUp(system) {
  for (const [rate, seconds] of CONFIG.warmup) {
    await runStep(system, rate, seconds);
    await settle(system);
  }
}

/**
 * Steps `systems` up the ladder, interleaved (each rate for each system in turn), until each falls
 * behind (full run) or the rates run out; a step that falls behind runs once more first.
 */
async function climb(systems) {
  const steps = [];
  const state = new Map(systems.map((system) => [system, { max: 0, behind: false }]));
  const skip = (system) => CONFIG.untilBehind && state.get(system).behind;
  for (const rate of ladder(() => systems.every(skip))) {
    for (const system of systems) {
      const s = state.get(system);
      if (skip(system)) continue;
      let step = await runStep(system, rate, CONFIG.stepSeconds);
      await settle(system);
      if (!step.sustained && CONFIG.untilBehind) {
        // Once more: one noisy moment on a shared machine should not end the ladder.
        log(`${system.name} at ${rate}/s fell behind (${step.reasons.join('; ')}): once more`);
        steps.push({ ...step, final: false });
        step = { ...(await runStep(system, rate, CONFIG.stepSeconds)), attempt: 2 };
        await settle(system);
      }
      steps.push({ ...step, final: true });
      logStep(step);
      if (!step.sustained) s.behind = true;
      else if (!s.behind) s.max = Math.max(s.max, rate);
    }
  }
  return { steps, maxSustained: (system) => ({ rate: state.get(system).max, limitFound: state.get(system).behind }) };
}

/**
 * The same saga choreographed and orchestrated (SAGA_MODE), each a system of its own (topics,
 * data, ports) on the same broker, up the same ladder interleaved: throughput, latency, CPU per
 * saga at 200/s, and the messages each saga put on Kafka (events and commands).
 */
async function compareModes({ kafka, brokers, contracts, messaging }) {
  const runs = [];
  try {
    for (const mode of ['choreographed', 'orchestrated']) {
      const prefix = `bench-${runId}-${mode}.`;
      const topics = new contracts.Topics(prefix);
      await messaging.ensureTopics(brokers, topics.all());
      const dirs = ['data', 'logs'].map((kind) => path.join(tempRoot, `${mode}-${kind}`));
      dirs.forEach((dir) => fs.mkdirSync(dir, { recursive: true }));
      const ports = {};
      for (const service of SERVICE_NAMES) ports[service] = await freePort();
      const databaseUrls = await databasesFor(mode);
      const system = await startSaga({
        brokers,
        prefix,
        dataDir: dirs[0],
        logDir: dirs[1],
        ports,
        initialStock: INITIAL_STOCK,
        topics,
        mode,
        name: mode,
        databaseUrls,
      });
      runs.push({ mode, system, topics, ports });
      const sink = await startSink({
        kafka,
        groupId: `${prefix}sink`,
        topics: system.terminalTopics,
        tracker: system.tracker,
        maxWaitMs: CONFIG.maxWaitMs,
      });
      runs.at(-1).sink = sink;
    }
    const systems = runs.map((run) => run.system);
    for (const system of systems) await warmUp(system);
    const { steps, maxSustained } = await climb(systems);
    for (const system of systems) await settle(system, CONFIG.finalDrainSeconds);

    const admin = kafka.admin();
    await admin.connect();
    const messagesOn = async (names) => {
      let total = 0;
      for (const topic of names) for (const { high } of await admin.fetchTopicOffsets(topic)) total += Number(high);
      return total;
    };
    const results = [];
    const invariants = [];
    try {
      for (const { mode, system, topics, ports } of runs) {
        const at200 = steps.find((step) => step.final && step.system === mode && step.rate === 200);
        const [events, commands] = [await messagesOn(topics.events()), await messagesOn(topics.commands())];
        const accepted = system.tracker.accepted;
        const completed = [...system.tracker.terminal.values()].filter((topic) => topic === topics.of('OrderCompleted')).length;
        results.push({
          mode,
          maxSustained: maxSustained(system),
          latency50: steps.find((step) => step.final && step.system === mode && step.rate === 50)?.latency ?? null,
          latency200: at200?.latency ?? null,
          cpuMsPerSaga: at200 && at200.completed > 0 ? Math.round((at200.cpuMs.total / at200.completed) * 100) / 100 : null,
          messagesPerSaga: {
            events: round2(events / accepted),
            commands: round2(commands / accepted),
            total: round2((events + commands) / accepted),
          },
          accepted,
          completed,
        });
        const stock = await fetch(`http://127.0.0.1:${ports['inventory-service']}/inventory`).then((response) => response.json());
        const prod1 = stock.products.find((p) => p.productId === 'prod-1');
        const conserved = stock.products.every((p) => p.available + p.reserved === p.initial + p.restocked);
        invariants.push({
          name: `${mode}: every accepted order terminal, stock conserved, prod-1 reserved = completed orders`,
          ok: system.tracker.open.size === 0 && conserved && prod1?.reserved === completed,
          detail: `${accepted - system.tracker.open.size} of ${accepted} terminal (${completed} completed); prod-1 reserved ${prod1?.reserved}`,
        });
      }
    } finally {
      await admin.disconnect();
    }
    return { steps, results, invariants };
  } finally {
    await Promise.all(runs.map((run) => run.sink?.disconnect()));
    await Promise.all(runs.map((run) => run.system.stop()));
  }
}

function round2(value) {
  return Math.round(value * 100) / 100;
}

/**
 * The rates to step through: CONFIG.rates, then (full run) on by a quarter each time while a
 * system still keeps up, up to CONFIG.maxRate; it stops as soon as `done()` says so.
 */
function* ladder(done) {
  let rate = 0;
  for (rate of CONFIG.rates) {
    if (done()) return;
    yield rate;
  }
  if (!CONFIG.untilBehind) return;
  for (rate = Math.round((rate * 1.25) / 100) * 100; rate <= CONFIG.maxRate && !done(); rate = Math.round((rate * 1.25) / 100) * 100)
    yield rate;
}

/** One open-loop step: `rate` requests a second for `seconds`, then up to drainSeconds for the last to end. */
async function runStep(system, rate, seconds) {
  system.assertRunning();
  const records = [];
  const cpuBefore = system.cpu();
  const schedule = await openLoop({ rate, durationMs: seconds * 1000, send: (at) => system.send(at, records) });
  const deadline = schedule.end + CONFIG.drainSeconds * 1000;
  const pending = () => records.some((record) => record.id && record.doneAt === undefined);
  while (pending() && performance.now() < deadline) await sleep(20);
  const cpuAfter = system.cpu();
  system.assertRunning();
  return evaluate(system, rate, seconds, records, schedule, {
    each: Object.fromEntries(Object.entries(cpuAfter.each).map(([name, value]) => [name, value - cpuBefore.each[name]])),
    total: cpuAfter.total - cpuBefore.total,
  });
}

function evaluate(system, rate, seconds, records, schedule, cpu) {
  const accepted = records.filter((record) => record.id);
  const done = accepted.filter((record) => record.doneAt !== undefined);
  const errors = records.filter((record) => !record.id);
  const latencies = done.map((record) => record.doneAt - record.scheduledAt);
  const latency = summarize(latencies);
  // Did latency grow over the step? The median of its last quarter against its first.
  const quarter = Math.max(1, Math.floor(accepted.length / 4));
  const p50Of = (part) =>
    summarize(part.filter((record) => record.doneAt !== undefined).map((record) => record.doneAt - record.scheduledAt)).p50;
  const trend = { firstQuarterP50: p50Of(accepted.slice(0, quarter)), lastQuarterP50: p50Of(accepted.slice(-quarter)) };
  const lastDone = done.reduce((latest, record) => Math.max(latest, record.doneAt), schedule.start);
  const cancelled = done.filter((record) => record.topic?.endsWith('order.cancelled')).length;
  const reasons = [];
  if (errors.length > 0) reasons.push(`${errors.length} POSTs not accepted (${errors[0].error})`);
  if (done.length < accepted.length)
    reasons.push(`${accepted.length - done.length} not terminal ${CONFIG.drainSeconds} s after the last send`);
  if (latency.p99 !== null && latency.p99 > CONFIG.p99BoundMs) reasons.push(`p99 ${Math.round(latency.p99)} ms > ${CONFIG.p99BoundMs} ms`);
  if (trend.firstQuarterP50 !== null && trend.lastQuarterP50 !== null && trend.lastQuarterP50 > 1.5 * trend.firstQuarterP50 + 50)
    reasons.push(`latency grew: p50 ${Math.round(trend.firstQuarterP50)} → ${Math.round(trend.lastQuarterP50)} ms over the step`);
  return {
    system: system.name,
    rate,
    seconds,
    attempt: 1,
    sent: records.length,
    accepted: accepted.length,
    completed: done.length,
    cancelled,
    latency: { p50: latency.p50, p95: latency.p95, p99: latency.p99, max: latency.max },
    completedPerSecond: done.length > 0 ? Math.round(done.length / ((lastDone - schedule.start) / 1000)) : 0,
    sendLagP99: summarize(records.map((record) => record.sentAt - record.scheduledAt)).p99,
    trend,
    cpuMs: {
      total: Math.round(cpu.total),
      each: Object.fromEntries(Object.entries(cpu.each).map(([name, value]) => [name, Math.round(value)])),
    },
    sustained: reasons.length === 0,
    reasons,
  };
}

function logStep(step, label) {
  const { latency } = step;
  log(
    `${step.system.padEnd(11)} ${String(step.rate).padStart(5)}/s${label ? ` (${label})` : ''}: ${step.completed}/${step.sent} terminal, ` +
      `p50 ${latency.p50} p95 ${latency.p95} p99 ${latency.p99} max ${latency.max} ms, ${step.completedPerSecond}/s` +
      `${step.sustained ? '' : ` — fell behind: ${step.reasons.join('; ')}`}`,
  );
}

function cpuSummary(step) {
  return {
    rate: step.rate,
    seconds: step.seconds,
    completed: step.completed,
    msPerCompleted: step.completed > 0 ? Math.round((step.cpuMs.total / step.completed) * 100) / 100 : null,
    msPerCompletedEach: Object.fromEntries(
      Object.entries(step.cpuMs.each).map(([name, value]) => [
        name,
        step.completed > 0 ? Math.round((value / step.completed) * 100) / 100 : null,
      ]),
    ),
    cpuMs: step.cpuMs,
  };
}

/** Waits (up to `seconds`) until the system holds no accepted order without a terminal event, then a moment more. */
async function settle(system, seconds = CONFIG.settleSeconds) {
  const deadline = performance.now() + seconds * 1000;
  while (system.tracker.open.size > 0 && performance.now() < deadline) await sleep(50);
  await sleep(QUICK ? 200 : 1000);
}

async function checkInvariants({ kafka, saga, relay, topics, ports }) {
  const invariants = [];
  const tracker = saga.tracker;
  const completedTopic = topics.of('OrderCompleted');
  const completed = [...tracker.terminal.values()].filter((topic) => topic === completedTopic).length;
  const cancelled = tracker.terminal.size - completed;
  const lost = [...tracker.open.keys()];
  invariants.push({
    name: 'no lost saga (every accepted order terminal)',
    ok: lost.length === 0,
    detail:
      lost.length === 0
        ? `all ${tracker.accepted.toLocaleString('en-US')} accepted orders terminal (${completed.toLocaleString('en-US')} completed, ${cancelled} cancelled)`
        : `${lost.length} of ${tracker.accepted} accepted orders without a terminal event after ${CONFIG.finalDrainSeconds} s, e.g. ${lost.slice(0, 3).join(', ')}`,
  });
  invariants.push({
    name: 'one terminal event per order',
    ok: tracker.repeated === 0,
    detail: tracker.repeated === 0 ? 'no order ended twice' : `${tracker.repeated} terminal events for orders that had one already`,
  });

  const payments = await readTopics({ kafka, groupId: `${PREFIX}audit-payments`, topics: [topics.of('PaymentCompleted')] });
  const charges = new Map();
  for (const event of payments) {
    const orderId = event.payload?.orderId ?? event.correlationId;
    charges.set(orderId, (charges.get(orderId) ?? 0) + 1);
  }
  const doubled = [...charges].filter(([, count]) => count > 1);
  invariants.push({
    name: 'no double charge (at most one PaymentCompleted per order on the topic)',
    ok: doubled.length === 0,
    detail:
      doubled.length === 0
        ? `${payments.length.toLocaleString('en-US')} PaymentCompleted for ${charges.size.toLocaleString('en-US')} orders, none twice`
        : `${doubled.length} orders charged more than once, e.g. ${doubled
            .slice(0, 3)
            .map(([id, count]) => `${id} ×${count}`)
            .join(', ')}`,
  });

  // A cancelled saga's compensation (a reservation released) may still be on its way: give it a moment.
  let inventory, broken, product, ok;
  const deadline = performance.now() + 30_000;
  do {
    if (inventory) await sleep(250);
    inventory = await fetch(`http://127.0.0.1:${ports['inventory-service']}/inventory`).then((response) => response.json());
    broken = inventory.products.filter((p) => p.available + p.reserved !== p.initial + p.restocked);
    product = inventory.products.find((p) => p.productId === 'prod-1');
    ok = broken.length === 0 && product?.initial === CONFIG.initialStock && product?.reserved === completed;
  } while (!ok && performance.now() < deadline);
  invariants.push({
    name: 'stock conserved (GET /inventory: available + reserved = initial + restocked)',
    ok,
    detail:
      inventory.products
        .map(
          (p) =>
            `${p.productId}: ${num(p.available)} + ${num(p.reserved)} = ${num(p.available + p.reserved)} (initial ${num(p.initial)}, restocked ${num(p.restocked)})`,
        )
        .join('; ') + `; prod-1 reserved ${num(product?.reserved)} for ${num(completed)} completed orders of one unit`,
  });

  const relayLost = relay.tracker.open.size;
  invariants.push({
    name: 'relay chain: every accepted message reached the sink',
    ok: relayLost === 0,
    detail: relayLost === 0 ? `all ${relay.tracker.accepted.toLocaleString('en-US')}` : `${relayLost} of ${relay.tracker.accepted} missing`,
  });
  return invariants;
}

/** The services' default ports (3002…3005) when all are free, otherwise free ones (another copy may be running). */
async function servicePorts() {
  const definitions = await serviceDefinitions();
  const defaults = Object.fromEntries(definitions.map(({ name, port }) => [name, port]));
  const busy = [];
  for (const [name, port] of Object.entries(defaults)) if (await portBusy(port)) busy.push(`${name} :${port}`);
  if (busy.length === 0) return defaults;
  log(`port(s) in use (${busy.join(', ')}): the services get free ports instead`);
  const ports = {};
  for (const name of SERVICE_NAMES) ports[name] = await freePort();
  return ports;
}

function machineFacts() {
  const cpus = os.cpus();
  const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    kafka: kafkaVersion(),
    commit: git.status === 0 ? git.stdout.trim() : null,
    loadAverage: { start: os.loadavg().map((value) => Math.round(value * 100) / 100), end: null },
  };
}
