// The two systems `npm run bench` loads, behind one interface: the saga (the four services
// from dist/, as a user starts them) and the relay chain (an HTTP front and three raw
// kafkajs relays: the same hops with no Nest, no database, no logic). Each has a URL that
// takes POST /orders, the topics its terminal events arrive on, and its processes.
import { fork, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { entryPoint, ROOT, SERVICE_NAMES } from '../services.mjs';
import { HttpClient, ORDER } from './load.mjs';
import { cpuMs, cpuProfileArgs, peakRssKb } from './proc.mjs';
import { Tracker } from './tracker.mjs';

const RELAY_SCRIPT = fileURLToPath(new URL('./relay.mjs', import.meta.url));
const READY_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 15_000;

/** The relay chain's hops, named after the saga events they stand for. */
const RELAY_HOPS = ['OrderCreated', 'PaymentCompleted', 'InventoryReserved', 'OrderCompleted'];

class System {
  constructor({ name, url, terminalTopics, processes }) {
    this.name = name;
    this.url = url;
    this.terminalTopics = terminalTopics;
    this.processes = processes;
    this.tracker = new Tracker();
    this.client = new HttpClient(url);
  }

  /** One POST /orders due at `scheduledAt`, recorded in `records`; resolves to true when accepted (201). */
  async send(scheduledAt, records) {
    const record = { scheduledAt, sentAt: performance.now() };
    records.push(record);
    const { status, body, error } = await this.client.post('/orders', ORDER);
    record.answeredAt = performance.now();
    if (status === 201) {
      this.tracker.accept(JSON.parse(body).orderId, record);
      return true;
    }
    record.error = status ? `HTTP ${status}` : error;
    return false;
  }

  /** CPU milliseconds used so far by each process, and their sum. */
  cpu() {
    const each = Object.fromEntries(this.processes.map((p) => [p.name, cpuMs(p.pid)]));
    return { each, total: Object.values(each).reduce((a, b) => a + b, 0) };
  }

  /** Each process's peak resident set (VmHWM), MB. */
  peakRssMb() {
    return Object.fromEntries(this.processes.map((p) => [p.name, Math.round(peakRssKb(p.pid) / 1024)]));
  }

  /** Throws if one of the processes has exited (with the end of its log). */
  assertRunning() {
    for (const p of this.processes)
      if (p.child.exitCode !== null || p.child.signalCode !== null) throw new Error(`${p.name} exited.\n${tail(p.logFile)}`);
  }

  async stop() {
    this.client.close();
    await Promise.all(this.processes.map((p) => stopProcess(p)));
  }
}

/**
 * The four services with their own topic prefix and data folder, failure rates 0 and
 * `initialStock` ("prod-1:N,..."): ports are `ports[service]`.
 */
export async function startSaga({
  brokers,
  prefix,
  dataDir,
  logDir,
  ports,
  initialStock,
  topics,
  mode = 'choreographed',
  name = 'saga',
  databaseUrls = null,
}) {
  const processes = SERVICE_NAMES.map((service) => {
    const env = {
      ...process.env,
      PORT: String(ports[service]),
      DATA_DIR: dataDir,
      KAFKA_BROKERS: brokers,
      KAFKA_TOPIC_PREFIX: prefix,
      PAYMENT_FAILURE_RATE: '0',
      INVENTORY_FAILURE_RATE: '0',
      INITIAL_STOCK: initialStock,
      SAGA_MODE: mode,
      // As the Docker image runs them: JSON lines (an access line per POST at info), not the pretty ones for a terminal.
      LOG_FORMAT: process.env.LOG_FORMAT ?? 'json',
    };
    if (databaseUrls) env.DATABASE_URL = databaseUrls[service];
    else delete env.DATABASE_URL; // SQLite in DATA_DIR, the default
    const logFile = join(logDir, `${service}.log`);
    const args = [...cpuProfileArgs(service), entryPoint(service)];
    const child = withLog(logFile, (fd) => spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', fd, fd] }));
    return { name: service, child, pid: child.pid, logFile };
  });
  const system = new System({
    name,
    url: `http://127.0.0.1:${ports['order-service']}`,
    terminalTopics: [topics.of('OrderCompleted'), topics.of('OrderCancelled')],
    processes,
  });
  try {
    await Promise.all(processes.map((p) => untilHealthy(p, ports[p.name])));
  } catch (error) {
    await system.stop();
    throw error;
  }
  return system;
}

/** The HTTP front and three relays, on the topics `${prefix}relay.0` … `relay.3`; the sink reads relay.3. */
export async function startRelayChain({ brokers, prefix, logDir }) {
  const topic = (hop) => `${prefix}relay.${hop}`;
  const processes = RELAY_HOPS.map((type, hop) => {
    const name = hop === 0 ? 'relay-front' : `relay-${hop}`;
    const env = {
      ...process.env,
      BENCH_ROLE: hop === 0 ? 'front' : 'relay',
      BENCH_BROKERS: brokers,
      BENCH_NAME: `${prefix}${name}`,
      BENCH_TYPE: type,
      ...(hop > 0 && { BENCH_FROM: topic(hop - 1) }),
      BENCH_TO: topic(hop),
      PORT: '0',
    };
    const logFile = join(logDir, `${name}.log`);
    const child = withLog(logFile, (fd) => fork(RELAY_SCRIPT, [], { cwd: ROOT, env, stdio: ['ignore', fd, fd, 'ipc'] }));
    return { name, child, pid: child.pid, logFile, ready: untilReady(child, name, logFile) };
  });
  let port;
  try {
    [{ port }] = await Promise.all(processes.map((p) => p.ready));
  } catch (error) {
    await Promise.all(processes.map((p) => stopProcess(p)));
    throw error;
  }
  return new System({ name: 'relay chain', url: `http://127.0.0.1:${port}`, terminalTopics: [topic(RELAY_HOPS.length - 1)], processes });
}

/** The relay chain's topics, to create before it starts. */
export function relayTopics(prefix) {
  return RELAY_HOPS.map((_, hop) => `${prefix}relay.${hop}`);
}

/** Starts a process with `start(fd)`, its output appended to `logFile`. */
export function withLog(logFile, start) {
  const fd = openSync(logFile, 'a');
  try {
    return start(fd);
  } finally {
    closeSync(fd); // the child keeps its own copy
  }
}

/** Resolves once the service answers /health on `port`; throws (with its log's end) if it exits or takes too long. */
export async function untilHealthy({ name, child, logFile }, port) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode} while starting.\n${tail(logFile)}`);
    const ok = await fetch(`http://127.0.0.1:${port}/health`).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline)
      throw new Error(`${name} was not healthy on :${port} within ${READY_TIMEOUT_MS / 1000} s.\n${tail(logFile)}`);
    await sleep(200);
  }
}

function untilReady(child, name, logFile) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} was not ready within ${READY_TIMEOUT_MS / 1000} s.\n${tail(logFile)}`)),
      READY_TIMEOUT_MS,
    );
    child.once('message', (message) => {
      clearTimeout(timer);
      resolve(message);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} while starting.\n${tail(logFile)}`));
    });
  });
}

/** SIGTERM (the services drain and leave their group), then SIGKILL after a while. */
export async function stopProcess({ child }) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

export function tail(file, lines = 30) {
  try {
    const text = readFileSync(file, 'utf8').trimEnd();
    return `--- ${file} (last ${lines} lines) ---\n${text.split('\n').slice(-lines).join('\n')}`;
  } catch {
    return `(no log at ${file})`;
  }
}
