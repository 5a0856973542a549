#!/usr/bin/env node
// `npm run bench:scale-out`: completed sagas per second with one and with two instances of
// every service, on PostgreSQL and a three-broker cluster (docs/scaling.md). It starts what
// it needs (the brokers and PostgreSQL if none answer), then for each topology: fresh
// databases, its own topic prefix, stock that never runs out, the default failure rates;
// WARM_UP orders, then ORDERS orders at CONCURRENCY in flight, twice; sagas per second
// from the first POST until no order is pending. It writes the table into docs/scaling.md.
//
//   ORDERS       orders per measured run (default 2000)
//   WARM_UP      orders before the measured runs (default 300)
//   CONCURRENCY  POSTs in flight at once (default 32)
//   ORDER_URLS   measure a topology already running instead (e.g. `npm run start:cluster`'s:
//                http://127.0.0.1:3002,http://127.0.0.1:3012): one run, printed, not written
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { writeMeasured } from './docs/measured.mjs';
import { deletePrefixed, ensureBroker, stopBroker } from './kafka.mjs';
import { createDatabase, dropDatabase, ensurePostgres, stopPostgres } from './postgres.mjs';
import { stopProcess, untilHealthy, withLog } from './bench/systems.mjs';
import { build, entryPoint, serviceDefinitions } from './services.mjs';

const ORDERS = Number(process.env.ORDERS ?? 2000);
const WARM_UP = Number(process.env.WARM_UP ?? 300);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 32);
const TOPOLOGIES = [1, 2];
/** Ports away from `npm start`'s and `npm run start:cluster`'s, so both can keep running. */
const PORT_OFFSET = 400;
const INSTANCE_PORT_STEP = 10;
const ORDER = { userId: 'bench', items: [{ productId: 'prod-2', quantity: 1, price: 9.99 }] };
const log = (message) => console.log(`[bench:scale-out ${new Date().toISOString().slice(11, 19)}] ${message}`);

if (process.env.ORDER_URLS) {
  const urls = await answering(process.env.ORDER_URLS.split(','));
  if (urls.length === 0) {
    console.error(`No order-service answers at ${process.env.ORDER_URLS}: start the topology first.`);
    process.exit(2);
  }
  console.log(formatRun(await measure(urls, ORDERS)));
  process.exit(0);
}

const startedAt = new Date();
build(log);
const definitions = await serviceDefinitions();
const tempRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-scale-out-'));
const rows = [];
let postgres = null;
let kafka = null;
let failed = true;
try {
  postgres = await ensurePostgres({ log });
  kafka = await ensureBroker({ log, count: 3 });
  for (const instances of TOPOLOGIES) {
    const topology = await startTopology(instances);
    try {
      log(`${instances} instance(s) per service: warming up with ${WARM_UP} orders`);
      await measure(topology.orderUrls, WARM_UP);
      const runs = [];
      for (let run = 1; run <= 2; run++) {
        runs.push(await measure(topology.orderUrls, ORDERS));
        log(`${instances} instance(s), run ${run}: ${formatRun(runs.at(-1))}`);
      }
      rows.push({ instances, runs });
    } finally {
      await topology.stop();
    }
  }
  failed = false;
} finally {
  // The services' logs stay when something failed.
  if (failed) log(`the services' logs are in ${tempRoot}`);
  else fs.rmSync(tempRoot, { recursive: true, force: true });
  if (kafka?.startedHere) await stopBroker({ log });
  if (postgres?.startedHere) await stopPostgres({ log });
}

const table = [
  '| instances per service | sagas/s (run 1, run 2) | POST p50 / p99 (run 2) |',
  '|---|---|---|',
  ...rows.map(({ instances, runs }) => {
    const last = runs.at(-1);
    return `| ${instances} | ${runs.map((run) => run.sagasPerSecond.toFixed(0)).join(', ')} | ${last.p50.toFixed(0)} ms / ${last.p99.toFixed(0)} ms |`;
  }),
].join('\n');
console.log(`\n${table}`);
writeMeasured('docs/scaling.md', 'bench-scale-out', {
  command: 'npm run bench:scale-out',
  at: startedAt,
  markdown: `${os.cpus().length} cores; ${WARM_UP} orders to warm up, then ${ORDERS} orders at ${CONCURRENCY} in flight, twice, per topology.\n\n${table}`,
});
log('written: the table in docs/scaling.md');

/** Every service `instances` times on PostgreSQL (fresh databases) and the cluster, under a prefix of its own; resolves once all are healthy. */
async function startTopology(instances) {
  const prefix = `scale-bench-${randomUUID().slice(0, 8)}.`;
  const databases = new Map();
  for (const { name } of definitions) {
    await dropDatabase(postgres.url, databaseOf(name));
    databases.set(name, await createDatabase(postgres.url, databaseOf(name)));
  }
  const processes = [];
  const orderUrls = [];
  for (const { name, port } of definitions) {
    for (let index = 0; index < instances; index++) {
      const instancePort = port + PORT_OFFSET + index * INSTANCE_PORT_STEP;
      const dataDir = path.join(tempRoot, `${prefix}${name}-${index + 1}`);
      const logFile = `${dataDir}.log`;
      const env = {
        ...process.env,
        PORT: String(instancePort),
        DATABASE_URL: databases.get(name),
        KAFKA_BROKERS: kafka.brokers,
        KAFKA_TOPIC_PREFIX: prefix,
        DATA_DIR: dataDir,
        INITIAL_STOCK: `prod-1:1000000,prod-2:1000000`,
        REPORT_INTERVAL_MS: '3600000',
      };
      const child = withLog(logFile, (fd) => spawn(process.execPath, [entryPoint(name)], { env, stdio: ['ignore', fd, fd] }));
      processes.push({ name: `${name}-${index + 1}`, child, logFile, port: instancePort });
      if (name === 'order-service') orderUrls.push(`http://127.0.0.1:${instancePort}`);
    }
  }
  const stop = async () => {
    await Promise.all(processes.map((p) => stopProcess(p)));
    for (const name of databases.keys()) await dropDatabase(postgres.url, databaseOf(name));
    // The cluster keeps nothing of the run.
    await deletePrefixed(new Kafka({ clientId: 'bench-scale-out', brokers: kafka.brokers.split(','), logLevel: logLevel.NOTHING }), prefix);
  };
  try {
    await Promise.all(processes.map((p) => untilHealthy(p, p.port)));
  } catch (error) {
    await stop();
    throw error;
  }
  log(`${processes.length} service instances healthy (${instances} per service, prefix ${prefix})`);
  return { orderUrls, stop };
}

/** The bench's own database for a service, dropped before and after each topology. */
function databaseOf(service) {
  return `scale_bench_${service.replaceAll('-', '_')}`;
}

/** `count` orders round-robin over `urls`, CONCURRENCY in flight; then waits until none is pending. */
async function measure(urls, count) {
  const latencies = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let n = next++; n < count; n = next++) {
        const sent = performance.now();
        const response = await fetch(`${urls[n % urls.length]}/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(ORDER),
        });
        if (response.status !== 201) throw new Error(`POST /orders answered ${response.status}`);
        await response.arrayBuffer();
        latencies.push(performance.now() - sent);
      }
    }),
  );
  const posted = performance.now();
  const pending = async () => (await (await fetch(`${urls[0]}/orders?status=pending&limit=1`)).json()).total;
  const deadline = Date.now() + 300_000;
  while ((await pending()) > 0) {
    if (Date.now() > deadline) throw new Error(`orders still pending 5 min after the last POST`);
    await sleep(50);
  }
  const finished = performance.now();
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return {
    orders: count,
    instances: urls.length,
    seconds: (finished - started) / 1000,
    postedAfter: (posted - started) / 1000,
    sagasPerSecond: count / ((finished - started) / 1000),
    p50: at(0.5),
    p99: at(0.99),
  };
}

function formatRun(run) {
  return (
    `${run.orders} orders through ${run.instances} order-service instance(s): ${run.sagasPerSecond.toFixed(0)} sagas/s to the last ` +
    `terminal state (${run.seconds.toFixed(1)} s; all posted after ${run.postedAfter.toFixed(1)} s); POST p50 ${run.p50.toFixed(0)} ms, p99 ${run.p99.toFixed(0)} ms`
  );
}

/** The service URLs whose /health answers 2xx. */
async function answering(urls) {
  const ok = await Promise.all(
    urls.map((url) =>
      fetch(`${url}/health`).then(
        (response) => response.ok,
        () => false,
      ),
    ),
  );
  return urls.filter((_, index) => ok[index]);
}
